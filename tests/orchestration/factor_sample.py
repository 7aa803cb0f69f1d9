"""A small synthetic universe built like `make demo` (sources -> dbt -> factors), once per test
session per backend: the factor tests read its marts."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

from rich.console import Console

from factor_mart.demo import run_demo
from factor_mart.settings import Backend, Settings, SourceMode

# Four years: enough sessions that even the 756-session factors have values to compare.
SYMBOLS, YEARS, SEED = 8, 4, 11
# Partitions from 2020: the dbt unit tests of the incremental marts use 2020 dates and fail
# when the run window (min_date) starts after them.
HISTORY_START = "2020-01-01"
LAST_BAR = date(2025, 12, 31)

_built: dict[str, Settings] = {}


def sample_settings(backend: Backend, duckdb_path: Path | None = None,
                    postgres_dsn: str | None = None) -> Settings:
    return Settings(backend=backend, duckdb_path=duckdb_path or (
        # PostgreSQL runs still write evaluation charts beside this path: keep them out of cwd.
        Path(tempfile.mkdtemp(prefix="factor_sample_")) / "unused.duckdb"),
                    postgres_dsn=postgres_dsn, source_mode=SourceMode.synthetic,
                    synthetic_symbols=SYMBOLS, synthetic_years=YEARS, synthetic_seed=SEED,
                    history_start=HISTORY_START)


def build(settings: Settings) -> Settings:
    """Run every demo job (sources, dbt, factors) into ``settings``' warehouse."""
    saved = dict(os.environ)
    try:
        run_demo(settings, Console(quiet=True))
    finally:  # the dbt asset exports its warehouse settings; keep other tests' Settings() clean
        os.environ.clear()
        os.environ.update(saved)
    return settings


def duckdb_sample() -> Settings:
    """The session's built DuckDB sample (copy the file before changing it)."""
    if "duckdb" not in _built:
        folder = Path(tempfile.mkdtemp(prefix="factor_sample_"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _built["duckdb"] = build(sample_settings(Backend.duckdb, folder / "sample.duckdb"))
    return _built["duckdb"]


def copy_of(settings: Settings, folder: Path) -> Settings:
    """The DuckDB sample copied into ``folder``, for a test that writes to it."""
    target = folder / "sample.duckdb"
    shutil.copy(settings.duckdb_path, target)
    return settings.model_copy(update={"duckdb_path": target})
