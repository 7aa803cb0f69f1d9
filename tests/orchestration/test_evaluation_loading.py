"""Dense blocks read from a long table: every value in its cell, NaN where no row, on both
backends, whether PostgreSQL reads the block in one query or in several."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

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
