"""Coverage per factor and date, redundancy between factors (mean rank correlation) and the
scores' finiteness."""

from __future__ import annotations

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from factor_models.normalize import average_ranks, sort_keys

REDUNDANCY_THRESHOLD = 0.95
MIN_PAIRS = 5  # fewer names with both factors on a date: that date's correlation is not used

COVERAGE_SCHEMA = {"date": pl.Date, "factor": pl.String, "symbols": pl.UInt32,
                   "universe": pl.UInt32, "coverage": pl.Float64}
REDUNDANCY_SCHEMA = {"factor": pl.String, "redundant_with": pl.String,
                     "mean_rank_corr": pl.Float64}
SCORE_COLUMNS = ("z", "sector_z", "rank")
RANK_CORR_SCHEMA = {"date": pl.Date, "factor_a": pl.String, "factor_b": pl.String,
                    "rank_corr": pl.Float64}


def coverage(dates: pl.Series, factors: list[str], symbols: np.ndarray,
             universe: np.ndarray) -> pl.DataFrame:
    """For every date and factor: ``symbols[date, factor]`` (names with a value), the date's
    ``universe`` (names with a bar) and their ratio; sorted by factor, date."""
    grid = pl.DataFrame({
        "date": dates.gather(np.repeat(np.arange(len(dates)), len(factors))),
        "factor": pl.Series(factors, dtype=pl.String).gather(
            np.tile(np.arange(len(factors)), len(dates))),
        "symbols": np.asarray(symbols, dtype=np.uint32).reshape(-1),
        "universe": np.repeat(np.asarray(universe, dtype=np.uint32), len(factors)),
    }, schema={c: t for c, t in COVERAGE_SCHEMA.items() if c != "coverage"})
    return grid.with_columns(coverage=pl.col("symbols") / pl.col("universe")).sort("factor",
                                                                                   "date")


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Each column's 1-based ranks (ties averaged) of ``values`` (rows x columns, no NaN)."""
    keys = sort_keys(values.T)  # one row per column: numpy sorts contiguous rows fastest
    order = np.argsort(keys, axis=1)
    ranked = average_ranks(np.take_along_axis(keys, order, axis=1),
                           np.full(len(keys), keys.shape[1]))
    ranks = np.empty_like(ranked)
    np.put_along_axis(ranks, order, ranked, axis=1)
    return ranks.T


def _unit_columns(values: np.ndarray) -> np.ndarray:
    """Ranked, centred columns of unit length (NaN for a constant column)."""
    ranks = _average_ranks(values)
    ranks -= ranks.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        length = np.sqrt(np.einsum("ij,ij->j", ranks, ranks))
        return ranks / np.where(length > 0, length, np.nan)


def spearman_pairwise(values: np.ndarray) -> np.ndarray:
    """Columns x columns Spearman correlation of ``values`` (rows x columns, NaN = missing),
    each pair over the rows where both are present (re-ranked there), NaN with fewer than
    MIN_PAIRS such rows: pandas' ``corr("spearman", min_periods=MIN_PAIRS)`` off the diagonal.

    Columns present on the same rows share their ranking: one ranking and one matrix product
    per pair of presence patterns instead of one ranking per pair of columns.
    """
    present = ~np.isnan(values)
    patterns: dict[bytes, list[int]] = {}
    for column in range(values.shape[1]):
        patterns.setdefault(np.packbits(present[:, column]).tobytes(), []).append(column)
    groups = [(present[:, columns[0]], columns) for columns in patterns.values()]
    ranked: dict[tuple[int, bytes], np.ndarray] = {}

    def unit(group: int, rows: np.ndarray, key: bytes) -> np.ndarray:
        # Nested patterns (a longer lookback present on fewer names) meet on the same rows.
        if (group, key) not in ranked:
            ranked[group, key] = _unit_columns(values[np.ix_(rows, groups[group][1])])
        return ranked[group, key]

    result = np.full((values.shape[1],) * 2, np.nan)
    for i, (rows_a, columns_a) in enumerate(groups):
        for j in range(i, len(groups)):
            rows_b, columns_b = groups[j]
            rows = rows_a & rows_b
            if rows.sum() < MIN_PAIRS:
                continue
            key = np.packbits(rows).tobytes()
            block = unit(i, rows, key).T @ unit(j, rows, key)
            result[np.ix_(columns_a, columns_b)] = block
            result[np.ix_(columns_b, columns_a)] = block.T
    return result


def month_end_sessions(dates: pl.Series, alive: np.ndarray) -> np.ndarray:
    """Positions of the sessions in ``dates`` (sorted) that are the last with a value
    (``alive``) of their calendar month: the sessions redundancy is measured on (month ends are
    enough for a stable mean rank correlation, and keep it cheap at scale)."""
    months = (dates.dt.year().cast(pl.Int64) * 12 + dates.dt.month()).to_numpy()
    living = np.flatnonzero(alive)
    if not living.size:
        return living
    last = np.append(months[living][1:] != months[living][:-1], True)
    return living[last]


def rank_correlations(dates: pl.Series, factors: list[str], ranks: np.ndarray
                      ) -> pl.DataFrame:
    """Rows of fct_factor_rank_corr: for each session of ``ranks`` (sessions x factors x
    symbols, NaN = no rank) and each pair of factors (factor_a before factor_b in ``factors``)
    their cross-sectional Spearman correlation (`spearman_pairwise`; null where undefined, so
    that every month end has rows)."""
    frames = []
    upper = np.triu_indices(len(factors), k=1)
    names = pl.Series(factors, dtype=pl.String)
    # Single-threaded BLAS: the products are small (~1,000 x a few dozen), and OpenBLAS's
    # threads spin against the factor step's writer thread (~25% less CPU on one core).
    with threadpool_limits(limits=1, user_api="blas"):
        for day, cross_section in zip(dates, ranks, strict=True):
            correlation = spearman_pairwise(cross_section.T)[upper]
            frames.append(pl.DataFrame({
                "date": pl.Series([day], dtype=pl.Date).gather(
                    np.zeros(len(upper[0]), np.int64)),
                "factor_a": names.gather(upper[0]), "factor_b": names.gather(upper[1]),
                "rank_corr": pl.Series(correlation, nan_to_null=True)}))
    return pl.concat(frames) if frames else pl.DataFrame(schema=RANK_CORR_SCHEMA)


def mean_correlations(pairs: pl.DataFrame, factors: list[str]) -> np.ndarray:
    """The factors x factors mean over dates of ``pairs`` (factor_a, factor_b, rank_corr, one
    row per date; null = undefined that date), NaN where a pair never was defined."""
    position = {name: i for i, name in enumerate(factors)}
    means = (pairs.filter(pl.col("factor_a").is_in(factors), pl.col("factor_b").is_in(factors))
             .group_by("factor_a", "factor_b").agg(pl.col("rank_corr").mean()))
    a = np.array([position[f] for f in means["factor_a"]], dtype=np.int64)
    b = np.array([position[f] for f in means["factor_b"]], dtype=np.int64)
    correlation = np.full((len(factors), len(factors)), np.nan)
    correlation[a, b] = correlation[b, a] = means["rank_corr"].fill_null(np.nan).to_numpy()
    return correlation


def redundant_with(correlation: np.ndarray, factors: list[str],
                   threshold: float = REDUNDANCY_THRESHOLD) -> pl.DataFrame:
    """For each factor (in catalog order), the earlier factor its mean cross-sectional rank
    correlation (``correlation``, factors x factors) is highest with in absolute value when
    that exceeds ``threshold``, else null."""
    rows = []
    for i, factor in enumerate(factors):
        earlier = np.abs(np.nan_to_num(correlation[i, :i], nan=0.0))
        j = int(np.argmax(earlier)) if i else 0
        hit = i > 0 and earlier[j] > threshold
        rows.append((factor, factors[j] if hit else None,
                     float(correlation[i, j]) if hit else None))
    return pl.DataFrame(rows, schema=REDUNDANCY_SCHEMA, orient="row")



def non_finite_scores(values: pl.DataFrame) -> dict[str, int]:
    """Rows per factor of fct_factor_values rows whose z, sector_z or rank is NaN or infinite
    (null is fine: no score)."""
    bad = pl.any_horizontal(~pl.col(c).is_finite() for c in SCORE_COLUMNS)
    found = values.filter(bad).group_by("factor").len()
    return {str(factor): int(n) for factor, n in found.iter_rows()}
