"""The macro panel: `marts.fct_macro_asof` in the `FactorInputs.macro` shape, checked and reshaped.

One row per (series_id, date): the value known at that session's close (the ALFRED vintage in
effect), the observation it refers to, its first release, and change / pct_change / yoy computed
on that same vintage. ``yoy`` is the year-over-year *fractional* change (``yoy_pct_change``).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from factor_models.inputs import MACRO_COLUMNS

# The orchestration layer fills FactorInputs.macro with this (both backends; bind min/max date).
MACRO_PANEL_SQL = """
select
    series_id,
    trading_date as date,
    value_known as value,
    observation_date,
    first_release_value as first_release,
    change,
    pct_change,
    yoy_pct_change as yoy
from marts.fct_macro_asof
where trading_date between {min_date} and {max_date}
order by series_id, trading_date
"""

MACRO_SCHEMA = {
    "series_id": pl.String,
    "date": pl.Date,
    "value": pl.Float64,
    "observation_date": pl.Date,
    "first_release": pl.Float64,
    "change": pl.Float64,
    "pct_change": pl.Float64,
    "yoy": pl.Float64,
}
assert tuple(MACRO_SCHEMA) == MACRO_COLUMNS

# Column suffixes of the wide daily frame: "<SERIES>" is the value known, "<SERIES>|obs" ...
FIELDS = {"value": "", "observation_date": "|obs", "change": "|chg", "pct_change": "|pct",
          "yoy": "|yoy"}


def macro_panel_sql(min_date: date, max_date: date) -> str:
    """`MACRO_PANEL_SQL` for one date range (ISO literals, valid on DuckDB and PostgreSQL)."""
    return MACRO_PANEL_SQL.format(min_date=f"date '{min_date.isoformat()}'",
                                  max_date=f"date '{max_date.isoformat()}'")


def validated_macro(macro: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The panel typed and sorted by (series_id, date); ValueError names the first bad row."""
    frame = macro.lazy() if isinstance(macro, pl.DataFrame) else macro
    missing = [c for c in MACRO_COLUMNS if c not in frame.collect_schema().names()]
    if missing:
        raise ValueError(f"macro: missing column(s) {missing}; expected {list(MACRO_COLUMNS)}")
    typed = (frame.select(pl.col(c).cast(t) for c, t in MACRO_SCHEMA.items())
             .sort("series_id", "date").collect())
    problems = {
        "null series_id or date": pl.col("series_id").is_null() | pl.col("date").is_null(),
        "duplicate (series_id, date)": pl.struct("series_id", "date").is_duplicated(),
        "observation_date after date": pl.col("observation_date") > pl.col("date"),
    }
    flags = typed.select(**problems)
    for problem, flagged in flags.sum().row(0, named=True).items():
        if flagged:
            first = typed.row(flags[problem].arg_true()[0], named=True)
            raise ValueError(f"macro: {flagged} row(s) with {problem}; first: "
                             f"series_id={first['series_id']}, date={first['date']}")
    return typed


def prints(macro: pl.DataFrame, series_id: str) -> pl.DataFrame:
    """A series' releases in order: one row per observation, valued on the first date it was
    the newest one known (its print), with the change, pct_change and yoy of that vintage."""
    return (
        macro.filter(pl.col("series_id") == series_id, pl.col("observation_date").is_not_null())
        .sort("date")
        .unique("observation_date", keep="first", maintain_order=True)
        .select("observation_date", pl.col("date").alias("printed_on"), "value", "change",
                "pct_change", "yoy")
    )


def wide_daily(macro: pl.DataFrame, series: list[str]) -> pl.DataFrame:
    """One row per date of the panel; for each series its value known and the fields of
    `FIELDS` (null columns for a series the panel does not carry)."""
    dates = macro.select(pl.col("date").unique().sort())
    present = set(macro["series_id"].unique().to_list())
    frame = dates
    for series_id in series:
        if series_id in present:
            block = macro.filter(pl.col("series_id") == series_id).select(
                "date", *(pl.col(field).alias(series_id + suffix)
                          for field, suffix in FIELDS.items()))
            frame = frame.join(block, on="date", how="left")
        else:
            frame = frame.with_columns(
                pl.lit(None, MACRO_SCHEMA[field]).alias(series_id + suffix)
                for field, suffix in FIELDS.items())
    return frame
