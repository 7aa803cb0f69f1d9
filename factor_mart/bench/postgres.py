"""A scratch PostgreSQL database for the benchmark, dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from factor_mart.warehouse.scratch import scratch_database as _scratch

# The server the benchmark creates its scratch database on (trust auth on this kind of VM).
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_database(admin_dsn: str | None = None) -> Iterator[str]:
    """Create `fm_bench_<random>`, yield its DSN, drop it (even when the build fails)."""
    admin = admin_dsn or os.environ.get("FACTOR_MART_BENCH_POSTGRES_ADMIN_DSN", DEFAULT_ADMIN_DSN)
    with _scratch(admin, "fm_bench") as dsn:
        yield dsn
