"""DDL for the raw schema and the load audit, generated from ingestion.raw_schema."""

from __future__ import annotations

import polars as pl

from factor_mart.settings import Backend
from factor_mart.warehouse.connection import Warehouse
from ingestion.raw_schema import RAW_TABLES, RawTable

_SQL_TYPES = {
    pl.String: {"duckdb": "VARCHAR", "postgres": "TEXT"},
    pl.Float64: {"duckdb": "DOUBLE", "postgres": "DOUBLE PRECISION"},
    pl.Int64: {"duckdb": "BIGINT", "postgres": "BIGINT"},
    pl.Date: {"duckdb": "DATE", "postgres": "DATE"},
    pl.Datetime: {"duckdb": "TIMESTAMP", "postgres": "TIMESTAMP"},
    pl.Boolean: {"duckdb": "BOOLEAN", "postgres": "BOOLEAN"},
}

LOADS_TABLE = "audit.loads"
_LOADS_DDL = f"""
CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, partition_key VARCHAR,
    table_name VARCHAR NOT NULL, rows_in BIGINT, rows_inserted BIGINT, rows_rejected BIGINT,
    finished_at TIMESTAMP NOT NULL
)"""


def sql_type(dtype: pl.DataType, backend: Backend) -> str:
    return _SQL_TYPES[dtype.base_type()][backend.value]


def create_table_sql(table: RawTable, backend: Backend) -> str:
    columns = ",\n    ".join(
        f"{name} {sql_type(dtype, backend)}"
        + (" NOT NULL" if name in table.key and name not in NULLABLE_KEYS else "")
        for name, dtype in table.columns.items()
    )
    return f"CREATE TABLE IF NOT EXISTS raw.{table.name} (\n    {columns}\n)"


# Key columns that are legitimately null (an instant has no start; a company may have no
# ticker); the natural key treats null as a value (NULLS NOT DISTINCT).
NULLABLE_KEYS = {"period_start", "tickers", "exchanges", "sic", "fiscal_year_end", "last_updated"}


def ensure_raw_schema(wh: Warehouse) -> None:
    """Create the raw and audit schemas and tables if missing (idempotent)."""
    for schema in ("raw", "audit"):
        wh.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in RAW_TABLES.values():
        wh.execute(create_table_sql(table, wh.backend))
        if wh.backend is Backend.postgres:
            # The natural key guards idempotency and serves the landing's anti-join probes;
            # DuckDB has no such index because its indexes slow bulk loads.
            wh.execute(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {table.name}_natural_key "
                f"ON raw.{table.name} ({', '.join(table.key)}) NULLS NOT DISTINCT")
    wh.execute(_LOADS_DDL)
    if wh.backend is Backend.postgres:
        # The raw checks join each row's load (max finished_at by load_id): the aggregate
        # reads this index instead of the audit table.
        wh.execute(f"CREATE INDEX IF NOT EXISTS loads_load_id ON {LOADS_TABLE} "
                   "(load_id, finished_at)")
