"""Fixtures shared by the whole suite: a scratch DuckDB file and a scratch PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from factor_mart.settings import Backend, Settings

PG_ADMIN_DSN = os.environ.get("FACTOR_MART_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
FIXTURES = Path(__file__).parent / "fixtures"


def _server_available() -> bool:
    try:
        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards.

    Skips with a visible reason on a laptop without a server; under CI=true a missing server
    fails the test instead.
    """
    if not _server_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_DSN}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_DSN}")
    name = f"fm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
