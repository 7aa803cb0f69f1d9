"""Frames written as warehouse tables: whole-table swaps and date-window replacements."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect, replace_partition, replace_table
from factor_mart.warehouse.tables import table_columns

DAYS = [date(2024, 1, d) for d in (2, 3, 4, 5)]


def frame(days: list[date], value: float) -> pl.DataFrame:
    return pl.DataFrame({
        "date": days, "symbol": ["AAA"] * len(days), "value": [value] * len(days),
        "note": [None] * len(days), "flag": pl.Series([1] * len(days), dtype=pl.Int8),
    }, schema_overrides={"note": pl.String})


def read(wh, table: str) -> list[tuple]:
    return wh.query(f"select date, value from {table} order by date").rows()


def test_replace_table_swaps_contents_and_columns(backend_settings):
    with connect(backend_settings) as wh:
        assert replace_table(wh, "marts.demo_table", frame(DAYS, 1.0)) == 4
        wh.execute("create view marts.demo_view as select * from marts.demo_table")
        replace_table(wh, "marts.demo_table", frame(DAYS[:2], 2.0).drop("note"))
        assert read(wh, "marts.demo_table") == [(DAYS[0], 2.0), (DAYS[1], 2.0)]
        assert table_columns(wh, "marts.demo_table") == ["date", "symbol", "value", "flag"]
        assert table_columns(wh, "marts.demo_table__new") is None
        flagged = wh.query("select count(*) as n from marts.demo_table where flag = 1")
        assert flagged["n"][0] == 2


def test_replace_partition_only_touches_its_window(backend_settings):
    with connect(backend_settings) as wh:
        replace_partition(wh, "marts.demo_daily", frame(DAYS, 1.0), "date", DAYS[0], DAYS[-1])
        written = replace_partition(wh, "marts.demo_daily", frame(DAYS[1:3], 5.0), "date",
                                    DAYS[1], DAYS[2])
        assert written == 2
        assert read(wh, "marts.demo_daily") == [
            (DAYS[0], 1.0), (DAYS[1], 5.0), (DAYS[2], 5.0), (DAYS[3], 1.0)]
        # An empty frame over a window deletes that window (a day whose values all went away).
        replace_partition(wh, "marts.demo_daily", frame([], 0.0), "date", DAYS[3], DAYS[3])
        assert [d for d, _ in read(wh, "marts.demo_daily")] == DAYS[:3]


def test_replace_partition_refuses_rows_outside_the_window_and_other_columns(duckdb_settings):
    with connect(duckdb_settings) as wh:
        replace_partition(wh, "marts.demo_daily", frame(DAYS, 1.0), "date", DAYS[0], DAYS[-1])
        with pytest.raises(ValueError, match=r"marts.demo_daily: 1 row\(s\) with date outside"):
            replace_partition(wh, "marts.demo_daily", frame(DAYS[:2], 2.0), "date",
                              DAYS[1], DAYS[1])
        with pytest.raises(ValueError, match="differ from the table's"):
            replace_partition(wh, "marts.demo_daily", frame(DAYS[:1], 2.0).drop("note"), "date",
                              DAYS[0], DAYS[0])
        with pytest.raises(ValueError, match="schema-qualified"):
            replace_table(wh, "demo_table", frame(DAYS, 1.0))
        assert read(wh, "marts.demo_daily")[1] == (DAYS[1], 1.0)


def _window_reads(wh, table: str, index: str) -> tuple[int, int]:
    """Rows ``table`` gave sequential scans and scans of ``index`` so far (this session's
    counters flushed first: PostgreSQL publishes them at most once a second otherwise)."""
    wh.execute("SELECT pg_stat_force_next_flush()")
    found = wh.query(
        "SELECT t.seq_tup_read AS rows, i.idx_scan AS scans FROM pg_stat_user_tables AS t "
        "JOIN pg_stat_user_indexes AS i USING (relid) "
        f"WHERE t.relid = '{table}'::regclass AND i.indexrelname = '{index}'")
    return found["rows"][0], found["scans"][0]


@pytest.mark.postgres
def test_replace_partition_finds_its_window_without_statistics(postgres_dsn):
    # Never analysed (as during a build with autovacuum off), the table is estimated to hold
    # few rows in the window: the planner must still use the BRIN index, not read every row.
    days = pl.date_range(date(2020, 1, 1), date(2020, 12, 31), eager=True).to_list()
    history = pl.concat([frame(days, float(s)).with_columns(symbol=pl.lit(f"S{s}"))
                         for s in range(200)])
    new_day = date(2021, 1, 4)
    settings = Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn)
    with connect(settings) as wh:
        replace_partition(wh, "marts.demo_daily", history, "date", days[0], days[-1])
        rows_before, scans_before = _window_reads(wh, "marts.demo_daily", "demo_daily_date_brin")
        replace_partition(wh, "marts.demo_daily", frame([new_day], 9.0), "date", new_day,
                          new_day)
        rows_after, scans_after = _window_reads(wh, "marts.demo_daily", "demo_daily_date_brin")
        assert wh.query("SELECT reltuples FROM pg_class WHERE oid = 'marts.demo_daily'::regclass"
                        )["reltuples"][0] == -1  # still no statistics
        assert read(wh, "marts.demo_daily")[-1] == (new_day, 9.0)
    assert scans_after == scans_before + 1
    # At most the pages the BRIN summary adds are read again (one 128-page range of 1,001),
    # not the 73,200 rows a sequential scan for the DELETE reads.
    assert rows_after - rows_before < history.height // 4
