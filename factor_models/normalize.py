"""Cross-sectional normalisation per date: winsorised z-score, percentile rank, sector-neutral z.

Every score uses only the same date's cross-section, so normalising never looks ahead.

The scores are computed on dense arrays, one row per cross-section (a date and a factor), one
column per symbol, NaN where the symbol has no value: sorting a thousand-name row in numpy and
reducing along it is several times cheaper than polars window expressions over a long frame of
(date, factor) groups, and rows are independent, so blocks of rows run on every core. numpy
sorts the rows (its SIMD sort of int64 keys); one compiled pass along each row's order then
gives its quantiles, winsorised values, ranks and z-scores (as whole-array numpy steps these
took ~3x the CPU: each step read and wrote every cell again).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
from numba import njit

WINSOR_QUANTILES = (0.01, 0.99)
MIN_CROSS_SECTION = 5  # fewer names than this on a date: no score (a z of 3 names is noise)
MIN_SECTOR = 3  # fewer names of a sector on a date: no sector-neutral z
BLOCK_CELLS = 1 << 21  # rows per block: about 2 M cells (16 MB per float array)

_LOW_BITS = np.int64(0x7FFF_FFFF_FFFF_FFFF)


@njit(cache=True, nogil=True)
def _fill_keys(values: np.ndarray, keys: np.ndarray) -> None:
    floats = keys.view(np.float64)
    for i in range(len(values)):
        floats[i] = values[i] + 0.0  # + 0.0 turns -0.0 into 0.0
        bits = keys[i]
        keys[i] = bits ^ ((bits >> 63) & _LOW_BITS)


def sort_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys ordered like the float values, a positive NaN after every number: numpy
    sorts int64 rows with SIMD, float64 rows with NaNs several times slower. -0.0 and 0.0
    get one key, as they compare equal. One compiled pass (numpy's steps cost ~4x: each
    wrote a temporary the size of the input)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    keys = np.empty(values.shape, np.int64)
    _fill_keys(values.reshape(-1), keys.reshape(-1))
    return keys


def average_ranks(sorted_keys: np.ndarray, count: np.ndarray) -> np.ndarray:
    """1-based ranks of each row's first ``count`` sorted keys, ties averaged (polars'
    rank("average")); beyond ``count`` meaningless. Only rows with a tie pay for finding the
    ends of each run of equal keys."""
    width = sorted_keys.shape[1]
    position = np.arange(width)
    ranks = np.broadcast_to(position + 1.0, sorted_keys.shape).copy()
    equal = sorted_keys[:, 1:] == sorted_keys[:, :-1]
    equal &= position[1:] < count[:, None]
    tied = np.flatnonzero(equal.any(axis=1))
    if tied.size:
        starts = np.ones((tied.size, width), dtype=bool)
        starts[:, 1:] = ~equal[tied]
        first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
        ends = np.ones_like(starts)
        ends[:, :-1] = starts[:, 1:]
        last = np.minimum.accumulate(np.where(ends, position, width)[:, ::-1], axis=1)[:, ::-1]
        ranks[tied] = (first + last) / 2.0 + 1.0
    return ranks


@njit(cache=True, nogil=True, error_model="numpy")
def _quantile(ordered: np.ndarray, count: int, q: float) -> float:
    """The q-quantile of the first ``count`` of the ascending ``ordered`` values, linear
    interpolation (numpy's default)."""
    top = max(count - 1, 0)
    position = q * top
    below = int(position)
    low, high = ordered[below], ordered[min(below + 1, top)]
    return low if low == high else (position - below) * (high - low) + low


@njit(cache=True, nogil=True, error_model="numpy")
def _score_rows(raw: np.ndarray, order: np.ndarray, firsts: np.ndarray, stops: np.ndarray,
                z: np.ndarray, rank: np.ndarray, sector_z: np.ndarray) -> None:
    """Scores of each row of ``raw`` given ``order``, the columns sorted by value (NaN last):
    one pass along the order gives the quantiles, the winsorised values and the tie-averaged
    ranks, three passes along the row the z-scores and sector z-scores. See
    `cross_section_scores`."""
    width, sectors = raw.shape[1], len(firsts)
    ordered = np.empty(width)
    winsorised = np.empty(width)
    present = np.empty(width, dtype=np.bool_)
    sector_of = np.full(width, -1, np.int64)
    for s in range(sectors):
        sector_of[firsts[s]:stops[s]] = s
    sums, means = np.empty(sectors), np.empty(sectors)
    sector_squares, stds = np.empty(sectors), np.empty(sectors)
    smallest, largest = np.empty(sectors), np.empty(sectors)
    members = np.empty(sectors, np.int64)
    scored = np.empty(sectors, np.bool_)
    for i in range(raw.shape[0]):
        row = raw[i]
        count = 0
        for j in range(width):
            present[j] = not np.isnan(row[j])
            count += present[j]
        for k in range(count):
            ordered[k] = row[order[i, k]] + 0.0  # -0.0 as 0.0, as the sort keys have it
        if count < MIN_CROSS_SECTION:
            z[i, :] = np.nan
            rank[i, :] = np.nan
            for s in range(len(firsts)):
                sector_z[i, firsts[s]:stops[s]] = np.nan
            continue
        low = _quantile(ordered, count, WINSOR_QUANTILES[0])
        high = _quantile(ordered, count, WINSOR_QUANTILES[1])
        top = count - 1
        lower_stop = int(WINSOR_QUANTILES[0] * top) + 1
        upper_first = int(WINSOR_QUANTILES[1] * top) + 1
        k = 0
        while k < count:
            # A run of equal sorted values (ties) shares the average of its ranks.
            last = k
            while last + 1 < count and ordered[last + 1] == ordered[k]:
                last += 1
            average = ((k + last) / 2.0 + 1.0) / count
            for m in range(k, last + 1):
                column = order[i, m]
                rank[i, column] = average
                value = row[column]
                if m < lower_stop:
                    value = low
                elif m >= upper_first:
                    value = high
                winsorised[column] = value
            k = last + 1
        # Three passes along the row give the sums, then the squares, then the z-scores of the
        # whole row and of each sector at once (three passes per sector as well cost ~2x). Each
        # sum adds the present values in column order: mean, sample std, (value - mean) / std.
        total = 0.0
        sums[:] = 0.0
        members[:] = 0
        smallest[:] = np.inf
        largest[:] = -np.inf
        for j in range(width):
            if not present[j]:
                rank[i, j] = np.nan
                continue
            value = winsorised[j]
            total += value
            s = sector_of[j]
            if s >= 0:
                sums[s] += value
                members[s] += 1
                smallest[s] = min(smallest[s], value)
                largest[s] = max(largest[s], value)
        mean = total / count
        for s in range(sectors):
            means[s] = sums[s] / members[s] if members[s] else 0.0
        squares = 0.0
        sector_squares[:] = 0.0
        for j in range(width):
            if present[j]:
                value = winsorised[j]
                squares += (value - mean) ** 2
                s = sector_of[j]
                if s >= 0:
                    sector_squares[s] += (value - means[s]) ** 2
        # The winsorised values vary exactly when the quantiles differ; a constant row has no
        # z (its standard deviation is 0, which rounding could otherwise turn into a tiny one).
        varies = high > low
        std = np.sqrt(squares / (count - 1)) if varies else 1.0
        for s in range(sectors):
            scored[s] = members[s] >= MIN_SECTOR and largest[s] > smallest[s]
            stds[s] = np.sqrt(sector_squares[s] / (members[s] - 1)) if scored[s] else 1.0
        for j in range(width):
            s = sector_of[j]
            if not present[j]:
                z[i, j] = np.nan
                if s >= 0:
                    sector_z[i, j] = np.nan
                continue
            value = winsorised[j]
            z[i, j] = (value - mean) / std if varies else np.nan
            if s >= 0:
                sector_z[i, j] = (value - means[s]) / stds[s] if scored[s] else np.nan


def cross_section_scores(raw: np.ndarray, sectors: Sequence[tuple[int, int]] = (),
                         out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z, rank and sector_z for ``raw`` (cross-sections x symbols, numpy's NaN = no value,
    every other value finite). Scores are defined where a value is present; elsewhere they
    are meaningless and must not be read.

    - z: each row's values winsorised at its 1st/99th percentile (linear interpolation), then
      standardised (sample std); NaN when the row has fewer than MIN_CROSS_SECTION values or
      the winsorised values do not vary.
    - rank: the raw value's average rank in the row divided by the row's count, in (0, 1].
    - sector_z: the winsorised value standardised within its sector's columns (``sectors``:
      disjoint [first, stop) column ranges; symbols outside every range have no sector, NaN);
      NaN for sectors with fewer than MIN_SECTOR values on the row.
    Every score is NaN on rows with fewer than MIN_CROSS_SECTION values.

    ``out``: three C-contiguous float64 arrays of raw's shape to write z, rank and sector_z
    into (a caller scoring chunk after chunk reuses them: fresh pages cost the kernel more
    than the scores); new arrays by default.
    """
    raw = np.ascontiguousarray(raw, dtype=np.float64)
    if raw.ndim != 2:
        raise ValueError(f"raw must be 2-D (cross-sections x symbols), got shape {raw.shape}")
    if out is None:
        out = tuple(np.empty_like(raw) for _ in range(3))
    elif any(a.shape != raw.shape or a.dtype != np.float64 or not a.flags.c_contiguous
             for a in out):
        raise ValueError(f"out must be three C-contiguous float64 arrays of shape {raw.shape}")
    z, rank, sector_z = out
    no_sector = np.ones(raw.shape[1], dtype=bool)
    for first, stop in sectors:
        no_sector[first:stop] = False
    sector_z[:, no_sector] = np.nan
    if raw.size == 0:
        return z, rank, sector_z
    step = max(1, BLOCK_CELLS // raw.shape[1])
    firsts, stops = (np.array([bounds[end] for bounds in sectors], dtype=np.int64)
                     for end in (0, 1))

    def block(first: int) -> None:
        part = slice(first, first + step)
        order = np.argsort(sort_keys(raw[part]), axis=1)
        _score_rows(raw[part], order, firsts, stops, z[part], rank[part], sector_z[part])

    starts = range(0, raw.shape[0], step)
    workers = min(os.cpu_count() or 1, len(starts))
    if workers == 1:
        for first in starts:
            block(first)
    else:  # the sorts and the compiled pass release the GIL: blocks run in parallel
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(block, starts))
    return z, rank, sector_z


def sector_layout(symbols: Sequence[str], securities: pl.DataFrame | None
                  ) -> tuple[list[str], list[tuple[int, int]]]:
    """``symbols`` reordered so each sector's are adjacent (symbols without a sector last), and
    the [first, stop) column range of each sector, for `cross_section_scores`."""
    frame = pl.DataFrame({"symbol": list(symbols)}, schema={"symbol": pl.String})
    if securities is None:
        frame = frame.with_columns(sector=pl.lit(None, pl.String))
    else:
        frame = frame.join(securities.select("symbol", pl.col("sector").cast(pl.String))
                           .unique("symbol", keep="first"), on="symbol", how="left",
                           maintain_order="left")
    frame = frame.sort("sector", "symbol", nulls_last=True)
    runs = (frame.with_row_index("column").drop_nulls("sector").group_by("sector")
            .agg(first=pl.col("column").min(), stop=pl.col("column").max() + 1).sort("first"))
    return frame["symbol"].to_list(), list(zip(runs["first"].to_list(), runs["stop"].to_list(),
                                               strict=True))


def normalize(long: pl.DataFrame, securities: pl.DataFrame | None = None) -> pl.DataFrame:
    """Scores for a long frame (date, symbol, factor, value); see `cross_section_scores`.

    Returns date, symbol, factor, raw, z, rank and sector_z (null without a sector or score),
    finite raw values only, sorted by factor, date, symbol.
    """
    frame = long.rename({"value": "raw"}).filter(pl.col("raw").is_finite())
    symbols, sectors = sector_layout(frame["symbol"].unique().sort().to_list(), securities)
    column = pl.DataFrame({"symbol": symbols, "_column": np.arange(len(symbols))},
                          schema={"symbol": pl.String, "_column": pl.Int64})
    frame = (frame.join(column, on="symbol", how="left")
             .with_columns(_row=pl.struct("date", "factor").rank("dense").cast(pl.Int64) - 1))
    rows, columns = frame["_row"].to_numpy(), frame["_column"].to_numpy()
    dense = np.full((int(rows.max()) + 1 if frame.height else 0, len(symbols)), np.nan)
    dense[rows, columns] = frame["raw"].to_numpy()
    scores = cross_section_scores(dense, sectors)
    return (
        frame.with_columns(
            pl.Series(name, score[rows, columns], nan_to_null=True)
            for name, score in zip(("z", "rank", "sector_z"), scores, strict=True))
        .select("date", "symbol", "factor", "raw", "z", "rank", "sector_z")
        .sort("factor", "date", "symbol")
    )
