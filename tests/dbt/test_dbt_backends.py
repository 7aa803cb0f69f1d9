"""DuckDB and PostgreSQL build the same tables from the same raw rows; the macro panel's
incremental run."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import query, run_dbt
from polars.testing import assert_frame_equal

# Every table this helper's models publish, with its key (the sort order for comparison).
TABLES = {
    "marts.dim_calendar": "trading_date",
    "marts.dim_security": "symbol",
    "marts.dim_macro_series": "series_id",
    "marts.fct_macro_asof": "series_id, trading_date",
    "marts.fct_prices_daily": "symbol, trading_date",
    "intermediate.int_universe_daily": "trading_date, symbol",
    "intermediate.int_corporate_actions": "symbol, ex_date",
    "intermediate.int_prices_bad_bars": "symbol, trading_date",
    "intermediate.int_macro_vintage_states": "series_id, vintage_date",
}


@pytest.mark.postgres
@pytest.mark.parametrize("table", TABLES)
def test_both_backends_build_identical_tables(duckdb_warehouse, postgres_warehouse, table):
    sql = f"select * from {table} order by {TABLES[table]}"
    duck, pg = query(duckdb_warehouse, sql), query(postgres_warehouse, sql)
    assert duck.height > 0
    assert_frame_equal(duck, pg, check_dtypes=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.postgres
def test_postgres_date_tables_are_range_partitioned_without_timescaledb(postgres_warehouse):
    if query(postgres_warehouse, "select count(*) as n from pg_extension "
                                 "where extname = 'timescaledb'")["n"][0]:
        pytest.skip("TimescaleDB is installed here: the tables are hypertables instead")
    partitions = query(postgres_warehouse, """
        select parent.relname as parent_table, child.relname as partition_name
        from pg_inherits
        join pg_class as parent on parent.oid = pg_inherits.inhparent
        join pg_class as child on child.oid = pg_inherits.inhrelid
        join pg_namespace as ns on ns.oid = parent.relnamespace
        where ns.nspname = 'marts'""")
    names = set(partitions.filter(pl.col("parent_table") == "fct_prices_daily")["partition_name"])
    assert {"fct_prices_daily_y2014", "fct_prices_daily_y2025", "fct_prices_daily_default"} <= names
    assert "fct_macro_asof_y1991" in set(partitions["partition_name"])


def test_an_incremental_run_recomputes_the_panel_from_the_first_changed_date(duckdb_warehouse,
                                                                            tmp_path):
    order = "order by series_id, trading_date"
    before = query(duckdb_warehouse, f"select * from marts.fct_macro_asof {order}")
    # Sessions missing from the panel (as after a failed run): recomputed from the first on.
    query(duckdb_warehouse, "delete from marts.fct_macro_asof "
                            "where trading_date between '2024-03-04' and '2024-03-08'")
    # A row before them that the run must not touch: mark it so a rewrite would show.
    outside = "where series_id = 'GDP' and trading_date = '2024-03-01'"
    kept = query(duckdb_warehouse, f"select days_since_vintage from marts.fct_macro_asof "
                                   f"{outside}").item()
    query(duckdb_warehouse, f"update marts.fct_macro_asof set days_since_vintage = -1 {outside}")
    run_dbt(duckdb_warehouse, ["run", "--select", "int_macro__recompute", "fct_macro_asof"],
            tmp_path / "target")
    recompute_from = query(duckdb_warehouse, "select recompute_from "
                                             "from intermediate.int_macro__recompute").item()
    after = query(duckdb_warehouse, f"select * from marts.fct_macro_asof {order}")
    query(duckdb_warehouse, f"update marts.fct_macro_asof set days_since_vintage = {kept} "
                            f"{outside}")
    assert str(recompute_from) == "2024-03-04"
    marked = after.filter((pl.col("series_id") == "GDP")
                          & (pl.col("trading_date") == pl.date(2024, 3, 1)))
    assert marked["days_since_vintage"][0] == -1
    restored = after.with_columns(
        days_since_vintage=pl.when(pl.col("days_since_vintage") == -1)
        .then(pl.lit(kept)).otherwise(pl.col("days_since_vintage")))
    assert_frame_equal(before, restored, rel_tol=1e-12)
