"""Read what a partition window needs from the marts into `FactorInputs`: the window's dates
plus enough earlier sessions for every factor's lookback (warm-up): the macro panel for the
longest lookback of the catalog, the bars for what the per-symbol families read."""

from __future__ import annotations

from datetime import date

import polars as pl

from factor_mart.warehouse import Warehouse
from factor_models.catalog import load_all
from factor_models.inputs import (
    BARS_COLUMNS,
    FUNDAMENTALS_COLUMNS,
    MACRO_COLUMNS,
    SECURITIES_COLUMNS,
    FactorInputs,
)
from orchestration.defs.factors.compute import EMA_SETTLE_ROWS, history_rows
from orchestration.defs.factors.families import available

BARS_SQL = """
select
    symbol,
    trading_date as date,
    adjusted_open as open,
    adjusted_high as high,
    adjusted_low as low,
    adjusted_close as close,
    adjusted_volume as volume,
    raw_close
from marts.fct_prices_daily
where trading_date between {min_date} and {max_date}
order by symbol, trading_date
"""

SECURITIES_SQL = "select symbol, cik, sector from marts.dim_security order by symbol"


def _macro_panel(wh: Warehouse, min_date: date, max_date: date) -> pl.DataFrame:
    from factor_models.macro.panel import macro_panel_sql

    return wh.query(macro_panel_sql(min_date, max_date))


def _fundamentals_panel(wh: Warehouse, min_date: date, max_date: date) -> pl.DataFrame:
    # Every filed version is kept (year-ago comparisons need old periods); nothing known later.
    from factor_models.fundamental.panel import fundamentals_panel

    return fundamentals_panel(wh).filter(pl.col("known_from") <= max_date)


# Each panel's SQL belongs to its family; these only run it for a date range.
PANELS = {"fundamentals": (_fundamentals_panel, FUNDAMENTALS_COLUMNS),
          "macro": (_macro_panel, MACRO_COLUMNS)}


def sql_date(day: date) -> str:
    """A date literal both DuckDB and PostgreSQL read."""
    return f"date '{day.isoformat()}'"


def warmup_sessions() -> int:
    """Sessions of macro history loaded before a window: the longest catalog lookback (or the
    regime rule's trend window, if longer) plus time for EMA seeds to fade. (One row per
    series and date: cheap whatever the universe.)"""
    longest = max((f.lookback for f in load_all().values()), default=0)
    try:
        from factor_models.regime import TREND_SESSIONS
    except ImportError:
        TREND_SESSIONS = 0  # noqa: N806 (the regime module's constant, when it exists)
    return max(longest, TREND_SESSIONS) + EMA_SETTLE_ROWS


def warmup_start(wh: Warehouse, start: date, sessions: int) -> date:
    """The trading date ``sessions`` sessions before ``start`` (or the calendar's first)."""
    found = wh.query(
        "select min(trading_date) as first_date from (select trading_date from "
        f"marts.dim_calendar where trading_date < {sql_date(start)} "
        f"order by trading_date desc limit {int(sessions)}) as earlier")["first_date"][0]
    return found or start


def _panel(wh: Warehouse, name: str, min_date: date, max_date: date,
           skipped: dict[str, str]) -> pl.DataFrame:
    read, columns = PANELS[name]
    try:
        return read(wh, min_date, max_date)
    except ImportError as error:
        skipped[name] = f"panel unavailable: {error}"
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))


def _first_bar(wh: Warehouse, start: date, macro: pl.DataFrame) -> date:
    """The bars are most of what is read and computed: only the sessions the per-symbol
    families read rows of (EMA_SETTLE_ROWS beyond the technical lookbacks also covers the
    sessions a symbol did not trade), or further back to the session before the first pair a
    macro beta reads."""
    first = warmup_start(wh, start, history_rows(available()[0]))
    try:
        from factor_models.cross_source.betas import first_pair_dates
        from factor_models.macro.panel import validated_macro
    except ImportError:
        return first
    pairs = first_pair_dates(validated_macro(macro), start).values() if macro.height else ()
    return min([first, *(warmup_start(wh, day, 1) for day in pairs)])


def load_inputs(wh: Warehouse, start: date, end: date,
                skipped: dict[str, str] | None = None) -> FactorInputs:
    """Bars, panels and securities for [start, end] with warm-up history before ``start``.

    Every symbol with a bar in the loaded range is included (the point-in-time universe, which
    the market-return factors average over). ``skipped`` collects panels that cannot be read.
    """
    skipped = {} if skipped is None else skipped
    first = warmup_start(wh, start, warmup_sessions())
    macro = _panel(wh, "macro", first, end, skipped)
    bars = wh.query(BARS_SQL.format(min_date=sql_date(_first_bar(wh, start, macro)),
                                    max_date=sql_date(end)))
    return FactorInputs(
        bars=bars,
        fundamentals=_panel(wh, "fundamentals", first, end, skipped),
        macro=macro,
        securities=wh.query(SECURITIES_SQL),
    )


def load_macro_inputs(wh: Warehouse, skipped: dict[str, str] | None = None) -> FactorInputs:
    """The whole macro panel (one row per series and date), without bars or fundamentals."""
    skipped = {} if skipped is None else skipped
    bounds = wh.query("select min(trading_date) as first_date, max(trading_date) as last_date "
                      "from marts.dim_calendar").row(0)
    empty = {name: pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
             for name, (_, columns) in PANELS.items()}
    return FactorInputs(
        bars=pl.DataFrame(schema=dict.fromkeys(BARS_COLUMNS, pl.String)),
        fundamentals=empty["fundamentals"],
        macro=_panel(wh, "macro", *bounds, skipped),
        securities=pl.DataFrame(schema=dict.fromkeys(SECURITIES_COLUMNS, pl.String)),
    )
