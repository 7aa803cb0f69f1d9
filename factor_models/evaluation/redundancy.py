"""Redundancy: the mean cross-sectional rank correlation of every pair of factors, and the
clusters of near-duplicates it implies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from factor_models.evaluation.dense import Ordered

THRESHOLD = 0.9


def redundancy_matrix(values: pl.DataFrame) -> pl.DataFrame:
    """Long matrix (factor_a, factor_b, mean_rank_corr, dates) over every ordered pair.

    Per date, the correlation of each pair's within-date ranks (each factor ranked over its own
    cross-section) over the names both cover: Spearman's rho when coverage is equal. A pair is
    skipped on a date with fewer than 3 shared names; the rest are averaged over dates. Callers
    may pass a sample of dates (every 5th session): the mean is stable and the cost drops in
    proportion.
    """
    factors = sorted(values["factor"].unique().to_list())
    dates = values["date"].unique().sort()
    symbols = values["symbol"].unique().sort()
    located = values.select(
        factor=pl.col("factor").replace_strict(factors, range(len(factors)),
                                               return_dtype=pl.Int64),
        row=dates.search_sorted(values["date"]),
        column=symbols.search_sorted(values["symbol"]),
        value=pl.col("value").cast(pl.Float64),
    )
    cube = np.full((len(factors), len(dates), len(symbols)), np.nan)
    cube[located["factor"].to_numpy(), located["row"].to_numpy(),
         located["column"].to_numpy()] = located["value"].to_numpy()
    for f in range(len(factors)):  # within-date ranks, ties averaged
        cube[f] = Ordered(cube[f]).subset(np.isfinite(cube[f])).ranks
    total = np.zeros((len(factors), len(factors)))
    counted = np.zeros_like(total)
    for day in range(len(dates)):
        corr = _pairwise_corr(cube[:, day, :].T)
        seen = ~np.isnan(corr)
        total[seen] += corr[seen]
        counted += seen
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counted > 0, total / counted, np.nan)
    return pl.DataFrame({
        "factor_a": np.repeat(factors, len(factors)),
        "factor_b": np.tile(factors, len(factors)),
        "mean_rank_corr": mean.ravel(),
        "dates": counted.ravel().astype(np.int32),
    }).with_columns(pl.col("mean_rank_corr").fill_nan(None))


def _pairwise_corr(block: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column pair over the rows where both are present."""
    present = ~np.isnan(block)
    x = np.where(present, block, 0.0)
    m = present.astype(np.float64)
    n = m.T @ m
    sx, sxx, sxy = x.T @ m, (x * x).T @ m, x.T @ x
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = n * sxy - sx * sx.T
        var = (n * sxx - sx * sx) * (n * sxx - sx * sx).T
        corr = cov / np.sqrt(var)
    corr[(n < 3) | ~(var > 0)] = np.nan
    return corr


def redundancy_clusters(matrix: pl.DataFrame, order: Sequence[str],
                        threshold: float = THRESHOLD) -> pl.DataFrame:
    """(factor, cluster): connected components of the graph linking two factors whose
    |mean rank correlation| exceeds ``threshold``; each cluster is named after its member that
    comes first in ``order`` (the catalog order), singletons after themselves."""
    position = {name: i for i, name in enumerate(order)}
    factors = sorted(set(matrix["factor_a"]) | set(matrix["factor_b"]),
                     key=lambda f: (position.get(f, len(position)), f))
    parent = {f: f for f in factors}

    def root(f: str) -> str:
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    linked = matrix.filter((pl.col("factor_a") != pl.col("factor_b"))
                           & (pl.col("mean_rank_corr").abs() > threshold))
    for a, b in linked.select("factor_a", "factor_b").iter_rows():
        ra, rb = root(a), root(b)
        if ra != rb:  # keep the earlier catalog factor as the root, so it names the cluster
            first, second = sorted((ra, rb), key=factors.index)
            parent[second] = first
    return pl.DataFrame({"factor": factors, "cluster": [root(f) for f in factors]})
