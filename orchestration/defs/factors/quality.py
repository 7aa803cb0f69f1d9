"""Coverage per factor and date, redundancy between factors (mean rank correlation) and the
scores' finiteness."""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

from factor_models.normalize import sort_keys

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


@njit(cache=True, nogil=True, error_model="numpy")
def _centred_ranks(ordered, order, count, tied, slot, kept, out):
    """The average ranks (ties averaged) of one column among the ``kept`` rows with a slot
    (``slot[row] < kept``; the others' slot is ``kept`` itself, a spare entry of ``out``),
    minus their mean (kept + 1) / 2, written at ``out[slot[row]]``. ``ordered``: the column's
    ``count`` present values ascending, ``order`` their rows; ``tied``: whether two are equal.
    Ranks and mean are multiples of 1/2, so the centred ranks, their products and sums (below
    2^53 / 4) are exact."""
    middle = (kept + 1) / 2.0
    seen = 0
    if not tied:  # no run of equal values to average: a branch-free running count
        for p in range(count):
            at = slot[order[p]]
            seen += at < kept
            out[at] = seen - middle
        return
    j = 0
    while j < count:
        k = j + 1
        while k < count and ordered[k] == ordered[j]:
            k += 1
        inside = 0
        for p in range(j, k):
            inside += slot[order[p]] < kept
        centred = seen + (inside + 1) / 2.0 - middle
        for p in range(j, k):
            out[slot[order[p]]] = centred
        seen += inside
        j = k


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc"})
def _dot(x, y, n):
    # Sums of exact half-integer products: any order gives the same total, so SIMD may reorder.
    total = 0.0
    for i in range(n):
        total += x[i] * y[i]
    return total


@njit(cache=True, nogil=True, error_model="numpy")
def _rank_group(ordered, order, counts, tied, columns, slot, kept, centred, squares):
    """The centred ranks of ``columns`` on the rows with a slot, in ``centred``'s rows 0..,
    and their sums of squares in ``squares``."""
    for line in range(len(columns)):
        c = columns[line]
        _centred_ranks(ordered[c], order[c], counts[c], tied[c], slot, kept, centred[line])
        squares[line] = _dot(centred[line], centred[line], kept)


@njit(cache=True, nogil=True, error_model="numpy")
def _common_slots(rows_a, rows_b, slot):
    """Number the rows present in both ``rows_a`` and ``rows_b`` 0, 1, ... in ``slot``, the
    others with their count (the spare slot); returns the count."""
    kept = 0
    for r in range(len(slot)):
        kept += rows_a[r] and rows_b[r]
    at = 0
    for r in range(len(slot)):
        if rows_a[r] and rows_b[r]:
            slot[r] = at
            at += 1
        else:
            slot[r] = kept
    return kept


@njit(cache=True, nogil=True, error_model="numpy")
def _pattern_pairs(ordered, order, counts, tied, patterns, members, starts, min_pairs, out):
    """``out`` (columns x columns, NaN-filled): the Spearman correlation of every pair of
    columns over their common rows, re-ranked there. Columns (sorted: ``ordered``, ``order``,
    ``counts``, ``tied`` as in `_centred_ranks`) are grouped by presence pattern
    (``patterns``, groups x rows; ``members[starts[g]:starts[g + 1]]`` the columns of group
    g): a pair of groups shares its common rows, so each column is ranked once per group."""
    groups, rows = patterns.shape
    slot = np.empty(rows, np.int64)
    left = np.empty((len(members), rows + 1))  # + 1: the spare slot
    right = np.empty_like(left)
    left_squares, right_squares = np.empty(len(members)), np.empty(len(members))
    for g in range(groups):
        columns_g = members[starts[g]:starts[g + 1]]
        for h in range(g, groups):
            kept = _common_slots(patterns[g], patterns[h], slot)
            if kept < min_pairs:
                continue
            columns_h = members[starts[h]:starts[h + 1]]
            _rank_group(ordered, order, counts, tied, columns_g, slot, kept, left,
                        left_squares)
            if h == g:
                y, y_squares = left, left_squares
            else:
                _rank_group(ordered, order, counts, tied, columns_h, slot, kept, right,
                            right_squares)
                y, y_squares = right, right_squares
            for a in range(len(columns_g)):
                for b in range(a if h == g else 0, len(columns_h)):
                    denominator = np.sqrt(left_squares[a] * y_squares[b])
                    if denominator > 0:
                        correlation = _dot(left[a], y[b], kept) / denominator
                        out[columns_g[a], columns_h[b]] = correlation
                        out[columns_h[b], columns_g[a]] = correlation


def spearman_pairwise(values: np.ndarray) -> np.ndarray:
    """Columns x columns Spearman correlation of ``values`` (rows x columns, NaN = missing),
    each pair over the rows where both are present (re-ranked there), NaN with fewer than
    MIN_PAIRS such rows or a constant side: pandas' ``corr("spearman", min_periods=MIN_PAIRS)``.

    Each column is sorted once; its ranks on a pair's common rows are a walk along that order
    (compiled), shared by every column of the other presence pattern.
    """
    columns = np.ascontiguousarray(values.T, dtype=np.float64)
    result = np.full((columns.shape[0],) * 2, np.nan)
    if columns.size == 0:
        return result
    present = ~np.isnan(columns)
    keys = sort_keys(columns)
    keys[~present] = np.iinfo(np.int64).max  # absent rows sort last, whatever their NaN's sign
    order = np.argsort(keys, axis=1)
    ordered = np.take_along_axis(columns, order, axis=1)
    counts = present.sum(axis=1)
    tied = ((ordered[:, 1:] == ordered[:, :-1])
            & (np.arange(1, columns.shape[1]) < counts[:, None])).any(axis=1)
    patterns, group = np.unique(np.packbits(present, axis=1), axis=0, return_inverse=True)
    members = np.argsort(group.ravel(), kind="stable")
    starts = np.searchsorted(group.ravel()[members], np.arange(len(patterns) + 1))
    _pattern_pairs(ordered, order, counts, tied, present[members[starts[:-1]]], members,
                   starts, MIN_PAIRS, result)
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
    for day, cross_section in zip(dates, ranks, strict=True):
        correlation = spearman_pairwise(cross_section.T)[upper]
        frames.append(pl.DataFrame({
            "date": pl.Series([day], dtype=pl.Date).gather(np.zeros(len(upper[0]), np.int64)),
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
