"""The PostgreSQL server tests use: skip without it locally, fail without it under CI=true."""

from __future__ import annotations

import os

import psycopg
import pytest

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
