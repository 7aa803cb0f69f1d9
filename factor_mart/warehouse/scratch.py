"""A throwaway PostgreSQL database (tests, benchmarks): created, yielded, dropped."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def scratch_database(admin_dsn: str, prefix: str) -> Iterator[str]:
    """Create `<prefix>_<random>` on the server of `admin_dsn`, yield its DSN, drop it after
    (even when the work inside fails; open connections are cut)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(admin_dsn, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
