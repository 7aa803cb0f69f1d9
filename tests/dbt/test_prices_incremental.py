"""The price models are incremental by symbol and date: a run after new IB loads recomputes each
symbol's rows after the last day that cannot have changed (its whole history after a split or a
new newest adjustment factor), and every price table equals a full refresh."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import assert_same_tables, ordered_tables, query, run_dbt
from dbt_raw_data import BAD_BARS_SYMBOL, aapl_batches, bad_bar_batches, ibkr_sample_batches

from factor_mart.settings import Settings
from factor_mart.warehouse import connect, ensure_raw_schema, land
from ingestion.batch import Batch
from tests.postgres import backend_settings

BUILD = ["build", "--select", "+int_prices__processed_loads", "+dim_security", "+dim_calendar",
         "+int_universe_daily", "--indirect-selection", "cautious"]
# Where each symbol's bars split into three loads: AAPL's second load starts on its 7:1 split,
# its third on a dividend ex-date; the synthetic sample's last loads are its last few days.
CUTS = {"AAPL": (date(2014, 6, 9), date(2014, 8, 7)),
        BAD_BARS_SYMBOL: (date(2015, 3, 9), date(2015, 3, 10))}
SAMPLE_CUTS = (date(2025, 12, 24), date(2025, 12, 30))
CORRECTED = ("MRVL", date(2021, 6, 15))  # a TRADES bar delivered again, another close
TABLES = {
    "intermediate.int_prices_adjustment_factors": "symbol, trading_date",
    "intermediate.int_prices_bad_bars": "symbol, trading_date",
    "intermediate.int_corporate_actions": "symbol, ex_date",
    "intermediate.int_prices_adjusted": "symbol, trading_date",
    "intermediate.int_security_master": "symbol",
    "intermediate.int_universe_daily": "trading_date, symbol",
    "marts.fct_prices_daily": "symbol, trading_date",
    "marts.dim_security": "symbol",
}


def _load(batches: list[Batch], number: int) -> list[Batch]:
    """The rows of load ``number`` (0, 1, 2) by the cut dates of their symbol."""
    parts = []
    for batch in batches:
        rows = batch.rows
        first, second = pl.lit(SAMPLE_CUTS[0]), pl.lit(SAMPLE_CUTS[1])
        for symbol, (one, two) in CUTS.items():
            first = pl.when(pl.col("symbol") == symbol).then(pl.lit(one)).otherwise(first)
            second = pl.when(pl.col("symbol") == symbol).then(pl.lit(two)).otherwise(second)
        day = pl.col("bar_date")
        keep = [day < first, (day >= first) & (day < second), day >= second][number]
        parts.append(Batch(batch.table, rows.filter(keep)))
    return parts


def _corrected_bar(batches: list[Batch]) -> Batch:
    symbol, day = CORRECTED
    rows = pl.concat([b.rows for b in batches]).filter(
        (pl.col("symbol") == symbol) & (pl.col("bar_date") == day)
        & (pl.col("what_to_show") == "TRADES"))
    assert rows.height == 1
    # Landing is idempotent by natural key: the re-delivery spells the symbol in lower case
    # (staging trims and upper-cases it, and keeps the newer load).
    return Batch("ib_bars", rows.with_columns(symbol=pl.col("symbol").str.to_lowercase(),
                                              close=(pl.col("high") + pl.col("low")) / 2))


def _recompute(settings: Settings) -> dict[str, date | None]:
    return dict(query(settings, "select symbol, recompute_after "
                                "from intermediate.int_prices__recompute").rows())


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres",
                                                           marks=pytest.mark.postgres)])
def test_incremental_prices_equal_a_full_refresh(backend: str, tmp_path: Path):
    with backend_settings(backend, tmp_path) as settings:
        _check_incremental_equals_full(settings, tmp_path / "target")


def _check_incremental_equals_full(settings: Settings, target: Path) -> None:
    batches = ibkr_sample_batches() + aapl_batches() + bad_bar_batches()
    with connect(settings) as wh:
        ensure_raw_schema(wh)
        land(wh, _load(batches, 0), "load-1", "ibkr")
    run_dbt(settings, BUILD, target)
    first = _recompute(settings)
    assert first and set(first.values()) == {None}  # a first build computes every row

    with connect(settings) as wh:
        land(wh, _load(batches, 1), "load-2", "ibkr")
    run_dbt(settings, BUILD, target)
    second = _recompute(settings)
    # The split: AAPL's whole history (its volume is scaled by later splits).
    assert second["AAPL"] is None
    # ZZBAD has no adjusted bars: no factor was observed, every row is recomputed.
    assert second[BAD_BARS_SYMBOL] is None
    # The synthetic symbols continue after their last kept day, the day before the new bars.
    assert second["MRVL"] == date(2025, 12, 23)

    with connect(settings) as wh:
        land(wh, _load(batches, 2), "load-3", "ibkr")
        land(wh, [_corrected_bar(batches)], "load-4", "ibkr")
    run_dbt(settings, BUILD, target)
    third = _recompute(settings)
    assert third["AAPL"] is None  # the dividend changes the newest factor, which scales all
    assert third["MRVL"] == date(2021, 6, 14)  # the session before the corrected bar
    assert third["GOOGL"] == date(2025, 12, 29)
    assert query(settings, "select count(*) as n from intermediate.int_prices__processed_loads"
                 )["n"][0] == 4
    incremental = ordered_tables(settings, TABLES)
    symbol, day = CORRECTED
    corrected = _corrected_bar(batches).rows["close"][0]
    assert query(settings, f"select raw_close from marts.fct_prices_daily where symbol = "
                           f"'{symbol}' and trading_date = '{day}'").item() == corrected

    run_dbt(settings, [*BUILD, "--full-refresh"], target)
    assert set(_recompute(settings).values()) == {None}
    full = ordered_tables(settings, TABLES)
    assert_same_tables(incremental, full)
