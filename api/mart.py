"""Read-only access to published mart versions (never the tables a build is writing)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import polars as pl
import psycopg
from psycopg_pool import ConnectionPool

from api.errors import ApiError
from factor_mart.publish import MartVersion, open_snapshot, read_pointer, snapshot_dir
from factor_mart.settings import Backend, Settings

# DuckDB would let one reader cache up to 80% of RAM (the API shares its machine) and give
# each query every core: concurrent requests are the parallelism here (one thread: less CPU
# a request, history p99 24 -> 18 ms with one client).
READ_CONFIG = {"memory_limit": "2GB", "threads": 1}


@dataclass
class Snapshot:
    """One published version; `query` runs SQL where `{m}` names its schema."""

    version: MartVersion
    store: MartStore

    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        return self.store.run(self.version, sql, params or [])

    def columns(self, sql: str, params: list[Any] | None = None) -> dict[str, list]:
        """The result as Python lists by column (no DataFrame): for the hot read routes,
        which encode it straight to JSON."""
        return self.store.columns(self.version, sql, params or [])

    def has_table(self, name: str) -> bool:
        return name in self.version.row_counts or name == "mart_versions"


class MartStore:
    """Finds the current (or an `as_of`) version and runs read-only queries against it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connections: OrderedDict[str, duckdb.DuckDBPyConnection] = OrderedDict()
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None

    @contextmanager
    def _postgres(self) -> Iterator[psycopg.Connection]:
        """A pooled PostgreSQL connection (a new connection per query costs more than most
        queries the API runs)."""
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.settings.require("postgres_dsn"), min_size=1, max_size=8,
                    kwargs={"autocommit": True}, check=ConnectionPool.check_connection,
                    name="factor_mart_api", open=True)
        with self._pool.connection() as con:
            yield con

    def cached(self, version: MartVersion, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per version (versions are immutable, so it never goes stale)."""
        key = (version.location, name)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        return value

    # -- which version -------------------------------------------------------------------
    def latest(self) -> MartVersion | None:
        """The newest published version, or None before the first publish."""
        if self.settings.backend is Backend.duckdb:
            return read_pointer(self.settings)
        with self._postgres() as con:
            try:
                row = con.execute("SELECT * FROM marts.mart_versions "
                                  "ORDER BY version DESC LIMIT 1").fetchone()
            except psycopg.errors.UndefinedTable:
                return None
            if row is None:
                return None
            names = [d.name for d in con.execute("SELECT * FROM marts.mart_versions LIMIT 0")
                     .description]
        return MartVersion.from_row(dict(zip(names, row, strict=True)))

    def current(self) -> Snapshot:
        version = self.latest()
        if version is None:
            raise ApiError(503, "not_published", "no mart version has been published yet; "
                           "run the pipeline (publish_job) first")
        return Snapshot(version, self)

    def as_of(self, knowledge_time: datetime | None) -> Snapshot:
        """The version that was current at `knowledge_time` (naive UTC), if still retained."""
        snapshot = self.current()
        if knowledge_time is None or knowledge_time >= snapshot.version.published_at:
            return snapshot
        versions = self.versions(snapshot)
        earlier = [v for v in versions if v.published_at <= knowledge_time]
        if not earlier:
            raise ApiError(404, "no_version_as_of",
                           f"as_of {knowledge_time.isoformat()} is before the first published "
                           f"version ({versions[-1].published_at.isoformat()})", "as_of")
        chosen = earlier[0]
        if not self.retained(chosen):
            raise ApiError(410, "version_not_retained",
                           f"version {chosen.version} (current at as_of) is no longer retained; "
                           f"the oldest readable version is {self.oldest_retained(versions)}",
                           "as_of")
        return Snapshot(chosen, self)

    def versions(self, snapshot: Snapshot) -> list[MartVersion]:
        """Every published version known to `snapshot`, newest first."""
        rows = snapshot.query("SELECT * FROM {m}.mart_versions ORDER BY version DESC")
        return [MartVersion.from_row(r) for r in rows.iter_rows(named=True)]

    def retained_locations(self) -> set[str]:
        """Snapshot files (DuckDB) or schemas (PostgreSQL) still readable."""
        if self.settings.backend is Backend.duckdb:
            folder = snapshot_dir(self.settings)
            return {p.name for p in folder.glob("mart-*.duckdb")} if folder.exists() else set()
        with self._postgres() as con:
            rows = con.execute("SELECT nspname FROM pg_namespace "
                               "WHERE nspname ~ '^mart_v[0-9]+$'").fetchall()
        return {r[0] for r in rows}

    def retained(self, version: MartVersion) -> bool:
        return version.location in self.retained_locations()

    def oldest_retained(self, versions: list[MartVersion]) -> int | None:
        kept = self.retained_locations()
        numbers = [v.version for v in versions if v.location in kept]
        return min(numbers) if numbers else None

    # -- running queries -----------------------------------------------------------------
    def run(self, version: MartVersion, sql: str, params: list[Any]) -> pl.DataFrame:
        if self.settings.backend is Backend.duckdb:
            cursor = self._duckdb(version).cursor()
            try:
                return cursor.sql(sql.format(m="marts"), params=params).pl()
            finally:
                cursor.close()
        pg_sql = sql.format(m=version.location).replace("?", "%s")
        with self._postgres() as con, con.cursor() as cur:
            cur.execute(pg_sql, params)
            columns = [d.name for d in cur.description]
            return pl.DataFrame(cur.fetchall(), schema=columns, orient="row",
                                infer_schema_length=None)

    def columns(self, version: MartVersion, sql: str, params: list[Any]) -> dict[str, list]:
        if self.settings.backend is Backend.duckdb:
            cursor = self._duckdb(version).cursor()
            try:
                arrays = cursor.execute(sql.format(m="marts"), params).fetchnumpy()
            finally:
                cursor.close()
            # DATE comes back as datetime64[us]; NULLs as masked entries (None in tolist()).
            return {name: (values.astype("datetime64[D]") if values.dtype.kind == "M"
                           else values).tolist() for name, values in arrays.items()}
        pg_sql = sql.format(m=version.location).replace("?", "%s")
        with self._postgres() as con, con.cursor() as cur:
            cur.execute(pg_sql, params)
            names = [d.name for d in cur.description]
            rows = cur.fetchall()
        return {name: [row[i] for row in rows] for i, name in enumerate(names)}

    def _duckdb(self, version: MartVersion) -> duckdb.DuckDBPyConnection:
        """A cached read-only connection per snapshot file (cursors are per request)."""
        with self._lock:
            con = self._connections.get(version.location)
            if con is None:
                path = snapshot_dir(self.settings) / version.location
                try:
                    # The version file and the part files its views read.
                    con = open_snapshot(path, READ_CONFIG)
                except duckdb.IOException as exc:
                    raise ApiError(503, "snapshot_unreadable",
                                   f"snapshot {version.location} cannot be opened: {exc}") from exc
                self._connections[version.location] = con
                while len(self._connections) > self.settings.snapshot_keep + 1:
                    # Not closed here: a request may still hold a cursor; GC closes it after.
                    self._connections.popitem(last=False)
            else:
                self._connections.move_to_end(version.location)
            return con

    def close(self) -> None:
        with self._lock:
            for con in self._connections.values():
                con.close()
            self._connections.clear()
            if self._pool is not None:
                self._pool.close()
                self._pool = None
