"""One small interface over DuckDB and PostgreSQL: execute, query to polars, bulk insert."""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pgpq
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
    def sibling(self) -> Warehouse:
        """Another connection to the same database, for a second thread (a connection is used
        by one thread at a time); close it when done."""

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

    def sibling(self) -> DuckDBWarehouse:
        # A cursor is DuckDB's own second connection to the same database in this process.
        twin = object.__new__(DuckDBWarehouse)
        twin.path, twin.con = self.path, self.con.cursor()
        return twin

    def close(self) -> None:
        self.con.close()


# Column types (as format_type names them) a binary COPY writes, and the polars type a frame's
# column is cast to for it.
_BINARY_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(), "character varying": pl.String(), "boolean": pl.Boolean(),
    "double precision": pl.Float64(), "real": pl.Float32(), "bigint": pl.Int64(),
    "integer": pl.Int32(), "smallint": pl.Int16(), "date": pl.Date(),
    "timestamp without time zone": pl.Datetime("us"),
}
WORK_MEM = "256MB"
COPY_BATCH_ROWS = 1 << 16  # rows encoded at a time: a few MB handed to the driver each
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_ARRAY_ELEMENTS = {20: np.dtype(">i8"), 701: np.dtype(">f8")}  # bigint, float8 by type oid


def _decode_array_row(data: bytes, fields: int) -> list[np.ndarray]:
    """The arrays of the single row of a binary COPY whose fields are one-dimensional bigint
    or float8 arrays without NULL elements (an empty aggregate, NULL, is an empty array)."""
    if not data.startswith(_COPY_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    buffer = memoryview(data)
    extension = int.from_bytes(buffer[15:19], "big")
    pos = 19 + extension
    if int.from_bytes(buffer[pos:pos + 2], "big", signed=True) == -1:  # no row at all
        return [np.empty(0) for _ in range(fields)]
    if int.from_bytes(buffer[pos:pos + 2], "big") != fields:
        raise ValueError(f"expected a row of {fields} fields")
    pos += 2
    out = []
    for _ in range(fields):
        length = int.from_bytes(buffer[pos:pos + 4], "big", signed=True)
        pos += 4
        if length < 0:  # NULL: the aggregate saw no row
            out.append(np.empty(0))
            continue
        ndim, has_null, oid = np.frombuffer(buffer, ">i4", 3, pos)
        if has_null or oid not in _ARRAY_ELEMENTS or ndim > 1:
            raise ValueError(f"unsupported array (type oid {oid}, {ndim} dimensions)")
        count = int(np.frombuffer(buffer, ">i4", 1, pos + 12)[0]) if ndim else 0
        element = _ARRAY_ELEMENTS[int(oid)]
        # Each element is its length (int32, always the type's size here) and its value.
        cells = np.frombuffer(buffer, np.dtype([("length", ">i4"), ("value", element)]), count,
                              pos + 12 + 8 * ndim)
        out.append(cells["value"].astype(element.newbyteorder("=")))
        pos += length
    return out


class PostgresWarehouse(Warehouse):
    backend = Backend.postgres
    placeholder = "%s"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.con = psycopg.connect(dsn, autocommit=True)
        # The server's default (4 MB) sends a landing's anti-join sorts of a few hundred
        # thousand rows to disk; this is per sort or hash of this session's queries.
        self.execute(f"SET work_mem = '{WORK_MEM}'")

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
        columns = ", ".join(frame.columns)
        types = self._binary_types(table, frame.columns)
        if types is None:  # a column type the binary path does not cover: PostgreSQL parses text
            self._append_csv(table, frame, columns)
            return
        # Binary COPY: the server stores the values as sent instead of parsing text (CSV took
        # 2-3x the server time for float-heavy rows). It needs each value in exactly the
        # column's type, so the frame is cast to the table's types first.
        data = frame.cast(types).to_arrow()
        encoder = pgpq.ArrowToPostgresBinaryEncoder(data.schema)
        with self.con.cursor() as cur, cur.copy(
                f"COPY {table} ({columns}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(encoder.write_header())
            for batch in data.to_batches(max_chunksize=COPY_BATCH_ROWS):
                copy.write(encoder.write_batch(batch))
            copy.write(encoder.finish())

    def _binary_types(self, table: str, columns: list[str]) -> dict[str, pl.DataType] | None:
        """The polars type of each of ``columns`` in ``table`` for a binary COPY, or None when
        one of them has a type outside ``_BINARY_TYPES``."""
        stored = dict(self.query(
            "SELECT attname AS name, format_type(atttypid, NULL) AS type FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table]).iter_rows())
        types = {c: _BINARY_TYPES.get(stored.get(c, "")) for c in columns}
        return None if None in types.values() else types

    def _append_csv(self, table: str, frame: pl.DataFrame, columns: str) -> None:
        buffer = io.BytesIO()
        frame.write_csv(buffer, null_value=r"\N", datetime_format="%Y-%m-%d %H:%M:%S%.f")
        with self.con.cursor() as cur, cur.copy(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\\N')"
        ) as copy:
            copy.write(buffer.getvalue())

    def arrays(self, sql: str, params: list[Any] | None, integers: list[str],
               floats: list[str]) -> dict[str, np.ndarray]:
        """Columns of a query's rows as numpy arrays in one round trip: ``integers`` as int64,
        ``floats`` as float64 with NULL as NaN (rows in the same order in every array).

        The server aggregates each column into one array and sends the single row as a binary
        COPY, decoded here without a Python object per value: a result read row by row costs
        ~1 us a value in the driver (COPY sends a message per row, ~4 us each in psycopg).
        Mind the server's memory: it holds the whole result as arrays.
        """
        aggregates = [f"array_agg(q.{c}::bigint)" for c in integers] + [
            f"array_agg(coalesce(q.{c}::double precision, 'NaN'))" for c in floats]
        with self.con.cursor() as cur, cur.copy(
                f"COPY (SELECT {', '.join(aggregates)} FROM ({sql}) AS q) "
                "TO STDOUT (FORMAT binary)", params) as copy:
            data = b"".join(copy)
        names = integers + floats
        return dict(zip(names, _decode_array_row(data, len(names)), strict=True))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.con.transaction():
            yield

    def sibling(self) -> PostgresWarehouse:
        return PostgresWarehouse(self.dsn)

    def close(self) -> None:
        self.con.close()


def connect(settings: Settings | None = None, read_only: bool = False) -> Warehouse:
    """Open the configured warehouse (DuckDB file by default, PostgreSQL when chosen)."""
    settings = settings or Settings()
    if settings.backend is Backend.postgres:
        return PostgresWarehouse(settings.require("postgres_dsn"))
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBWarehouse(str(settings.duckdb_path), read_only=read_only)
