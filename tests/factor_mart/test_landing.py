"""Landing is idempotent by natural key, atomic, and quarantines rejects — on both backends."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from factor_mart.warehouse import LandingReport, connect, ensure_raw_schema, land
from factor_mart.warehouse.landing import land_partitions
from ingestion.batch import Batch, Rejected
from ingestion.raw_schema import RAW_TABLES


def _bar(day: int, close: float) -> dict:
    return dict(symbol="AAPL", bar_date=date(2024, 1, day), what_to_show="TRADES", open=close,
                high=close + 1, low=close - 1, close=close, volume=1e6, average=close,
                bar_count=10, available_at=datetime(2024, 1, day, 21))


INSTANT = dict(cik=320193, taxonomy="us-gaap", concept="Assets", unit="USD", period_start=None,
               period_end=date(2023, 9, 30), value=352_583_000_000.0,
               accession_number="0000320193-23-000106", fiscal_year=2023, fiscal_period="FY",
               form="10-K", filed=date(2023, 11, 3), frame="CY2023Q3I",
               available_at=datetime(2023, 11, 4))


def _batches() -> list[Batch]:
    bad = Rejected("ibkr", "ib_bars", "AAPL|2024-01-04|TRADES", "negative price: close=-1.0",
                   {"date": "2024-01-04", "close": -1.0}, file="bars/AAPL.TRADES.json")
    return [Batch.from_records("ib_bars", [_bar(2, 185.6), _bar(3, 184.3)], [bad]),
            Batch.from_records("edgar_facts", [INSTANT])]


def test_landing_twice_adds_nothing_and_changes_nothing(backend_settings):
    with connect(backend_settings) as wh:
        ensure_raw_schema(wh)
        first = land(wh, _batches(), "load-1", "test")
        before = {t: wh.query(f"SELECT * FROM raw.{t} ORDER BY 1, 2, 3") for t in RAW_TABLES}
        second = land(wh, _batches(), "load-2", "test")
        after = {t: wh.query(f"SELECT * FROM raw.{t} ORDER BY 1, 2, 3") for t in RAW_TABLES}

    assert dict(first.inserted) == {"ib_bars": 2, "quarantine": 1, "edgar_facts": 1}
    assert second.total_inserted == 0
    assert second.total_rejected == 1  # reported again, stored once
    for table in RAW_TABLES:
        assert before[table].equals(after[table]), table
    bars = after["ib_bars"]
    assert bars["close"].to_list() == [185.6, 184.3]
    assert set(bars["load_id"]) == {"load-1"}
    assert after["edgar_facts"]["period_start"].to_list() == [None]  # an instant has no start


def test_quarantine_keeps_reason_payload_and_file(backend_settings):
    with connect(backend_settings) as wh:
        ensure_raw_schema(wh)
        land(wh, _batches(), "load-1", "test")
        row = wh.query("SELECT * FROM raw.quarantine").row(0, named=True)
        audit = wh.query("SELECT table_name, rows_in, rows_inserted, rows_rejected "
                         "FROM audit.loads ORDER BY table_name")
    assert row["reason"] == "negative price: close=-1.0"
    assert row["record_key"] == "AAPL|2024-01-04|TRADES"
    assert row["file"] == "bars/AAPL.TRADES.json"
    assert '"close": -1.0' in row["payload"]
    assert audit.rows() == [("edgar_facts", 1, 1, 0), ("ib_bars", 2, 2, 1)]


def test_a_failed_landing_stores_nothing(duckdb_settings):
    broken = Batch("ib_bars", pl.DataFrame(schema=RAW_TABLES["ib_bars"].polars_schema))
    broken.rows = pl.DataFrame({"symbol": ["AAPL"]})  # wrong shape: the insert must fail
    with connect(duckdb_settings) as wh:
        ensure_raw_schema(wh)
        with pytest.raises((duckdb.Error, pl.exceptions.PolarsError)):
            land(wh, [_batches()[1], broken], "load-1", "test")
        assert wh.query("SELECT count(*) AS n FROM raw.edgar_facts")["n"][0] == 0


def test_both_backends_create_the_same_columns(duckdb_settings, postgres_dsn):
    from factor_mart.settings import Backend, Settings

    columns = {}
    postgres = Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn)
    for settings in (duckdb_settings, postgres):
        with connect(settings) as wh:
            ensure_raw_schema(wh)
            columns[settings.backend] = wh.query(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'raw' ORDER BY table_name, ordinal_position").rows()
    assert columns["duckdb"] == columns["postgres"]
    assert len(columns["duckdb"]) == sum(len(t.columns) for t in RAW_TABLES.values())


def _partitions() -> list[tuple[str, list[Batch]]]:
    """Three partitions; the second repeats a key of the first with another value."""
    first, facts = _batches()
    again = Batch.from_records("ib_bars", [_bar(3, 999.0), _bar(4, 186.1)])
    return [("AAPL-1", [first]), ("AAPL-2", [again]), ("320193", [facts])]


def _stored(wh) -> dict[str, list[tuple]]:
    tables = {t: wh.query(f"SELECT * FROM raw.{t}") for t in RAW_TABLES}
    # A quarantined record is dated by the landing that stored it.
    tables["quarantine"] = tables["quarantine"].drop("available_at")
    stored = {t: sorted(f.rows(), key=repr) for t, f in tables.items()}
    stored["audit"] = wh.query(
        "SELECT load_id, source, partition_key, table_name, rows_in, rows_inserted, "
        "rows_rejected FROM audit.loads ORDER BY partition_key, table_name").rows()
    return stored


def test_partitions_landed_together_equal_landing_them_one_by_one(backend_settings):
    with connect(backend_settings) as wh:
        ensure_raw_schema(wh)
        together = land_partitions(wh, _partitions(), "load-1", "test")
        stored_together = _stored(wh)
        again = land_partitions(wh, _partitions(), "load-2", "test")
        for table in [*RAW_TABLES, "audit.loads"]:
            wh.execute(f"DELETE FROM {table if '.' in table else 'raw.' + table}")
        one_by_one = LandingReport("load-1")
        for key, batches in _partitions():
            one_by_one.merge(land(wh, batches, "load-1", "test", key))
        stored_one_by_one = _stored(wh)

    assert stored_together == stored_one_by_one
    assert dict(together.inserted) == dict(one_by_one.inserted)
    assert together.inserted["ib_bars"] == 3  # day 3 of the second partition was already there
    assert [b[6] for b in stored_together["ib_bars"]] == [185.6, 184.3, 186.1]  # close
    assert stored_together["audit"] == [
        ("load-1", "test", "320193", "edgar_facts", 1, 1, 0),
        ("load-1", "test", "AAPL-1", "ib_bars", 2, 2, 1),
        ("load-1", "test", "AAPL-2", "ib_bars", 2, 1, 0)]
    assert again.total_inserted == 0 and again.total_rejected == 1


def test_an_overlapping_landing_inserts_only_keys_outside_the_stored_range(duckdb_settings):
    # The anti-join reads only stored rows inside the incoming keys' range; a key range that
    # straddles stored rows (and a null period_start in the key) must still match exactly.
    duration = INSTANT | dict(period_start=date(2022, 10, 1), concept="Revenues")
    with connect(duckdb_settings) as wh:
        ensure_raw_schema(wh)
        land(wh, [Batch.from_records("ib_bars", [_bar(2, 185.6), _bar(4, 181.9)]),
                  Batch.from_records("edgar_facts", [INSTANT])], "load-1", "test")
        second = land(wh, [Batch.from_records("ib_bars", [_bar(d, 180.0) for d in (2, 3, 4, 5)]),
                           Batch.from_records("edgar_facts", [INSTANT, duration])],
                      "load-2", "test")
        bars = wh.query("SELECT bar_date, close FROM raw.ib_bars ORDER BY bar_date").rows()
        facts = wh.query("SELECT concept, load_id FROM raw.edgar_facts ORDER BY 1").rows()
    assert second.inserted == {"ib_bars": 2, "edgar_facts": 1}
    assert bars == [(date(2024, 1, 2), 185.6), (date(2024, 1, 3), 180.0),
                    (date(2024, 1, 4), 181.9), (date(2024, 1, 5), 180.0)]
    assert facts == [("Assets", "load-1"), ("Revenues", "load-2")]
