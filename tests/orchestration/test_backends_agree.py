"""The Python-written marts (factor values, evaluation) are the same on PostgreSQL as on DuckDB:
PostgreSQL writes them with binary COPY and the evaluation reads them back as arrays."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect
from factor_mart.warehouse.scratch import scratch_database
from tests.orchestration.factor_sample import build, duckdb_sample, sample_settings
from tests.postgres import PG_ADMIN_DSN, require_postgres

# Each table with the columns that order its rows (fct_factor_eval_sector is empty on a sample
# of eight symbols: no sector has enough names).
TABLES = {
    "fct_factor_values": "date, symbol, factor",
    "fct_factor_coverage": "date, factor",
    "fct_forward_returns": "date, symbol, horizon",
    "fct_factor_ic": "date, factor, horizon",
    "fct_factor_eval": "factor, horizon",
    "fct_factor_redundancy": "factor_a, factor_b",
}


@pytest.fixture(scope="module")
def postgres_sample() -> Iterator[Settings]:
    require_postgres()
    with scratch_database(PG_ADMIN_DSN, "fm_test") as dsn:
        yield build(sample_settings(Backend.postgres, postgres_dsn=dsn))


def read(settings: Settings, table: str, order: str) -> pl.DataFrame:
    with connect(settings) as wh:
        frame = wh.query(f"SELECT * FROM marts.{table} ORDER BY {order}")
    # Integer widths differ by backend (BIGINT / INTEGER as each driver reports them).
    return frame.with_columns(pl.col(pl.Int32, pl.Int16, pl.Int8).cast(pl.Int64))


@pytest.mark.parametrize("table", sorted(TABLES))
def test_python_marts_are_identical_on_both_backends(postgres_sample, table):
    duck = read(duckdb_sample(), table, TABLES[table])
    pg = read(postgres_sample, table, TABLES[table])
    assert duck.height > 0
    # The PostgreSQL driver's rows carry no type: a column of NULLs only reads as polars Null.
    pg = pg.cast({c: duck.schema[c] for c, t in pg.schema.items() if t == pl.Null})
    assert_frame_equal(pg.select(duck.columns), duck, check_exact=True)
