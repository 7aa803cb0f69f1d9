"""Fields as known on every trading date: vectorised as-of joins over the fundamentals panel.

Three steps, none of them per symbol in Python:

1. States: for each (symbol, metric, period_kind) and each moment its panel rows changed
   (``known_from``), the latest period known by then (a running maximum of ``period_end``).
2. Values: for each state and each ``years_back`` a field asks for, the period ending about that
   many years before the latest one, read in the newest version with ``known_from`` at or before
   the state's moment. Candidate periods are found with an equi-join on the calendar month of
   their end (a 21-day window touches at most two months), then filtered.
3. Dates: the states of all metrics are as-of joined onto one snapshot per (symbol, moment), and
   the snapshots onto the trading dates (``date >= known_from``).

Each value at moment ``e`` reads only rows with ``known_from <= e``, so cutting the panel after a
date changes nothing up to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from factor_models.fundamental.fields import (
    DAYS_PER_YEAR,
    MATCH_TOLERANCE_DAYS,
    MAX_PERIOD_AGE_DAYS,
    Field,
)

GROUP = ("symbol", "metric", "period_kind")
PANEL_COLUMNS = ("symbol", "metric", "period_kind", "period_end", "known_from", "value",
                 "ttm_value")
PANEL_SCHEMA = {"symbol": pl.String, "metric": pl.String, "period_kind": pl.String,
                "period_end": pl.Date, "known_from": pl.Date, "value": pl.Float64,
                "ttm_value": pl.Float64}
_MOMENT = "known_from"


def validated_panel(fundamentals: pl.DataFrame) -> pl.DataFrame:
    """The panel's columns typed; ValueError names a missing column or the first bad row."""
    missing = [c for c in PANEL_COLUMNS if c not in fundamentals.columns]
    if missing:
        raise ValueError(f"fundamentals: missing column(s) {missing}; expected "
                         f"{list(PANEL_COLUMNS)}")
    panel = fundamentals.select(pl.col(c).cast(t) for c, t in PANEL_SCHEMA.items())
    keys = ("symbol", "metric", "period_kind", "period_end", "known_from")
    bad = panel.select(pl.any_horizontal(pl.col(c).is_null() for c in keys)).to_series()
    if bad.any():
        row = panel.row(bad.arg_true()[0], named=True)
        raise ValueError(f"fundamentals: {bad.sum()} row(s) with a null key column; first: {row}")
    return panel


def end_column(group: tuple[str, str]) -> str:
    """The column holding the latest period end of a (metric, period_kind) group."""
    return f"_end_{group[0]}_{group[1]}"


def _states(versions: pl.DataFrame) -> pl.DataFrame:
    """(gid, moment) -> the latest period_end of the group known at that moment."""
    return (
        versions.group_by("gid", _MOMENT)
        .agg(pl.col("period_end").max())
        .sort("gid", _MOMENT)
        .select("gid", _MOMENT, pl.col("period_end").cum_max().over("gid").alias("latest_end"))
    )


def _month(day: pl.Expr) -> pl.Expr:
    return day.dt.year().cast(pl.Int32) * 12 + day.dt.month().cast(pl.Int32)


def _latest_values(states: pl.DataFrame, versions: pl.DataFrame) -> pl.DataFrame:
    """The latest period's newest version known at each moment (years_back = 0)."""
    return states.sort(_MOMENT).join_asof(
        versions.sort(_MOMENT).rename({_MOMENT: "version_from"}),
        left_on=_MOMENT, right_on="version_from", by_left=["gid", "latest_end"],
        by_right=["gid", "period_end"], strategy="backward", check_sortedness=False,
    ).select("gid", _MOMENT, "latest_end", "value", "ttm_value")


def _earlier_values(states: pl.DataFrame, versions: pl.DataFrame) -> pl.DataFrame:
    """For years_back >= 1: the period ending nearest the latest end minus that many years
    (within MATCH_TOLERANCE_DAYS), among periods known at the moment, in its newest version."""
    shift = (pl.col("years_back").cast(pl.Float64) * DAYS_PER_YEAR).round().cast(pl.Int64)
    wanted = states.with_columns(target=pl.col("latest_end") - pl.duration(days=shift))
    tolerance = pl.duration(days=MATCH_TOLERANCE_DAYS)
    buckets = pl.concat([
        wanted.with_columns(bucket=_month(pl.col("target") - tolerance)),
        wanted.with_columns(bucket=_month(pl.col("target") + tolerance)),
    ]).unique(subset=["gid", _MOMENT, "years_back", "bucket"])
    candidates = versions.rename({_MOMENT: "version_from"}).with_columns(
        bucket=_month(pl.col("period_end"))
    )
    key = ["gid", _MOMENT, "years_back"]
    return (
        buckets.join(candidates, on=["gid", "bucket"])
        .with_columns(distance=(pl.col("period_end") - pl.col("target")).abs())
        .filter(pl.col("distance") <= tolerance, pl.col("version_from") <= pl.col(_MOMENT))
        # Nearest period to the target; of equally near ones the later; its newest version.
        .sort([*key, "distance", "period_end", "version_from"],
              descending=[False, False, False, False, True, True])
        .unique(subset=key, keep="first")
        .select(*key, "value", "ttm_value")
    )


def _in_force_from(states: pl.DataFrame, since: date | None) -> pl.DataFrame:
    """`_states` (sorted by gid, moment) from the one in force on ``since`` on: an earlier
    state is superseded on every date asked for (a month's run would otherwise look up the
    fields of each filer's whole filing history)."""
    if since is None:
        return states
    following = pl.col(_MOMENT).shift(-1).over("gid")
    return states.filter((pl.col(_MOMENT) > since) | following.is_null() | (following > since))


def _group_frames(panel: pl.DataFrame, fields: list[Field], since: date | None = None
                  ) -> dict[tuple[str, str], pl.DataFrame]:
    """Per (metric, period_kind): one row per (symbol, moment) with its fields and latest end,
    for the moments in force on ``since`` or later (all by default)."""
    requests = pl.DataFrame(
        sorted({(*f.group, f.years_back) for f in fields}),
        schema={"metric": pl.String, "period_kind": pl.String, "years_back": pl.Int32},
        orient="row",
    )
    wanted_groups = requests.select("metric", "period_kind").unique()
    # One integer id per (symbol, metric, period_kind): later joins and sorts run on integers.
    groups = (panel.select(GROUP).unique()
              .join(wanted_groups, on=["metric", "period_kind"], how="semi")
              .with_row_index("gid"))
    versions = panel.join(groups, on=list(GROUP)).select(
        "gid", "period_end", _MOMENT, "value", "ttm_value")
    # The latest end is a running maximum over every state; the values are looked up among
    # every version (the year-ago periods), only for the states still in force.
    states = _in_force_from(_states(versions), since)
    lags = groups.join(requests.filter(pl.col("years_back") > 0), on=["metric", "period_kind"])
    latest = _latest_values(states, versions).join(groups, on="gid")
    earlier = _earlier_values(states.join(lags.select("gid", "years_back"), on="gid"), versions)
    frames = {}
    for (metric, kind), part in latest.partition_by("metric", "period_kind",
                                                    as_dict=True).items():
        group = (metric, kind)
        frame = part.select("gid", "symbol", _MOMENT, pl.col("latest_end").alias(end_column(group)))
        for field in (f for f in fields if f.group == group):
            source = part if field.years_back == 0 else earlier.filter(
                pl.col("years_back") == field.years_back)
            column = source.select(
                "gid", _MOMENT, pl.col("ttm_value" if field.ttm else "value").alias(field.name)
            )
            frame = frame.join(column, on=["gid", _MOMENT], how="left")
        frames[group] = frame.drop("gid").sort(_MOMENT)
    return frames


def fields_on_dates(
    dates: pl.DataFrame, fundamentals: pl.DataFrame, fields: Iterable[Field]
) -> pl.DataFrame:
    """`dates` (symbol, date, ...) with one column per field: its value as known on the date,
    in the order of ``dates``.

    A field whose latest period ended more than MAX_PERIOD_AGE_DAYS before the date is null.
    """
    fields = list(dict.fromkeys(fields))
    panel = validated_panel(fundamentals)
    frames = _group_frames(panel, fields, dates["date"].min())
    moments = pl.concat([f.select("symbol", _MOMENT) for f in frames.values()]).unique()
    snapshot = moments.sort(_MOMENT)
    for frame in frames.values():
        snapshot = snapshot.join_asof(frame, on=_MOMENT, by="symbol", strategy="backward",
                                      check_sortedness=False)
    joined = (
        dates.with_row_index("_row").sort("date")
        .join_asof(snapshot.sort(_MOMENT), left_on="date", right_on=_MOMENT, by="symbol",
                   strategy="backward", check_sortedness=False)
        # Back in the caller's order: an integer sort, where a caller's sort by symbol and
        # date cost ~40% of a group's fundamentals.
        .sort("_row")
    )
    max_age = pl.duration(days=MAX_PERIOD_AGE_DAYS)
    fresh = {g: (pl.col("date") - pl.col(end_column(g))) <= max_age for g in frames}
    return joined.select(
        *dates.columns,
        # A metric absent from the panel (no filer reports it) gives a null column.
        *(pl.when(fresh[f.group]).then(f()).alias(f.name) if f.group in fresh
          else pl.lit(None, pl.Float64).alias(f.name) for f in fields),
    )
