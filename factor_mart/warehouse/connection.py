"""One small interface over DuckDB and PostgreSQL: execute, query to polars, bulk insert."""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl
import psycopg
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from factor_mart.settings import Backend, Settings


class Warehouse(ABC):
    """A connection to the warehouse; use as a context manager."""

    backend: Backend
    placeholder: str  # the driver's parameter marker

    @abstractmethod
    def execute(self, sql: str, params: list[Any] | None = None) -> int:
        """Run a statement; return the number of rows it affected (-1 when unknown)."""

    @abstractmethod
    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        """Run a query and return its result as a polars frame."""

    @abstractmethod
    def stage(self, name: str, like: str, frame: pl.DataFrame) -> None:
        """Bulk-load ``frame`` into a temporary table ``name`` shaped like table ``like``."""

    @abstractmethod
    def append(self, table: str, frame: pl.DataFrame) -> None:
        """Insert ``frame``'s rows into ``table`` (columns by name), in the open transaction if
        any: one bulk load, no staging copy."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


class DuckDBWarehouse(Warehouse):
    backend = Backend.duckdb
    placeholder = "?"

    # Only one process may hold the DuckDB file for writing; a second writer waits for it
    # (Dagster's pool serialises our own runs; this covers the CLI and ad-hoc scripts).
    @retry(retry=retry_if_exception(_is_lock_error), stop=stop_after_delay(120),
           wait=wait_exponential(multiplier=0.2, max=5), reraise=True)
    def __init__(self, path: str, read_only: bool = False) -> None:
        self.path = path
        self.con = duckdb.connect(path, read_only=read_only)

    def execute(self, sql: str, params: list[Any] | None = None) -> int:
        result = self.con.execute(sql, params).fetchall()
        count = result[0][0] if result and len(result[0]) == 1 else -1
        return count if isinstance(count, int) else -1

    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        return self.con.sql(sql, params=params).pl()

    def stage(self, name: str, like: str, frame: pl.DataFrame) -> None:
        self.con.register(f"{name}_frame", frame.to_arrow())
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
        self.con.unregister(f"{name}_frame")

    def append(self, table: str, frame: pl.DataFrame) -> None:
        view = f"appending_{table.replace('.', '_')}"
        columns = ", ".join(frame.columns)
        self.con.register(view, frame.to_arrow())
        try:
            self.con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}")
        finally:
            self.con.unregister(view)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()


class PostgresWarehouse(Warehouse):
    backend = Backend.postgres
    placeholder = "%s"

    def __init__(self, dsn: str) -> None:
        self.con = psycopg.connect(dsn, autocommit=True)

    def execute(self, sql: str, params: list[Any] | None = None) -> int:
        with self.con.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        with self.con.cursor() as cur:
            cur.execute(sql, params)
            columns = [d.name for d in cur.description]
            return pl.DataFrame(cur.fetchall(), schema=columns, orient="row",
                                infer_schema_length=None)

    def stage(self, name: str, like: str, frame: pl.DataFrame) -> None:
        self.execute(f"DROP TABLE IF EXISTS {name}")
        self.execute(f"CREATE TEMP TABLE {name} (LIKE {like})")
        self.append(name, frame)

    def append(self, table: str, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_csv(buffer, null_value=r"\N", datetime_format="%Y-%m-%d %H:%M:%S%.f")
        columns = ", ".join(frame.columns)
        with self.con.cursor() as cur, cur.copy(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\\N')"
        ) as copy:
            copy.write(buffer.getvalue())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.con.transaction():
            yield

    def close(self) -> None:
        self.con.close()


def connect(settings: Settings | None = None, read_only: bool = False) -> Warehouse:
    """Open the configured warehouse (DuckDB file by default, PostgreSQL when chosen)."""
    settings = settings or Settings()
    if settings.backend is Backend.postgres:
        return PostgresWarehouse(settings.require("postgres_dsn"))
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBWarehouse(str(settings.duckdb_path), read_only=read_only)
