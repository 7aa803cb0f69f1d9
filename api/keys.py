"""API keys: random secrets shown once, stored only as SHA-256 hashes (SQLite or PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from factor_mart.settings import Backend, Settings

PREFIX = "fm"
_DDL = """CREATE TABLE IF NOT EXISTS {table} (
    key_id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_sha256 TEXT NOT NULL,
    rate_limit_per_minute INTEGER, created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)"""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    rate_limit_per_minute: int | None
    created_at: datetime
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


def split(token: str) -> tuple[str, str] | None:
    """`fm_<key_id>_<secret>` -> (key_id, secret); None when it is not shaped like a key."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class KeyStore:
    """Where keys live: a SQLite file beside the DuckDB file, or table api.keys in PostgreSQL."""

    def __init__(self, settings: Settings) -> None:
        self.postgres = settings.backend is Backend.postgres
        self.dsn = settings.postgres_dsn
        self.path = settings.api_keys_path or settings.duckdb_path.parent / "api_keys.sqlite"
        self.table = "api.keys" if self.postgres else "api_keys"
        self._created = False  # the table exists (checked once per store, not per call)

    def _connect(self):
        if self.postgres:
            con = psycopg.connect(self.dsn, autocommit=True)
            if not self._created:
                con.execute("CREATE SCHEMA IF NOT EXISTS api")
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, isolation_level=None, timeout=10,
                                  detect_types=sqlite3.PARSE_DECLTYPES)
        if not self._created:
            con.execute(_DDL.format(table=self.table))
            self._created = True
        return con

    def _sql(self, sql: str) -> str:
        return sql.format(table=self.table).replace("?", "%s" if self.postgres else "?")

    def create(self, name: str, rate_limit_per_minute: int | None = None) -> tuple[ApiKey, str]:
        """A new key and its full token (shown once; only the hash is stored)."""
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32).replace("_", "-")
        now = datetime.now(UTC).replace(tzinfo=None)
        with closing(self._connect()) as con:
            con.execute(self._sql("INSERT INTO {table} VALUES (?, ?, ?, ?, ?, NULL)"),
                        [key_id, name, _hash(secret), rate_limit_per_minute, now])
        return ApiKey(key_id, name, rate_limit_per_minute, now, None), f"{PREFIX}_{key_id}_{secret}"

    def revoke(self, key_id: str) -> bool:
        with closing(self._connect()) as con:
            cur = con.execute(self._sql("UPDATE {table} SET revoked_at = ? "
                                        "WHERE key_id = ? AND revoked_at IS NULL"),
                              [datetime.now(UTC).replace(tzinfo=None), key_id])
            return cur.rowcount == 1

    def list(self) -> list[ApiKey]:
        with closing(self._connect()) as con:
            rows = con.execute(self._sql(
                "SELECT key_id, name, rate_limit_per_minute, created_at, revoked_at "
                "FROM {table} ORDER BY created_at")).fetchall()
        return [ApiKey(*row) for row in rows]

    def verify(self, token: str) -> ApiKey | None:
        """The live key the token belongs to, or None (unknown, wrong secret or revoked)."""
        parts = split(token)
        if parts is None:
            return None
        key_id, secret = parts
        with closing(self._connect()) as con:
            row = con.execute(self._sql(
                "SELECT key_id, name, rate_limit_per_minute, created_at, revoked_at, "
                "secret_sha256 FROM {table} WHERE key_id = ?"), [key_id]).fetchone()
        if row is None or row[4] is not None or not hmac.compare_digest(row[5], _hash(secret)):
            return None
        return ApiKey(*row[:5])
