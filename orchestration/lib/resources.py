"""Dagster resources: the warehouse and the source clients, both configured from settings."""


from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from factor_mart.settings import Settings
from factor_mart.warehouse import Warehouse, connect, ensure_raw_schema
from orchestration.lib.sources import make_client


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
        with connect(self.settings(), read_only=read_only) as wh:
            if not read_only:
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
        settings = Settings(source_mode=self.mode, replay_dir=self.replay_dir,
                            synthetic_symbols=self.synthetic_symbols,
                            synthetic_years=self.synthetic_years,
                            synthetic_seed=self.synthetic_seed)
        return make_client(source, settings)
