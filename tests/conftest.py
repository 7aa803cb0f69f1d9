"""Fixtures shared by the whole suite: a scratch DuckDB file and a scratch PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse.scratch import scratch_database
from tests.postgres import PG_ADMIN_DSN, require_postgres

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards.

    Skips with a visible reason on a laptop without a server; under CI=true a missing server
    fails the test instead.
    """
    require_postgres()
    with scratch_database(PG_ADMIN_DSN, "fm_test") as dsn:
        yield dsn


@pytest.fixture
def duckdb_settings(tmp_path: Path) -> Settings:
    return Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "warehouse.duckdb")


@pytest.fixture(params=["duckdb", "postgres"])
def backend_settings(request, tmp_path: Path) -> Settings:
    """Settings for each backend in turn (the PostgreSQL one gets its own database)."""
    if request.param == "duckdb":
        return Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "warehouse.duckdb")
    dsn = request.getfixturevalue("postgres_dsn")
    return Settings(backend=Backend.postgres, postgres_dsn=dsn)
