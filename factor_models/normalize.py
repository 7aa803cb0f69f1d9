"""Cross-sectional normalisation per date: winsorised z-score, percentile rank, sector-neutral z.

Every score uses only the same date's cross-section, so normalising never looks ahead.

The scores are computed on dense arrays, one row per cross-section (a date and a factor), one
column per symbol, NaN where the symbol has no value: sorting a thousand-name row in numpy and
reducing along it is several times cheaper than polars window expressions over a long frame of
(date, factor) groups, and rows are independent, so blocks of rows run on every core.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

WINSOR_QUANTILES = (0.01, 0.99)
MIN_CROSS_SECTION = 5  # fewer names than this on a date: no score (a z of 3 names is noise)
MIN_SECTOR = 3  # fewer names of a sector on a date: no sector-neutral z
BLOCK_CELLS = 1 << 21  # rows per block: about 2 M cells (16 MB per float array)

_LOW_BITS = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def sort_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys ordered like the float values, a positive NaN after every number: numpy
    sorts int64 rows with SIMD, float64 rows with NaNs several times slower. -0.0 and 0.0
    get one key, as they compare equal."""
    bits = (values + 0.0).view(np.int64)  # + 0.0 turns -0.0 into 0.0
    return bits ^ ((bits >> 63) & _LOW_BITS)


def _from_keys(keys: np.ndarray) -> np.ndarray:
    """The float values of `sort_keys` keys (the mapping is its own inverse)."""
    return (keys ^ ((keys >> 63) & _LOW_BITS)).view(np.float64)


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


def _quantile(sorted_keys: np.ndarray, count: np.ndarray, q: float) -> np.ndarray:
    """Each row's q-quantile of its first ``count`` sorted values, linear interpolation."""
    rows = np.arange(len(sorted_keys))
    top = np.maximum(count - 1, 0)
    position = q * top
    below = position.astype(np.int64)
    above = np.minimum(below + 1, top)
    low, high = _from_keys(sorted_keys[rows, below]), _from_keys(sorted_keys[rows, above])
    return np.where(low == high, low, (position - below) * (high - low) + low)


def _winsorised(raw: np.ndarray, order: np.ndarray, count: np.ndarray, low: np.ndarray,
                high: np.ndarray) -> np.ndarray:
    """``raw`` clipped to each row's [low, high]. Only the values sorted at or below the low
    quantile's lower neighbour can be below ``low`` and only those above the high quantile's
    lower neighbour above ``high`` (about 1% at each end), so only those are visited."""
    winsorised = raw.copy()
    top = np.maximum(count - 1, 0)
    lower_stop = np.where(count > 0, (WINSOR_QUANTILES[0] * top).astype(np.int64) + 1, 0)
    upper_first = (WINSOR_QUANTILES[1] * top).astype(np.int64) + 1
    for bound, first, stop in ((low, np.zeros_like(count), lower_stop),
                               (high, upper_first, count)):
        width = int((stop - first).max(initial=0))
        if width <= 0:
            continue
        position = first[:, None] + np.arange(width)
        moved = position < stop[:, None]
        columns = np.take_along_axis(order, np.minimum(position, raw.shape[1] - 1), axis=1)
        rows = np.broadcast_to(np.arange(len(raw))[:, None], moved.shape)
        winsorised[rows[moved], columns[moved]] = np.broadcast_to(bound[:, None],
                                                                   moved.shape)[moved]
    return winsorised


def _standardise(values: np.ndarray, weights: np.ndarray, count: np.ndarray,
                 varies: np.ndarray, out: np.ndarray) -> None:
    """``out`` = (value - row mean) / row sample std over the present values (``weights``
    1.0, else 0.0; ``values`` 0.0 where absent); NaN on rows that do not ``varies``. Defined
    only where a value is present."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = values.sum(axis=1) / count
        np.subtract(values, mean[:, None], out=out)
        out *= weights
        std = np.sqrt(np.einsum("ij,ij->i", out, out) / (count - 1))
        out /= std[:, None]
    out[~varies] = np.nan


def _score_block(raw: np.ndarray, sectors: Sequence[tuple[int, int]], z: np.ndarray,
                 rank: np.ndarray, sector_z: np.ndarray) -> None:
    """Scores of a block of rows, written into ``z``, ``rank`` and ``sector_z``."""
    present = ~np.isnan(raw)
    count = np.count_nonzero(present, axis=1)
    scored = count >= MIN_CROSS_SECTION
    keys = sort_keys(raw)
    order = np.argsort(keys, axis=1)
    sorted_keys = np.take_along_axis(keys, order, axis=1)
    del keys
    low, high = (_quantile(sorted_keys, count, q) for q in WINSOR_QUANTILES)
    winsorised = _winsorised(raw, order, count, low, high)
    weights = present.astype(np.float64)
    filled = np.where(present, winsorised, 0.0)
    # The winsorised values vary exactly when the quantiles differ; a constant row has no z
    # (its standard deviation is 0, which rounding could otherwise turn into a tiny number).
    _standardise(filled, weights, count, scored & (high > low), z)
    with np.errstate(invalid="ignore", divide="ignore"):
        ranked = average_ranks(sorted_keys, count) / count[:, None]
    ranked[~scored] = np.nan
    np.put_along_axis(rank, order, ranked, axis=1)
    for first, stop in sectors:
        members = np.count_nonzero(present[:, first:stop], axis=1)
        part = winsorised[:, first:stop]
        varies = scored & (members >= MIN_SECTOR) & (
            np.fmax.reduce(part, axis=1) > np.fmin.reduce(part, axis=1))
        _standardise(filled[:, first:stop], weights[:, first:stop], members, varies,
                     sector_z[:, first:stop])


def cross_section_scores(raw: np.ndarray, sectors: Sequence[tuple[int, int]] = ()
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
    """
    raw = np.ascontiguousarray(raw, dtype=np.float64)
    if raw.ndim != 2:
        raise ValueError(f"raw must be 2-D (cross-sections x symbols), got shape {raw.shape}")
    z, rank, sector_z = (np.empty_like(raw) for _ in range(3))
    no_sector = np.ones(raw.shape[1], dtype=bool)
    for first, stop in sectors:
        no_sector[first:stop] = False
    sector_z[:, no_sector] = np.nan
    if raw.size == 0:
        return z, rank, sector_z
    step = max(1, BLOCK_CELLS // raw.shape[1])

    def block(first: int) -> None:
        part = slice(first, first + step)
        _score_block(raw[part], sectors, z[part], rank[part], sector_z[part])

    starts = range(0, raw.shape[0], step)
    workers = min(os.cpu_count() or 1, len(starts))
    if workers == 1:
        for first in starts:
            block(first)
    else:  # numpy releases the GIL in sorts and reductions: blocks run in parallel
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
