"""The PostgreSQL server tests use: skip without it locally, fail without it under CI=true."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse.scratch import scratch_database

PG_ADMIN_DSN = os.environ.get("FACTOR_MART_TEST_PG_DSN",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


def require_postgres() -> None:
    """Skip (or, with CI=true, fail) the test when the server is unreachable."""
    try:
        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_DSN}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_DSN}")


@contextmanager
def backend_settings(backend: str, folder: Path) -> Iterator[Settings]:
    """A fresh warehouse on ``backend``: a DuckDB file in ``folder``, or a scratch PostgreSQL
    database (dropped afterwards; skipped, or failed under CI=true, without the server)."""
    if backend == "duckdb":
        yield Settings(backend=Backend.duckdb, duckdb_path=folder / "warehouse.duckdb")
        return
    require_postgres()
    with scratch_database(PG_ADMIN_DSN, "fm_test") as dsn:
        yield Settings(backend=Backend.postgres, postgres_dsn=dsn)
