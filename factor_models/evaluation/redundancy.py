"""Redundancy: the mean cross-sectional rank correlation of every pair of factors, and the
clusters of near-duplicates it implies."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from factor_models.evaluation.dense import sort_order
from factor_models.evaluation.kernel import average_ranks

THRESHOLD = 0.9


class RedundancySums:
    """Per-date rank correlations of every factor pair, summed over the dates added so far."""

    def __init__(self, factors: Sequence[str]) -> None:
        self.factors = list(factors)
        self.total = np.zeros((len(factors), len(factors)))
        self.counted = np.zeros_like(self.total)
        self.covered = np.zeros(len(factors), bool)

    def add(self, cube: np.ndarray) -> None:
        """``cube``: (factors x dates x symbols) values, NaN where a factor has none."""
        if cube.shape[2] == 0:
            return
        no_sectors = np.full(cube.shape[2], -1, np.int64)
        ranks = np.stack([average_ranks(v, sort_order(v), no_sectors)[0] for v in cube])
        self.covered |= np.isfinite(ranks).any(axis=(1, 2))
        # Four small matrix products per date: OpenBLAS's own threads only spin on them (5x
        # the CPU of one thread here), so BLAS runs single-threaded, dates on two threads.
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(2) as pool:
            for corr in pool.map(lambda day: _pairwise_corr(ranks[:, day, :].T),
                                 range(ranks.shape[1])):
                seen = ~np.isnan(corr)
                self.total[seen] += corr[seen]
                self.counted += seen

    def matrix(self, covered_only: bool = False) -> pl.DataFrame:
        """Long (factor_a, factor_b, mean_rank_corr, dates) over the factors (``covered_only``:
        those with a value on some date added)."""
        keep = np.flatnonzero(self.covered) if covered_only else np.arange(len(self.factors))
        factors = [self.factors[i] for i in keep]
        total, counted = self.total[np.ix_(keep, keep)], self.counted[np.ix_(keep, keep)]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counted > 0, total / counted, np.nan)
        return pl.DataFrame({
            "factor_a": np.repeat(factors, len(factors)),
            "factor_b": np.tile(factors, len(factors)),
            "mean_rank_corr": mean.ravel(),
            "dates": counted.ravel().astype(np.int32),
        }, schema={"factor_a": pl.String, "factor_b": pl.String, "mean_rank_corr": pl.Float64,
                   "dates": pl.Int32}).with_columns(pl.col("mean_rank_corr").fill_nan(None))


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
    sums = RedundancySums(factors)
    sums.add(cube)
    return sums.matrix()


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
