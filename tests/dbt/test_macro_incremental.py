"""The macro panel is incremental by date: a run recomputes the panel from the first date whose
inputs changed (new days, a vintage that arrived late, a new series, a series' new frequency),
and the panel equals a full refresh after each kind of change."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import assert_same_tables, ordered_tables, query, run_dbt
from dbt_raw_data import fred_batches, ibkr_sample_batches

from factor_mart.settings import Settings
from factor_mart.warehouse import connect, ensure_raw_schema, land
from ingestion.batch import Batch
from tests.postgres import backend_settings

BUILD = ["build", "--select", "+int_macro__processed_states", "--indirect-selection",
         "cautious"]
CUT = date(2025, 12, 24)  # the first load has vintages and bars before it, the second the rest
LATE = ("GDP", date(2014, 5, 29))  # GDP's second estimate of 2014Q1, delivered late
NEW = "DTWEXBGS"  # a series added to the warehouse later; first vintage 2006-01-09
RECLASSIFIED = "UNRATE"  # first vintage 1990-02-07; its metadata changes frequency
TABLES = {"marts.fct_macro_asof": "series_id, trading_date",
          "intermediate.int_macro__processed_states": "series_id, vintage_date"}


def _fred(table: str, keep: pl.Expr) -> list[Batch]:
    return [Batch(b.table, b.rows.filter(keep)) for b in fred_batches() if b.table == table]


def _observations(keep: pl.Expr) -> list[Batch]:
    return _fred("fred_observations", keep)


def _series(keep: pl.Expr) -> list[Batch]:
    return _fred("fred_series", keep)


def _bars(first: bool) -> list[Batch]:
    return [Batch(b.table, b.rows.filter((pl.col("bar_date") < CUT) == first))
            for b in ibkr_sample_batches()]


def _recompute(settings: Settings) -> tuple[date, date | None]:
    return query(settings, "select horizon_date, recompute_from "
                           "from intermediate.int_macro__recompute").row(0)


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres",
                                                           marks=pytest.mark.postgres)])
def test_incremental_macro_panel_equals_a_full_refresh(backend: str, tmp_path: Path):
    with backend_settings(backend, tmp_path) as settings:
        _check_incremental_equals_full(settings, tmp_path / "target")


def _build_after(settings: Settings, target: Path, loads: dict[str, list[Batch]]
                 ) -> tuple[date, date | None]:
    """Land each load (its id starts with the source's name), build, return the recompute."""
    with connect(settings) as wh:
        ensure_raw_schema(wh)
        for load_id, batches in loads.items():
            land(wh, batches, load_id, load_id.split("-")[0])
    run_dbt(settings, BUILD, target)
    return _recompute(settings)


def _check_incremental_equals_full(settings: Settings, target: Path) -> None:
    series, start = pl.col("series_id"), pl.col("realtime_start")
    late = (series == LATE[0]) & (start == LATE[1])
    early = _observations((series != NEW) & (start < CUT) & ~late)
    first = _build_after(settings, target, {"fred-1": early + _series(series != NEW),
                                            "ibkr-1": _bars(True)})
    assert first == (date(2025, 12, 23), None)  # a first build computes every row

    # New days: from the day after the panel's last date on, up to the new horizon.
    later = _observations((series != NEW) & (start >= CUT))
    assert _build_after(settings, target, {"fred-2": later}) == (date(2026, 1, 1), CUT)
    assert query(settings, "select max(trading_date) as d from marts.fct_macro_asof"
                 ).item() == date(2025, 12, 31)  # the last session up to the horizon
    # Bars up to the horizon: no new session, nothing recomputed (the day after the last).
    assert _build_after(settings, target, {"ibkr-2": _bars(False)}) == (
        date(2026, 1, 1), date(2026, 1, 1))
    # A vintage that arrives late changes the series' states from its date on.
    assert _build_after(settings, target, {"fred-3": _observations(late)}
                        )[1] == LATE[1]
    # A new series: its whole history.
    assert _build_after(settings, target, {"fred-4": _observations(series == NEW)
                                           + _series(series == NEW)})[1] == date(2006, 1, 9)
    # New metadata: the frequency is on every row of the series.
    reclassified = [Batch(b.table, b.rows.with_columns(
        frequency=pl.lit("Quarterly"), last_updated=pl.lit(datetime(2026, 1, 5)),
        available_at=pl.lit(datetime(2026, 1, 5)))) for b in _series(series == RECLASSIFIED)]
    assert _build_after(settings, target, {"fred-5": reclassified})[1] == date(1990, 2, 7)
    assert query(settings, f"select distinct frequency from marts.fct_macro_asof "
                           f"where series_id = '{RECLASSIFIED}'").item() == "Quarterly"
    incremental = ordered_tables(settings, TABLES)

    run_dbt(settings, [*BUILD, "--full-refresh"], target)
    assert _recompute(settings)[1] is None
    full = ordered_tables(settings, TABLES)
    assert_same_tables(incremental, full)
