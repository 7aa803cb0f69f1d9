"""Coverage per factor and date, and redundancy between factors (mean rank correlation)."""

from __future__ import annotations

import numpy as np
import polars as pl

from factor_models.normalize import average_ranks, sort_keys

REDUNDANCY_THRESHOLD = 0.95
MIN_PAIRS = 5  # fewer names with both factors on a date: that date's correlation is not used

COVERAGE_SCHEMA = {"date": pl.Date, "factor": pl.String, "symbols": pl.UInt32,
                   "universe": pl.UInt32, "coverage": pl.Float64}
REDUNDANCY_SCHEMA = {"factor": pl.String, "redundant_with": pl.String,
                     "mean_rank_corr": pl.Float64}


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


def mean_rank_correlations(ranks: pl.DataFrame, factors: list[str]) -> np.ndarray:
    """The factors x factors mean over dates of the cross-sectional Spearman correlation.

    ``ranks``: date, symbol, factor, rank. Each date's correlation re-ranks the names that have
    both factors (pairwise complete); dates with fewer than MIN_PAIRS such names are left out.
    """
    def codes(column: str, keys: list) -> pl.Expr:  # position of each value among ``keys``
        return pl.col(column).replace_strict(keys, range(len(keys)), return_dtype=pl.Int64)

    ranks = ranks.filter(pl.col("factor").is_in(factors))
    cells = ranks.select(day=codes("date", ranks["date"].unique().to_list()),
                         name=codes("symbol", ranks["symbol"].unique().to_list()),
                         column=codes("factor", factors), value=pl.col("rank").cast(pl.Float64))
    shape = (int(cells["day"].max()) + 1, int(cells["name"].max()) + 1) if cells.height \
        else (0, 0)
    dense = np.full((*shape, len(factors)), np.nan)  # date x symbol x factor
    dense[cells["day"].to_numpy(), cells["name"].to_numpy(), cells["column"].to_numpy()] = (
        cells["value"].fill_null(np.nan).to_numpy())
    total = np.zeros((len(factors), len(factors)))
    count = np.zeros_like(total)
    for day in dense:
        matrix = spearman_pairwise(day)
        seen = np.isfinite(matrix)
        total[seen] += matrix[seen]
        count[seen] += 1
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def redundancy(ranks: pl.DataFrame, factors: list[str],
               threshold: float = REDUNDANCY_THRESHOLD) -> pl.DataFrame:
    """For each factor (in catalog order), the earlier factor its mean cross-sectional rank
    correlation is highest with in absolute value when that exceeds ``threshold``, else null."""
    correlation = mean_rank_correlations(ranks, factors)
    rows = []
    for i, factor in enumerate(factors):
        earlier = np.abs(np.nan_to_num(correlation[i, :i], nan=0.0))
        j = int(np.argmax(earlier)) if i else 0
        hit = i > 0 and earlier[j] > threshold
        rows.append((factor, factors[j] if hit else None,
                     float(correlation[i, j]) if hit else None))
    return pl.DataFrame(rows, schema=REDUNDANCY_SCHEMA, orient="row")
