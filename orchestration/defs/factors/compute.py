"""Every family computed from one `FactorInputs` and shaped for the mart tables, in two passes
that keep memory bounded whatever the window:

1. Histories, a group of symbols at a time (`ROWS_PER_PASS`): the technical and fundamental
   families and the cross-source series (components, macro betas, growth consistency) read
   only each symbol's own history; the market return, their one universe-wide input, is
   computed first. Their values on the window's sessions go into one dense array
   (column x session x symbol), the warm-up rows and every intermediate column are dropped.
2. Cross-sections, a few sessions at a time (`SESSIONS_PER_CHUNK`): the cross-source z-scores
   and interactions, then every stock-level factor's scores and coverage, as rows to write.

Pure (no warehouse, no Dagster): the assets and the all-catalog look-ahead test both call it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import reduce

import numpy as np
import polars as pl
import pyarrow as pa
from numba import njit

from factor_models.catalog import by_family
from factor_models.inputs import FactorInputs
from factor_models.normalize import cross_section_scores, normalize, sector_layout
from orchestration.defs.factors.families import STOCK_FAMILIES, available
from orchestration.defs.factors.quality import coverage, month_end_sessions, rank_correlations

KEY = ("date", "symbol")
EMPTY_MACRO_SERIES = pl.DataFrame(schema={"date": pl.Date, "factor": pl.String,
                                          "value": pl.Float64})
VALUES_SCHEMA = {"date": pl.Date, "symbol": pl.String, "factor": pl.String, "raw": pl.Float64,
                 "z": pl.Float64, "rank": pl.Float64, "sector_z": pl.Float64}  # as the table
# Bars (with their warm-up) per pass of the per-symbol families, about 125 symbols x 10 years:
# their intermediate columns stay at a few hundred MB. A day's run (~630 bars a symbol) takes
# ~660 symbols at a time: at 125, a month's run (then ~870 bars a symbol) spent 0.2 s more of
# 1.4 in its eight passes at 1,000 symbols.
ROWS_PER_PASS = 420_000
# Up to two months of sessions (whole months): ~4 M rows of scores at 1,000 symbols, ~180 MB
# to write. Two writers and the chunk being built hold three at once: with a quarter each the
# stage's peak RSS was 250 MB higher (3.5 GB against 3.3 GB alone, ten years at 1,000 symbols)
# in the same time; a month each cost 2 s more.
SESSIONS_PER_CHUNK = 42
# EMA-type factors keep a trace of their seed row that fades geometrically: this many rows
# beyond the longest lookback make a window's values match a full-history recompute to ~1e-11.
EMA_SETTLE_ROWS = 600


@dataclass(frozen=True)
class Chunk:
    """The rows of fct_factor_values, fct_factor_coverage and fct_factor_rank_corr for the
    days [start, end]."""

    start: date
    end: date
    values: pl.DataFrame
    coverage: pl.DataFrame
    rank_corr: pl.DataFrame
    non_finite: dict[str, int]  # `non_finite_scores` of values


@dataclass(frozen=True)
class StockPanel:
    """Per-symbol results on the window's sessions: ``values[column, session, symbol]``, NaN
    where there is no value; ``has_bar[session, symbol]``; symbols of a sector adjacent."""

    dates: pl.Series
    symbols: pl.Series
    sectors: list[tuple[int, int]]
    columns: dict[str, int]
    values: np.ndarray
    has_bar: np.ndarray

    def plane(self, column: str, first: int, stop: int) -> np.ndarray:
        """One column's (session, symbol) values for sessions [first, stop)."""
        return self.values[self.columns[column], first:stop]


def _symbol_runs(bars: pl.DataFrame) -> pl.DataFrame:
    """symbol, first row, rows: each symbol's run in bars sorted by symbol, date."""
    return (bars.select("symbol").with_row_index("first")
            .group_by("symbol", maintain_order=True)
            .agg(pl.col("first").first(), rows=pl.len()))


def _finite(frame: pl.DataFrame, name: str) -> np.ndarray:
    """A column as float64 with every null, NaN or infinity as numpy's NaN (no value)."""
    value = pl.col(name).cast(pl.Float64)
    return frame.select(pl.when(value.is_finite()).then(value)).to_series().to_numpy()


def _series_columns() -> list[str]:
    from factor_models.cross_source.betas import BETAS
    from factor_models.cross_source.define import FUNDAMENTAL_COMPONENTS, TECHNICAL_COMPONENTS

    return [*TECHNICAL_COMPONENTS, *FUNDAMENTAL_COMPONENTS, "growth_consistency",
            *(b.name for b in BETAS)]


def _passes(runs: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    """Consecutive slices of `runs` (see `_symbol_runs`) of about ``rows`` bars each: whole
    symbols, at least one a slice."""
    ends = runs["rows"].cum_sum().to_numpy()
    first = 0
    while first < runs.height:
        before = ends[first - 1] if first else 0
        stop = max(first + 1, int(np.searchsorted(ends, before + rows, side="right")))
        yield runs.slice(first, stop - first)
        first = stop


def technical_groups() -> dict[int, list[str]]:
    """The technical factors by the rows of a symbol's history before a date they read: the
    longest lookback of those without a recursive average, and of those with one plus
    EMA_SETTLE_ROWS for its seed to fade. A run with warm-up computes each group on its own
    rows: all of them over the longest cost a day's run ~2x the technical family's time."""
    from factor_models.technical import RECURSIVE

    groups: dict[int, list[str]] = {}
    for recursive in (False, True):
        factors = [f for f in by_family("technical") if (f.name in RECURSIVE) is recursive]
        if factors:
            rows = max(f.lookback for f in factors) + (EMA_SETTLE_ROWS if recursive else 0)
            groups.setdefault(rows, []).extend(f.name for f in factors)
    return groups


def technical_history_rows() -> int:
    """Rows of a symbol's history before a date the technical family reads."""
    return max(technical_groups(), default=0)


def _technical(compute: Callable[..., pl.DataFrame], groups: dict[int, list[str]],
               needed: dict[int, pl.DataFrame], rows: pl.DataFrame, market: pl.DataFrame
               ) -> list[pl.DataFrame]:
    """The technical family's frames: each group of `technical_groups` on the rows it reads,
    or all in one pass when every group reads every row (a full build: the groups' shared
    intermediate columns would be computed twice)."""
    if all(needed[history] is rows for history in groups):
        return [compute(rows, market=market)]
    return [compute(needed[history], names, market=market) for history, names in groups.items()]


def history_rows(families: Iterable[str]) -> int:
    """Bars of each symbol before a window that the per-symbol families read (the fundamental
    family reads only the date's own bar, but the cross-source series read its history; the
    betas' returns may reach further back: see `first_pair_dates`)."""
    from factor_models.cross_source import SERIES_HISTORY_ROWS

    needs = {"technical": technical_history_rows(), "cross_source": SERIES_HISTORY_ROWS}
    return max((needs[f] for f in families if f in needs), default=0)


def _fundamental(compute: Callable[..., pl.DataFrame], inputs: FactorInputs,
                 rows: pl.DataFrame, start: date, with_history: bool
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The fundamental family on the ``rows`` from ``start`` on; on those before it, only the
    components the cross-source series read there (`HISTORY_COMPONENTS`), if ``with_history``.
    A fundamental value reads only its own date's filings and price: the whole family over the
    ~500 warm-up rows a symbol cost a day's run at 1,000 symbols ~0.6 s more, for nothing."""
    from factor_models.cross_source import HISTORY_COMPONENTS

    before = pl.col("date") < start
    window = compute(replace(inputs, bars=rows.filter(~before)))
    earlier = rows.filter(before)
    if not with_history or earlier.is_empty():
        return window, window.clear()
    return window, compute(replace(inputs, bars=earlier), HISTORY_COMPONENTS)


def stock_panel(inputs: FactorInputs, start: date, end: date,
                functions: dict[str, Callable[..., pl.DataFrame]]) -> StockPanel:
    """Pass 1: the per-symbol families on the sessions in [start, end], from the bars (with
    their warm-up history), ROWS_PER_PASS bars at a time (whole symbols). Each family reads only the
    bars of each symbol before the window that it needs (`technical_groups`, the cross-source
    SERIES_HISTORY_ROWS, which revenue growth is read over): in a day's run the rest of the
    warm-up would cost them time for nothing."""
    from factor_models.cross_source import SERIES_HISTORY_ROWS, recent_rows

    bars = inputs.bars.sort("symbol", "date")
    in_window = pl.col("date").is_between(start, end)
    window = bars.filter(in_window)
    dates = window["date"].unique().sort()
    symbols, sectors = sector_layout(window["symbol"].unique().sort().to_list(),
                                     inputs.securities)
    names = [f.name for family in ("technical", "fundamental") if family in functions
             for f in by_family(family)]
    if "cross_source" in functions:
        names += _series_columns()
    columns = {name: i for i, name in enumerate(dict.fromkeys(names))}
    shape = (len(dates), len(symbols))
    values = np.full((len(columns), *shape), np.nan)
    has_bar = np.zeros(shape, dtype=bool)
    column_of = dict(zip(symbols, range(len(symbols)), strict=True))
    session_days = dates.to_physical().to_numpy()
    market = None
    if "technical" in functions:
        from factor_models.technical.market import market_returns

        market = market_returns(bars)
    technical = technical_groups() if "technical" in functions else {}
    # Each family's (or technical group's) rows: keyed by the rows of history it reads.
    recent = {history: recent_rows(bars, start, history)
              for history in {*technical, SERIES_HISTORY_ROWS}}
    runs = _symbol_runs(bars)
    for group in _passes(runs, ROWS_PER_PASS):
        offset, length = group["first"][0], group["rows"].sum()
        rows = bars.slice(offset, length)
        needed = {history: rows if mask is None else rows.filter(mask[offset:offset + length])
                  for history, mask in recent.items()}
        part = replace(inputs, bars=rows, fundamentals=inputs.fundamentals.filter(
            pl.col("symbol").is_in(group["symbol"].implode())), computed={})
        computed, frames = {}, []
        if technical:
            frames = _technical(functions["technical"], technical, needed, rows, market)
            computed["technical"] = reduce(
                lambda wide, more: wide.join(more, on=KEY, how="left", maintain_order="left"),
                sorted(frames, key=len, reverse=True))
        if "fundamental" in functions:
            window, history = _fundamental(functions["fundamental"], part,
                                           needed[SERIES_HISTORY_ROWS], start,
                                           with_history="cross_source" in functions)
            frames.append(window)
            computed["fundamental"] = pl.concat([history, window], how="diagonal_relaxed")
        if "cross_source" in functions:
            from factor_models.cross_source import stock_series

            frames.append(stock_series(replace(part, computed=computed), start))
        kept = rows.filter(in_window)
        # Flat positions in a (session, symbol) plane: one index array per scatter is cheaper
        # than a pair.
        at = (np.searchsorted(session_days, kept["date"].to_physical().to_numpy()) * len(symbols)
              + kept["symbol"].replace_strict(column_of, return_dtype=pl.Int64).to_numpy())
        has_bar.reshape(-1)[at] = True
        filled: set[str] = set()
        for frame in frames:
            # Only the window's rows are converted (the warm-up rows' conversion was ~10% of
            # a month's run).
            frame = frame.filter(in_window)
            if not frame.select(KEY).equals(kept.select(KEY)):
                raise ValueError("a family's frame does not have one row per bar of the window "
                                 "in the bars' order")
            for name in frame.columns:
                if name in columns and name not in filled:
                    values[columns[name]].reshape(-1)[at] = _finite(frame, name)
                    filled.add(name)
        del frames, part, rows, needed, kept
    return StockPanel(dates=dates, symbols=pl.Series("symbol", symbols, pl.String),
                      sectors=sectors, columns=columns, values=values, has_bar=has_bar)


def session_chunks(dates: pl.Series, start: date, end: date, sessions: int
                   ) -> Iterator[tuple[date, date, int, int]]:
    """Days [low, high] and session positions [first, stop): whole calendar months of sessions,
    as many as fit in ``sessions`` (at least one), the chunks' days tiling [start, end] (one
    chunk without sessions when there are none). Whole months: each month's last session, on
    which redundancy is measured, is known within its chunk."""
    if dates.is_empty():
        yield start, end, 0, 0
        return
    months = (dates.dt.year().cast(pl.Int64) * 12 + dates.dt.month()).to_numpy()
    month_stops = np.append(np.flatnonzero(np.diff(months)) + 1, len(dates))
    low, first = start, 0
    while first < len(dates):
        later = month_stops[month_stops > first]
        fitting = later[later - first <= sessions]
        stop = int(fitting[-1] if len(fitting) else later[0])
        high = end if stop == len(dates) else dates[stop - 1]
        yield low, high, first, stop
        low, first = high + timedelta(days=1), stop


@njit(cache=True, nogil=True, error_model="numpy")
def _gather_cells(raw: np.ndarray, z: np.ndarray, rank: np.ndarray, sector_z: np.ndarray,
                  days: np.ndarray, day: np.ndarray, factor: np.ndarray, symbol: np.ndarray,
                  raw_out: np.ndarray, z_out: np.ndarray, rank_out: np.ndarray,
                  sector_z_out: np.ndarray, non_finite: np.ndarray) -> None:
    """The cells of ``raw`` (session x factor x symbol) that have a value, by session, symbol
    and factor, into the ``*_out`` arrays with their keys (``days[session]``, factor and symbol
    positions), and per factor the cells with an infinite score in ``non_finite``. One pass:
    as numpy masks and gathers each column read every cell again (~5x the time, memory
    bound). A symbol's values of a date are adjacent in the table: PostgreSQL's version parts
    keep this order, so a history's index scan reads a page or two per date (`publish`)."""
    sessions, factors, symbols = raw.shape
    k = 0
    for d in range(sessions):
        for s in range(symbols):
            for f in range(factors):
                value = raw[d, f, s]
                if np.isnan(value):
                    continue
                scores = z[d, f, s], rank[d, f, s], sector_z[d, f, s]
                day[k], factor[k], symbol[k] = days[d], f, s
                raw_out[k] = value
                z_out[k], rank_out[k], sector_z_out[k] = scores
                if np.isinf(scores[0]) or np.isinf(scores[1]) or np.isinf(scores[2]):
                    non_finite[f] += 1
                k += 1


def _pooled(rows: int, dtype: type) -> np.ndarray:
    """An empty array in pyarrow's memory pool, which reuses the pages of freed buffers: a
    large numpy array is fresh pages from the kernel every time, whose faults cost more than
    filling them (~0.3 CPU-s a chunk). Frames made from it share it (polars does not copy)."""
    return np.frombuffer(pa.allocate_buffer(rows * np.dtype(dtype).itemsize), dtype)


def _value_rows(dates: pl.Series, names: pl.Series, tickers: pl.Series, rows: int,
                raw: np.ndarray, z: np.ndarray, rank: np.ndarray, sector_z: np.ndarray
                ) -> tuple[pl.DataFrame, dict[str, int]]:
    """fct_factor_values rows of the ``rows`` cells of ``raw`` (session x factor x symbol)
    that have a value, sorted by date, symbol and factor. Also the rows per factor whose z, rank
    or sector_z is infinite (NaN becomes null: no score), which `non_finite_scores` would
    count in them."""
    day = _pooled(rows, np.int32)
    factor, symbol = _pooled(rows, np.uint32), _pooled(rows, np.uint32)
    raw_out, z_out, rank_out, sector_z_out = (_pooled(rows, np.float64) for _ in range(4))
    non_finite = np.zeros(len(names), np.int64)
    _gather_cells(raw, z, rank, sector_z, dates.to_physical().to_numpy().astype(np.int32),
                  day, factor, symbol, raw_out, z_out, rank_out, sector_z_out, non_finite)
    values = pl.DataFrame({
        "date": pl.Series(day).cast(pl.Date).set_sorted(),
        # Enums: gathering codes is cheaper than copying strings (a Series of codes: a numpy
        # index is converted first).
        "symbol": tickers.gather(pl.Series(symbol)),
        "factor": names.gather(pl.Series(factor)),
        "raw": raw_out,
        **{name: pl.Series(score, nan_to_null=True)
           for name, score in (("z", z_out), ("rank", rank_out), ("sector_z", sector_z_out))},
    })
    bad = {str(names[int(f)]): int(non_finite[f]) for f in np.flatnonzero(non_finite)}
    return values, bad


class StockFactors:
    """The stock-level factors of [start, end]: families found, the macro family and regime,
    the per-symbol pass done on construction, scored rows produced chunk by chunk. The inputs
    are not kept: a caller that drops them frees the bars before the second pass."""

    def __init__(self, inputs: FactorInputs, start: date, end: date,
                 skipped: dict[str, str] | None = None) -> None:
        self.start, self.end = start, end
        self.skipped = {} if skipped is None else skipped
        self.functions, missing = available()
        self.skipped |= missing
        self.macro = self.regime = None
        if "macro" in self.functions:
            self.macro = self.functions["macro"](inputs)
            if "regime" in self.functions:
                self.regime = self.functions["regime"](self.macro)
        self.conditions = None
        if "cross_source" in self.functions and self.macro is None:
            self.skipped["cross_source"] = "needs the macro family"
            del self.functions["cross_source"]
        elif "cross_source" in self.functions:
            from factor_models.cross_source import macro_conditions

            self.conditions = macro_conditions(self.macro)
        self.factors = [f.name for family in STOCK_FAMILIES if family in self.functions
                        for f in by_family(family)]
        self.panel = stock_panel(inputs, start, end, self.functions)

    @property
    def families(self) -> list[str]:
        return list(self.functions)

    def _cross_source(self, first: int, stop: int) -> pl.DataFrame:
        """The cross-source factors on sessions [first, stop) for every symbol (session-major)."""
        from factor_models.cross_source import cross_source_values, scored_frame

        panel, days = self.panel, stop - first
        grid = pl.DataFrame({
            "date": panel.dates.slice(first, days).gather(np.repeat(np.arange(days),
                                                                    len(panel.symbols))),
            "symbol": panel.symbols.gather(np.tile(np.arange(len(panel.symbols)), days)),
        }).with_columns(pl.Series(name, panel.plane(name, first, stop).ravel(),
                                  nan_to_null=True) for name in _series_columns())
        return cross_source_values(scored_frame(grid, self.conditions))

    def chunks(self, sessions: int = SESSIONS_PER_CHUNK) -> Iterator[Chunk]:
        """Pass 2: scored rows and coverage, ``sessions`` sessions at a time."""
        panel, factors = self.panel, self.factors
        symbols = len(panel.symbols)
        # Enums: gathering codes is cheaper than copying strings, and DuckDB reads them as
        # dictionaries; the table's columns stay text.
        names = pl.Series("factor", factors, pl.Enum(factors))
        tickers = panel.symbols.cast(pl.Enum(panel.symbols))
        bounds = list(session_chunks(panel.dates, self.start, self.end, sessions))
        # One set of buffers for every chunk (the rows written are copies): allocating ~200 MB
        # of fresh pages per chunk cost more kernel time than the scores' CPU.
        shape = (max(stop - first for _, _, first, stop in bounds), len(factors), symbols)
        buffers = [np.empty(shape) for _ in range(4)]
        for low, high, first, stop in bounds:
            days = stop - first
            raw, z, rank, sector_z = (buffer[:days] for buffer in buffers)
            raw.fill(np.nan)
            cross = self._cross_source(first, stop) if "cross_source" in self.functions \
                and days else None
            for i, name in enumerate(factors):
                if name in panel.columns:
                    raw[:, i] = panel.plane(name, first, stop)
                elif cross is not None:
                    # The cross-source values are computed on every (session, symbol); the
                    # panel's columns have values only where there is a bar already.
                    np.copyto(raw[:, i], _finite(cross, name).reshape(days, symbols),
                              where=panel.has_bar[first:stop])
            del cross
            present = ~np.isnan(raw)
            counts = np.count_nonzero(present, axis=2)
            cross_section_scores(raw.reshape(-1, symbols), panel.sectors,
                                 out=tuple(a.reshape(-1, symbols) for a in (z, rank, sector_z)))
            dates = panel.dates.slice(first, days)
            values, non_finite = _value_rows(dates, names, tickers, int(counts.sum()), raw, z,
                                             rank, sector_z)
            covered = coverage(dates, factors, counts, panel.has_bar[first:stop].sum(axis=1))
            # Redundancy's input, kept per month end so a month's run replaces only its own.
            ends = month_end_sessions(dates, counts.any(axis=1))
            ranks = np.where(present[ends], rank[ends], np.nan)
            yield Chunk(low, high, values, covered,
                        rank_correlations(dates.gather(ends), factors, ranks), non_finite)


@dataclass(frozen=True)
class FactorSet:
    """What one computation produced, ready to write.

    - ``families``: the families computed.
    - ``values``: stock-level factors, long and normalised (fct_factor_values' columns).
    - ``macro_series``: date, factor, value (fct_macro_series).
    - ``regime``: date, regime, signals (fct_macro_regime), or None without the regime model.
    - ``skipped``: family -> why it was not computed.
    """

    families: list[str]
    values: pl.DataFrame
    macro_series: pl.DataFrame
    regime: pl.DataFrame | None
    skipped: dict[str, str] = field(default_factory=dict)


def stock_long(wide: pl.DataFrame) -> pl.DataFrame:
    """A stock family's wide frame as date, symbol, factor, value (finite values only)."""
    return (wide.unpivot(index=list(KEY), variable_name="factor", value_name="value")
            .filter(pl.col("value").is_finite()))


def macro_long(wide: pl.DataFrame) -> pl.DataFrame:
    """The macro wide frame as date, factor, value (finite values only)."""
    return (wide.unpivot(index="date", variable_name="factor", value_name="value")
            .filter(pl.col("value").is_finite()))


def compute_factors(inputs: FactorInputs, start: date | None = None) -> FactorSet:
    """Compute every family and normalise the stock-level ones cross-sectionally per date,
    for the bars' dates from ``start`` (default: all; earlier rows are warm-up)."""
    bounds = inputs.bars.select(pl.col("date").min().alias("first"),
                                pl.col("date").max().alias("last")).row(0)
    stock = StockFactors(inputs, start or bounds[0], bounds[1])
    values = [chunk.values for chunk in stock.chunks()]
    macro = macro_long(stock.macro) if stock.macro is not None else EMPTY_MACRO_SERIES
    return FactorSet(families=stock.families,
                     values=pl.concat(values).cast(VALUES_SCHEMA) if values
                     else pl.DataFrame(schema=VALUES_SCHEMA),
                     macro_series=macro.sort("factor", "date"), regime=stock.regime,
                     skipped=stock.skipped)


def normalized_values(wide: dict[str, pl.DataFrame], securities: pl.DataFrame,
                      start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """The stock families' values of wide frames dated in [start, end], long and normalised
    per date (for callers that hold wide frames, such as the API's bench mart)."""
    def window(frame: pl.DataFrame) -> pl.DataFrame:
        if start is not None:
            frame = frame.filter(pl.col("date") >= start)
        return frame if end is None else frame.filter(pl.col("date") <= end)

    parts = [stock_long(window(wide[name])) for name in STOCK_FAMILIES if name in wide]
    long = (pl.concat(parts) if parts
            else pl.DataFrame(schema={"date": pl.Date, "symbol": pl.String,
                                      "factor": pl.String, "value": pl.Float64}))
    return normalize(long, securities)


def compute_macro_family(inputs: FactorInputs, skipped: dict[str, str]
                         ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Only the macro family and the regime: fct_macro_series rows (date, factor, value) and
    the regime frame (None without the regime model); missing parts noted in ``skipped``."""
    functions, missing = available()
    skipped |= {k: v for k, v in missing.items() if k in ("macro", "regime")}
    if "macro" not in functions:
        return EMPTY_MACRO_SERIES, None
    wide = functions["macro"](inputs)
    regime = functions["regime"](wide) if "regime" in functions else None
    return macro_long(wide).sort("factor", "date"), regime
