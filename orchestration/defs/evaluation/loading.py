"""Reading long mart tables into dense (date x symbol) blocks for the evaluation engine.

The grid's dates and symbols are staged as small temporary tables once, the keys of a read
(factors, horizons) with it, and each read joins the long table to them, so the warehouse hands
back one integer cell index per value instead of three strings: no string is turned into a
position in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def bound_cache(wh: Warehouse) -> None:
    """Keep DuckDB from caching every block a full scan of fct_factor_values reads (it would
    hold ~5 GB at 1,000 names x 10 years x 134 factors): its memory limit bounds that cache.
    Query results are not held to it. Only this connection's database instance is affected."""
    if isinstance(wh, DuckDBWarehouse):
        wh.execute(f"SET memory_limit = '{DUCKDB_CACHE}'")


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


def _spans(wh: Warehouse, first: int, end: int, cells_per_row: int) -> Iterator[tuple[int, int]]:
    """[first, end) as the ranges of grid rows read one query each: the whole range on DuckDB
    (it streams), pieces of at most ``POSTGRES_READ_CELLS`` cells on PostgreSQL."""
    if isinstance(wh, PostgresWarehouse):
        yield from blocks_between(first, end, max(1, POSTGRES_READ_CELLS // max(cells_per_row, 1)))
    else:
        yield first, end


@dataclass(frozen=True)
class GridAxes:
    """The grid's axes staged in the warehouse: ``eval_dates`` (date, row) and
    ``eval_symbols`` (symbol, col)."""

    wh: Warehouse
    grid: Grid
    buffers: dict[str, np.ndarray] = field(default_factory=dict)
    analyzed: set[str] = field(default_factory=set)

    @classmethod
    def stage(cls, wh: Warehouse, grid: Grid) -> GridAxes:
        stage_frame(wh, "eval_dates", pl.DataFrame({
            "date": grid.dates, "row": np.arange(len(grid.dates), dtype=np.int64)}))
        stage_frame(wh, "eval_symbols", pl.DataFrame({
            "symbol": grid.symbols, "col": np.arange(len(grid.symbols), dtype=np.int64)}))
        return cls(wh, grid)

    def read(self, table: str, key: str, keys: list, columns: list[str], first: int,
             end: int, offset: int = 0) -> dict[str, np.ndarray]:
        """``columns`` of ``table`` as (keys x (offset + end - first) x symbols) arrays, NaN
        where the table has no row: block i holds the rows whose ``key`` column equals
        ``keys[i]``, on grid rows [first, end) (placed from row ``offset`` of the block).
        The arrays are overwritten by the next read of the same shape."""
        stage_frame(self.wh, "eval_keys", pl.DataFrame({"key": keys,
                                                        "k": np.arange(len(keys))}))
        if isinstance(self.wh, PostgresWarehouse) and table not in self.analyzed:
            # A table just written has no statistics yet (autovacuum samples it later): the
            # planner then expects a few thousand rows in a date range instead of millions and
            # sorts them for merge joins on text (~10x slower than hashing the small axes).
            self.wh.execute(f"ANALYZE {table}")
            self.analyzed.add(table)
        rows, width = offset + end - first, len(self.grid.symbols)
        p = self.wh.placeholder
        sql = (f"SELECT (k.k * {rows} + d.row - {first - offset}) * {width} + s.col AS cell, "
               + ", ".join(f"v.{c}" for c in columns)
               + f" FROM {table} AS v JOIN eval_keys AS k ON v.{key} = k.key "
               "JOIN eval_dates AS d ON v.date = d.date "
               "JOIN eval_symbols AS s ON v.symbol = s.symbol "
               f"WHERE v.date BETWEEN {p} AND {p}")
        out = {c: self._buffer(c, (len(keys), rows, width)) for c in columns}
        for low, high in _spans(self.wh, first, end, len(keys) * width):
            for cells in _fetch(self.wh, sql, [self.grid.dates[low], self.grid.dates[high - 1]],
                                columns):
                for c in columns:
                    out[c].reshape(-1)[cells["cell"]] = cells[c]
        return out

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
