"""Dagster resources: the warehouse and the source clients, both configured from settings."""


from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import dagster as dg

from factor_mart.settings import Backend, Settings, SourceMode
from factor_mart.warehouse import Warehouse, connect, ensure_raw_schema
from factor_mart.warehouse.schema import LOADS_TABLE
from ingestion.raw_schema import RAW_TABLES
from orchestration.lib.sources import make_client

# The tables ensure_raw_schema creates: when all exist a DuckDB run skips its ~30 DDL statements.
_RAW_SCHEMA = frozenset([f"raw.{t}" for t in RAW_TABLES] + [LOADS_TABLE])


@lru_cache(maxsize=32)
def _settings(**fields) -> Settings:
    # Reading the environment costs ~10 ms a time, twice per one-company run; callers use
    # only the fields they pass (live credentials are always read afresh).
    return Settings(**fields)


def _duckdb_raw_schema_exists(wh: Warehouse) -> bool:
    # duckdb_tables() reads the catalog in ~1 ms; information_schema takes ~20 ms.
    found = wh.query("SELECT schema_name || '.' || table_name AS t FROM duckdb_tables() "
                     "WHERE schema_name IN ('raw', 'audit')")["t"]
    return set(found.to_list()) >= _RAW_SCHEMA


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file or PostgreSQL database the mart lives in."""

    backend: str = "duckdb"
    duckdb_path: str = ""
    postgres_dsn: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "WarehouseResource":
        return cls(backend=settings.backend.value, duckdb_path=str(settings.duckdb_path),
                   postgres_dsn=settings.postgres_dsn)

    def settings(self) -> Settings:
        return Settings(backend=self.backend, duckdb_path=self.duckdb_path,
                        postgres_dsn=self.postgres_dsn)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Warehouse]:
        # connect() reads only these three fields: the cached settings cannot go stale.
        where = _settings(backend=self.backend, duckdb_path=self.duckdb_path,
                          postgres_dsn=self.postgres_dsn)
        with connect(where, read_only=read_only) as wh:
            # PostgreSQL always runs the DDL: it also adds natural-key indexes to older tables.
            if not read_only and (wh.backend is Backend.postgres
                                  or not _duckdb_raw_schema_exists(wh)):
                ensure_raw_schema(wh)
            yield wh


class SourcesResource(dg.ConfigurableResource):
    """Hands out replay, synthetic or live clients per source."""

    mode: str = "replay"
    replay_dir: str = ""
    synthetic_symbols: int = 50
    synthetic_years: int = 5
    synthetic_seed: int = 7

    @classmethod
    def from_settings(cls, settings: Settings) -> "SourcesResource":
        return cls(mode=settings.source_mode.value, replay_dir=str(settings.replay_dir),
                   synthetic_symbols=settings.synthetic_symbols,
                   synthetic_years=settings.synthetic_years,
                   synthetic_seed=settings.synthetic_seed)

    def client(self, source: str):
        # Credentials are read from the environment at run time only, never stored in config.
        fields = dict(source_mode=self.mode, replay_dir=self.replay_dir,
                      synthetic_symbols=self.synthetic_symbols,
                      synthetic_years=self.synthetic_years, synthetic_seed=self.synthetic_seed)
        live = self.mode == SourceMode.live.value
        return make_client(source, Settings(**fields) if live else _settings(**fields))
