"""Module-wide warehouses for the dbt tests: raw data landed once per backend, dbt built once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner
from dbt_raw_data import all_batches
from polars.testing import assert_frame_equal

from factor_mart.settings import PROJECT_ROOT, Backend, Settings
from factor_mart.warehouse import connect, ensure_raw_schema, land
from factor_mart.warehouse.scratch import scratch_database
from tests.postgres import PG_ADMIN_DSN, require_postgres

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The marts this helper owns, with everything upstream (fundamentals are tested on their own);
# the macro panel's ledger, so that the next run is incremental.
BUILD_SELECTION = ["+dim_calendar", "+dim_security", "+dim_macro_series",
                   "+int_macro__processed_states", "+fct_prices_daily", "+int_universe_daily"]


class DbtBuildError(RuntimeError):
    """dbt build failed; the message lists the failing nodes."""


def run_dbt(settings: Settings, args: list[str], target_path: Path):
    """Run one dbt command in-process against ``settings``' warehouse; raise if it fails."""
    env = settings.dbt_env()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = dbtRunner().invoke([
            *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target_path), "--log-path", str(target_path / "logs"),
            "--target", settings.backend.value, "--no-partial-parse", "--quiet",
        ])
    finally:
        # dbt-duckdb keeps the database open in-process; let go of the file lock so other
        # processes (the Dagster-run dbt, a second connection mode) can open it.
        DuckDBConnectionManager.close_all_connections()
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    if not result.success:
        failures = [f"{r.node.unique_id}: {r.status} {r.message}"
                    for r in (result.result or []) if str(r.status) in ("error", "fail")]
        raise DbtBuildError(f"dbt {' '.join(args)} failed on {settings.backend}: "
                            f"{failures or result.exception}")
    return result


def query(settings: Settings, sql: str) -> pl.DataFrame:
    """Run one statement on a built warehouse and return its rows."""
    with connect(settings) as warehouse:
        return warehouse.query(sql)


def ordered_tables(settings: Settings, tables: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Every row of each table, ordered by its key columns (``tables``: name -> ORDER BY),
    to compare two builds."""
    return {t: query(settings, f"select * from {t} order by {keys}") for t, keys in tables.items()}



def assert_same_tables(incremental: dict[str, pl.DataFrame], full: dict[str, pl.DataFrame]
                       ) -> None:
    """Each table of an incremental build non-empty and exactly equal to the full refresh's."""
    for table, rows in incremental.items():
        assert rows.height > 0, table
        try:
            assert_frame_equal(rows, full[table], check_exact=True)
        except AssertionError as error:
            raise AssertionError(f"{table}: {error}") from None


def land_sample(settings: Settings) -> None:
    with connect(settings) as warehouse:
        ensure_raw_schema(warehouse)
        for source, batches in all_batches().items():
            land(warehouse, batches, load_id=f"test-{source}", source=source)


def build_warehouse(settings: Settings, target_path: Path) -> Settings:
    land_sample(settings)
    run_dbt(settings, ["build", "--select", *BUILD_SELECTION], target_path)
    return settings


@pytest.fixture(scope="session")
def duckdb_warehouse(tmp_path_factory) -> Settings:
    """A DuckDB file with the sample landed and the models built (tests included)."""
    folder = tmp_path_factory.mktemp("dbt_duckdb")
    settings = Settings(backend=Backend.duckdb, duckdb_path=folder / "warehouse.duckdb")
    return build_warehouse(settings, folder / "target")


@pytest.fixture(scope="session")
def postgres_warehouse(tmp_path_factory) -> Iterator[Settings]:
    """A fresh PostgreSQL database with the sample landed and built; dropped afterwards.

    Skips without a server, except under CI=true where a missing server fails.
    """
    require_postgres()
    with scratch_database(PG_ADMIN_DSN, "fm_test") as dsn:
        settings = Settings(backend=Backend.postgres, postgres_dsn=dsn)
        yield build_warehouse(settings, tmp_path_factory.mktemp("dbt_postgres") / "target")
