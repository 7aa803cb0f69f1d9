"""Dense blocks read from a long table: every value in its cell, NaN where no row, on both
backends, whether PostgreSQL reads the block in one query or in several."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect, replace_partition
from factor_models.evaluation.dense import Grid
from orchestration.defs.evaluation import loading
from orchestration.defs.evaluation.loading import GridAxes

DATES = [date(2024, 1, 1) + timedelta(days=i) for i in range(9)]
SYMBOLS = ["AAA", "BBB", "CCC"]
FACTORS = ["f1", "f2"]


def long_values() -> pl.DataFrame:
    rows = [(d, s, f, float(100 * i + 10 * j + k), -float(i)) for i, d in enumerate(DATES)
            for j, s in enumerate(SYMBOLS) for k, f in enumerate(FACTORS)
            if (i + j + k) % 4]  # some cells have no row
    frame = pl.DataFrame(rows, schema=["date", "symbol", "factor", "raw", "z"], orient="row")
    # A stored NULL reads as NaN, like a missing row.
    return frame.with_columns(z=pl.when(pl.col("raw") == 111.0).then(None).otherwise("z"))


def expected(frame: pl.DataFrame, column: str, first: int, end: int, offset: int) -> np.ndarray:
    out = np.full((len(FACTORS), offset + end - first, len(SYMBOLS)), np.nan)
    for d, s, f, value in frame.select("date", "symbol", "factor", column).iter_rows():
        row = DATES.index(d)
        if first <= row < end and value is not None:
            out[FACTORS.index(f), offset + row - first, SYMBOLS.index(s)] = value
    return out


@pytest.mark.parametrize("read_cells", [1 << 22, 7])  # 7 cells: one session per query
def test_read_places_every_value_in_its_cell(backend_settings, monkeypatch, read_cells):
    monkeypatch.setattr(loading, "POSTGRES_READ_CELLS", read_cells)
    frame = long_values()
    grid = Grid(pl.Series(DATES), pl.Series(SYMBOLS), [], np.full(len(SYMBOLS), -1, np.int64))
    with connect(backend_settings) as wh:
        replace_partition(wh, "marts.values_demo", frame, "date", DATES[0], DATES[-1])
        axes = GridAxes.stage(wh, grid)
        for first, end, offset in ((0, len(DATES), 0), (2, 7, 1)):
            block = axes.read("marts.values_demo", "factor", FACTORS, ["raw", "z"], first, end,
                              offset)
            for column in ("raw", "z"):
                got = block[column][:, offset:]
                np.testing.assert_array_equal(
                    got, expected(frame, column, first, end, offset)[:, offset:])
            assert np.isnan(block["raw"][:, :offset]).all()


def test_a_sampled_grid_reads_only_its_sessions(backend_settings):
    """Every 3rd session: the values of those sessions in their cells, and on PostgreSQL the
    scan of the long table is limited to those sessions (the BRIN index finds their pages), not
    the whole date range with the other sessions' rows dropped by the join."""
    frame = long_values()
    sampled = DATES[::3]
    grid = Grid(pl.Series(sampled), pl.Series(SYMBOLS), [], np.full(len(SYMBOLS), -1, np.int64))
    with connect(backend_settings) as wh:
        replace_partition(wh, "marts.values_demo", frame, "date", DATES[0], DATES[-1])
        loading.prepare_session(wh)
        axes = GridAxes.stage(wh, grid)
        block = axes.read("marts.values_demo", "factor", FACTORS, ["raw"], 0, len(sampled))
        want = np.full((len(FACTORS), len(sampled), len(SYMBOLS)), np.nan)
        for d, s, f, raw in frame.select("date", "symbol", "factor", "raw").iter_rows():
            if d in sampled:
                want[FACTORS.index(f), sampled.index(d), SYMBOLS.index(s)] = raw
        np.testing.assert_array_equal(block["raw"], want)
        if wh.backend is not Backend.postgres:
            return
        sql = axes.cells_sql("marts.values_demo", "factor", ["raw"], len(sampled), 0)
        wh.execute("SET enable_seqscan = off")  # a few rows: make the planner use the index
        with wh.con.cursor() as cur:
            (plan,), = cur.execute(f"EXPLAIN (FORMAT JSON) {sql}",
                                   axes.span_params(0, len(sampled))).fetchall()
    conditions = [node.get("Index Cond", "") for node in _nodes(plan[0]["Plan"])
                  if node.get("Index Name") == "values_demo_date_brin"]
    assert any("ANY" in c for c in conditions), conditions


def _nodes(node: dict) -> list[dict]:
    return [node] + [n for child in node.get("Plans", []) for n in _nodes(child)]


def test_postgres_reads_run_without_jit(postgres_dsn):
    """Each block read is expensive enough for the planner to JIT-compile it (~0.5 s a query
    at 250 names x 10 years) and runs no faster compiled."""
    settings = Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn)
    with connect(settings) as wh:
        loading.prepare_session(wh)
        assert wh.query("SHOW jit")["jit"][0] == "off"


@pytest.mark.parametrize("read_cells", [1 << 22, 7])
def test_a_second_connection_reads_spans_beside_the_first(postgres_dsn, monkeypatch,
                                                          read_cells):
    """PostgreSQL with a reader connection: the block is split into a span per connection at
    least, each read on its own connection, and every value lands in its cell."""
    monkeypatch.setattr(loading, "POSTGRES_READ_CELLS", read_cells)
    settings = Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn)
    frame = long_values()
    grid = Grid(pl.Series(DATES), pl.Series(SYMBOLS), [], np.full(len(SYMBOLS), -1, np.int64))
    with connect(settings) as wh, connect(settings) as reader:
        replace_partition(wh, "marts.values_demo", frame, "date", DATES[0], DATES[-1])
        axes = GridAxes.stage(wh, grid, (reader,))
        seen = []
        monkeypatch.setattr(loading, "_fetch", lambda con, *args, fetch=loading._fetch: (
            seen.append(con) or fetch(con, *args)))
        for first, end, offset in ((0, len(DATES), 0), (2, 7, 1)):
            block = axes.read("marts.values_demo", "factor", FACTORS, ["raw", "z"], first, end,
                              offset)
            for column in ("raw", "z"):
                np.testing.assert_array_equal(
                    block[column][:, offset:],
                    expected(frame, column, first, end, offset)[:, offset:])
    assert {id(c) for c in seen} == {id(wh), id(reader)}
