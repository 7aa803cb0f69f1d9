"""Reading long mart tables into dense (date x symbol) blocks for the evaluation engine.

The grid's dates and symbols are staged as small temporary tables once, the keys of a read
(factors, horizons) with it, and each read joins the long table to them, so the warehouse hands
back one integer cell index per value instead of three strings: no string is turned into a
position in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from factor_mart.warehouse import Warehouse
from factor_mart.warehouse.connection import DuckDBWarehouse, PostgresWarehouse
from factor_mart.warehouse.tables import column_type
from factor_models.evaluation.dense import Grid


def stage_frame(wh: Warehouse, name: str, frame: pl.DataFrame) -> None:
    """``frame`` as the temporary table ``name`` on either backend."""
    columns = ", ".join(f"{c} {column_type(t, wh.backend, c)}" for c, t in frame.schema.items())
    wh.execute(f"DROP TABLE IF EXISTS {name}_shape")
    wh.execute(f"CREATE TEMP TABLE {name}_shape ({columns})")
    wh.stage(name, f"{name}_shape", frame)
    if isinstance(wh, PostgresWarehouse):
        wh.execute(f"ANALYZE {name}")  # see GridAxes.read: the join plan needs row counts


DUCKDB_CACHE = "1GB"


def prepare_session(wh: Warehouse) -> None:
    """Set up the connection for the block reads.

    DuckDB: keep it from caching every block a full scan of fct_factor_values reads (it would
    hold ~5 GB at 1,000 names x 10 years x 134 factors): its memory limit bounds that cache.
    Query results are not held to it. Only this connection's database instance is affected.

    PostgreSQL: no JIT. The server compiles every read that its cost model finds expensive
    (each block read, each scan of the whole table): ~0.5 s of compilation a query at 250
    names, for plans of hash joins over a few million rows that run no faster compiled
    (2.7 s with JIT, 2.3 s without, for a 125-session read)."""
    if isinstance(wh, DuckDBWarehouse):
        wh.execute(f"SET memory_limit = '{DUCKDB_CACHE}'")
    elif isinstance(wh, PostgresWarehouse):
        wh.execute("SET jit = off")


BATCH_ROWS = 1 << 20  # rows handed over at a time: memory stays small and is reused
# PostgreSQL hands a read back as one row of arrays built in the server's memory (see
# PostgresWarehouse.arrays): a read covers at most about this many cells (~50 MB an array).
POSTGRES_READ_CELLS = 1 << 22


def _fetch(wh: Warehouse, sql: str, params: list, columns: list[str]
           ) -> Iterator[dict[str, np.ndarray]]:
    """A query's ``cell`` and ``columns`` in batches of arrays, NULL as NaN (DuckDB streams
    Arrow batches; materialising a block's ~30 M rows at once would cost ~3 GB and seconds of
    page faults; PostgreSQL sends each column as one array)."""
    if isinstance(wh, DuckDBWarehouse):
        for batch in wh.con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS):
            yield {name: column.to_numpy(zero_copy_only=False)
                   for name, column in zip(batch.schema.names, batch.columns, strict=True)}
        return
    assert isinstance(wh, PostgresWarehouse)
    yield wh.arrays(sql, params, ["cell"], columns)


def _spans(wh: Warehouse, first: int, end: int, cells_per_row: int, connections: int = 1
           ) -> list[tuple[int, int]]:
    """[first, end) as the ranges of grid rows read one query each: the whole range on DuckDB
    (it streams), on PostgreSQL pieces of at most ``POSTGRES_READ_CELLS`` cells, at least one
    per connection reading."""
    if not isinstance(wh, PostgresWarehouse):
        return [(first, end)]
    size = min(POSTGRES_READ_CELLS // max(cells_per_row, 1), -(-(end - first) // connections))
    return list(blocks_between(first, end, max(1, size)))


@dataclass(frozen=True)
class GridAxes:
    """The grid's axes staged in the warehouse: ``eval_dates`` (date, row) and
    ``eval_symbols`` (symbol, col), on ``wh`` and on each of ``readers``: more PostgreSQL
    connections, which read spans of a block side by side with ``wh`` (the server runs a
    query on one core: a read is its scan and three hash joins, ~2.3 s per 2.3 M rows)."""

    wh: Warehouse
    grid: Grid
    readers: tuple[Warehouse, ...] = ()
    buffers: dict[str, np.ndarray] = field(default_factory=dict)
    analyzed: set[str] = field(default_factory=set)

    @classmethod
    def stage(cls, wh: Warehouse, grid: Grid, readers: tuple[Warehouse, ...] = ()) -> GridAxes:
        for con in (wh, *readers):
            stage_frame(con, "eval_dates", pl.DataFrame({
                "date": grid.dates, "row": np.arange(len(grid.dates), dtype=np.int64)}))
            stage_frame(con, "eval_symbols", pl.DataFrame({
                "symbol": grid.symbols, "col": np.arange(len(grid.symbols), dtype=np.int64)}))
        return cls(wh, grid, tuple(readers))

    def read(self, table: str, key: str, keys: list, columns: list[str], first: int,
             end: int, offset: int = 0) -> dict[str, np.ndarray]:
        """``columns`` of ``table`` as (keys x (offset + end - first) x symbols) arrays, NaN
        where the table has no row: block i holds the rows whose ``key`` column equals
        ``keys[i]``, on grid rows [first, end) (placed from row ``offset`` of the block).
        The arrays are overwritten by the next read of the same shape."""
        connections = (self.wh, *self.readers)
        for con in connections:
            stage_frame(con, "eval_keys", pl.DataFrame({"key": keys, "k": np.arange(len(keys))}))
        if isinstance(self.wh, PostgresWarehouse) and table not in self.analyzed:
            # A table just written has no statistics yet (autovacuum samples it later): the
            # planner then expects a few thousand rows in a date range instead of millions and
            # sorts them for merge joins on text (~10x slower than hashing the small axes).
            self.wh.execute(f"ANALYZE {table}")
            self.analyzed.add(table)
        rows, width = offset + end - first, len(self.grid.symbols)
        sql = self.cells_sql(table, key, columns, rows, first - offset)
        out = {c: self._buffer(c, (len(keys), rows, width)) for c in columns}
        spans = _spans(self.wh, first, end, len(keys) * width, len(connections))

        def place(con: Warehouse, mine: list[tuple[int, int]]) -> None:
            for low, high in mine:
                for cells in _fetch(con, sql, self.span_params(low, high), columns):
                    for c in columns:
                        out[c].reshape(-1)[cells["cell"]] = cells[c]

        if len(connections) == 1:
            place(self.wh, spans)
            return out
        # Each connection its share of the spans, in a thread of its own (the driver waits
        # for the server without the GIL); the spans' cells do not overlap.
        with ThreadPoolExecutor(len(connections)) as pool:
            list(pool.map(place, connections,
                          [spans[i::len(connections)] for i in range(len(connections))]))
        return out

    def cells_sql(self, table: str, key: str, columns: list[str], rows: int, row_zero: int
                  ) -> str:
        """The read of a span of grid rows: each row of ``table`` on the grid as its cell in a
        (keys x ``rows`` x symbols) block whose first row is grid row ``row_zero``, with
        ``columns``; its parameters are ``span_params``."""
        p = self.wh.placeholder
        # PostgreSQL: the span's own dates, which the BRIN index finds whether the grid has
        # every session or a sample (every 5th): with the date range alone a sampled read
        # scanned every session's rows and the join to eval_dates dropped 4 in 5 of them (18 s
        # of the 38 s redundancy step at 250 names). DuckDB skips row groups by the range.
        span = (f"v.date = ANY({p})" if isinstance(self.wh, PostgresWarehouse)
                else f"v.date BETWEEN {p} AND {p}")
        return (f"SELECT (k.k * {rows} + d.row - {row_zero}) * {len(self.grid.symbols)} "
                "+ s.col AS cell, " + ", ".join(f"v.{c}" for c in columns)
                + f" FROM {table} AS v JOIN eval_keys AS k ON v.{key} = k.key "
                "JOIN eval_dates AS d ON v.date = d.date "
                f"JOIN eval_symbols AS s ON v.symbol = s.symbol WHERE {span}")

    def span_params(self, low: int, high: int) -> list:
        """The parameters of ``cells_sql`` for grid rows [low, high)."""
        if isinstance(self.wh, PostgresWarehouse):
            return [self.grid.dates[low:high].to_list()]
        return [self.grid.dates[low], self.grid.dates[high - 1]]

    def _buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A NaN-filled array, reusing the memory of the previous read of ``name`` when the
        shape is the same (each block's arrays are consumed before the next is read)."""
        block = self.buffers.get(name)
        if block is None or block.shape != shape:
            block = self.buffers[name] = np.empty(shape)
        block.fill(np.nan)
        return block


def blocks(dates: int, size: int) -> Iterator[tuple[int, int]]:
    """[first, end) grid rows in blocks of ``size``."""
    return blocks_between(0, dates, size)


def blocks_between(first: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """[first, end) in pieces [low, high) of at most ``size`` rows."""
    for low in range(first, end, size):
        yield low, min(low + size, end)
