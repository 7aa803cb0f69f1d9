"""A scratch PostgreSQL database for the benchmark, dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

# The server the benchmark creates its scratch database on (trust auth on this kind of VM).
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_database(admin_dsn: str | None = None) -> Iterator[str]:
    """Create `fm_bench_<random>`, yield its DSN, drop it (even when the build fails)."""
    admin = admin_dsn or os.environ.get("FACTOR_MART_BENCH_POSTGRES_ADMIN_DSN", DEFAULT_ADMIN_DSN)
    name = f"fm_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"create database {name}")
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"drop database if exists {name} with (force)")
