"""One settings object, read from the environment (and a `.env` file if present)."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlparse

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


class Backend(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"


class SourceMode(StrEnum):
    replay = "replay"
    synthetic = "synthetic"
    live = "live"


class MissingSetting(RuntimeError):
    """A setting needed for the chosen mode is not set; the message names the variable."""


class Settings(BaseSettings):
    """Everything configurable. Secrets come only from the environment."""

    model_config = SettingsConfigDict(env_prefix="FACTOR_MART_", env_file=".env", extra="ignore")

    backend: Backend = Backend.duckdb
    duckdb_path: Path = PROJECT_ROOT / "warehouse" / "factor_mart.duckdb"
    postgres_dsn: str | None = None

    source_mode: SourceMode = SourceMode.replay
    replay_dir: Path = SAMPLE_DIR
    synthetic_symbols: int = 50
    synthetic_years: int = 5
    synthetic_seed: int = 7
    history_start: str = "2015-01-01"

    # Which keys live sources load (live APIs cannot list "everything").
    edgar_ciks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fred_series: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ib_symbols: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Credentials: read from the vendors' customary variable names, no prefix.
    sec_user_agent: str | None = Field(default=None, validation_alias="SEC_USER_AGENT")
    fred_api_key: str | None = Field(default=None, validation_alias="FRED_API_KEY")
    ib_host: str = Field(default="127.0.0.1", validation_alias="IB_HOST")
    ib_port: int = Field(default=4001, validation_alias="IB_PORT")
    ib_client_id: int = Field(default=17, validation_alias="IB_CLIENT_ID")

    # Serving (api/): published snapshots, streams, auth and limits.
    snapshot_keep: int = 5  # published versions kept readable (as_of reaches back this far)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_broadcast_url: str = "memory://"  # or redis://host:6379/0, postgresql://...
    api_broadcast_channel: str = "factor_mart_events"
    api_auth: bool = True  # False: every route is public
    api_public_routes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["catalog", "health"])
    api_jwt_secret: str | None = None  # HS256 tokens accepted beside API keys when set
    api_rate_limit_per_minute: int = 600
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    api_max_range_days: int = 3700
    api_client_queue: int = 64  # events buffered per stream client before it is dropped
    api_replay_buffer: int = 256  # events kept for SSE Last-Event-ID resume
    api_heartbeat_seconds: float = 15.0
    api_send_timeout_seconds: float = 10.0  # a stream client that blocks a send is dropped
    api_max_subscriptions: int = 50  # per WebSocket connection
    api_ws_messages_per_second: float = 5.0  # per WebSocket connection, sustained
    api_ws_message_burst: int = 20  # messages a connection may send at once; flooding past
    # the limit gets error messages, then (after another burst) the connection is closed
    api_key_cache_seconds: float = 5.0  # a verified API key is trusted this long per process
    # (revocation takes effect within it)
    api_poll_seconds: float = 1.0  # memory:// broadcaster: how often to look for a new version
    api_keys_path: Path | None = None  # SQLite key store; default beside the DuckDB file

    @field_validator("duckdb_path", "replay_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return path if path.is_absolute() else (Path.cwd() / path).resolve()

    @field_validator("edgar_ciks", "fred_series", "ib_symbols", "api_public_routes",
                     "api_cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @cached_property
    def postgres_parts(self) -> dict[str, str]:
        """The DSN split into the parts dbt-postgres wants."""
        if not self.postgres_dsn:
            raise MissingSetting("FACTOR_MART_POSTGRES_DSN is not set (postgresql://user@host/db)")
        url = urlparse(self.postgres_dsn)
        return {
            "host": url.hostname or "127.0.0.1",
            "port": str(url.port or 5432),
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
            "dbname": url.path.lstrip("/") or "factor_mart",
        }

    def dbt_env(self) -> dict[str, str]:
        """Environment variables read by dbt_project/profiles.yml."""
        env = {"FACTOR_MART_BACKEND": self.backend.value,
               "FACTOR_MART_DUCKDB_PATH": str(self.duckdb_path)}
        if self.backend is Backend.postgres:
            env |= {f"FACTOR_MART_PG_{k.upper()}": v for k, v in self.postgres_parts.items()}
        return env

    def require(self, name: str) -> str:
        """A credential the live mode needs, or a clear error naming its variable."""
        value = getattr(self, name)
        if not value:
            raise MissingSetting(f"{name.upper()} is not set; live mode needs it")
        return value
