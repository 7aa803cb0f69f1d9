"""stg_ibkr__bars is incremental: a run after new loads restages only their keys, and the table
equals a full refresh, including a re-delivered bar whose symbol is spelled differently."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import query, run_dbt
from dbt_raw_data import ibkr_sample_batches
from polars.testing import assert_frame_equal

from factor_mart.settings import Settings
from factor_mart.warehouse import connect, ensure_raw_schema, land
from ingestion.batch import Batch
from tests.postgres import backend_settings

SECOND_LOAD_FROM = date(2024, 6, 1)
SELECT = ["run", "--select", "stg_ibkr__bars"]


def _part(batches: list[Batch], second: bool) -> list[Batch]:
    late = pl.col("bar_date") >= SECOND_LOAD_FROM
    return [Batch(b.table, b.rows.filter(late if second else ~late)) for b in batches]


def _bars(settings: Settings) -> pl.DataFrame:
    return query(settings, "select * from staging.stg_ibkr__bars "
                           "order by symbol, bar_date, what_to_show")


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres",
                                                           marks=pytest.mark.postgres)])
def test_incremental_bars_equal_a_full_refresh(backend: str, tmp_path: Path):
    with backend_settings(backend, tmp_path) as settings:
        _check_incremental_equals_full(settings, tmp_path)


def _check_incremental_equals_full(settings: Settings, tmp_path: Path) -> None:
    batches = ibkr_sample_batches()
    with connect(settings) as wh:
        ensure_raw_schema(wh)
        land(wh, _part(batches, second=False), "load-1", "ibkr")
    run_dbt(settings, SELECT, tmp_path / "target")
    staged_first = _bars(settings).height
    with connect(settings) as wh:
        land(wh, _part(batches, second=True), "load-2", "ibkr")
        # One stored bar again, its symbol in lower case: the dedup keeps the larger load_id.
        redelivered = _part(batches, second=False)[0].rows.head(1).with_columns(
            symbol=pl.col("symbol").str.to_lowercase(), close=pl.lit(123.0))
        land(wh, [Batch("ib_bars", redelivered)], "load-3", "ibkr")
    run_dbt(settings, SELECT, tmp_path / "target")
    incremental = _bars(settings)
    run_dbt(settings, [*SELECT, "--full-refresh"], tmp_path / "target")
    full = _bars(settings)
    assert 0 < staged_first < incremental.height
    assert incremental.filter(pl.col("load_id") == "load-3")["close_price"].to_list() == [123.0]
    assert_frame_equal(incremental, full)
