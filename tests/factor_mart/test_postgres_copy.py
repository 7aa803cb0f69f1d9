"""PostgreSQL bulk paths: binary COPY in (every column type the warehouse writes), arrays out."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect, replace_partition
from factor_mart.warehouse.connection import PostgresWarehouse, _decode_array_row

TABLE = """CREATE TABLE public.typed (
    day DATE, label TEXT, code VARCHAR, big BIGINT, mid INTEGER, small SMALLINT,
    value DOUBLE PRECISION, single REAL, flag BOOLEAN, at TIMESTAMP)"""


def typed_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "day": [date(1999, 12, 31), date(2024, 2, 29), None],
        # An Enum (as the factor stage writes) lands as its text.
        "label": pl.Series(["é ü", "b", None]).cast(pl.Enum(["é ü", "b"])),
        "code": ["x", None, ""],
        "big": [2**62, -1, None],
        # Stored types narrower or wider than the frame's: cast to the column's type.
        "mid": pl.Series([7, None, -3], dtype=pl.Int64),
        "small": pl.Series([1, 2, None], dtype=pl.Int8),
        "value": [1 / 3, float("nan"), None],
        "single": [0.5, None, -2.0],
        "flag": [True, None, False],
        "at": [datetime(2024, 1, 2, 3, 4, 5, 678901), None, datetime(1970, 1, 1)],
    })


@pytest.fixture
def pg(postgres_dsn):
    with connect(Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn)) as wh:
        assert isinstance(wh, PostgresWarehouse)
        yield wh


def test_binary_copy_keeps_every_value_and_null(pg):
    pg.execute(TABLE)
    frame = typed_frame()
    pg.append("public.typed", frame)
    stored = pg.query("SELECT * FROM public.typed ORDER BY big NULLS LAST")
    expected = frame.sort("big", nulls_last=True)
    assert stored["day"].to_list() == expected["day"].to_list()
    assert stored["label"].to_list() == ["b", "é ü", None]
    assert stored["code"].to_list() == [None, "x", ""]
    assert stored["big"].to_list() == [-1, 2**62, None]
    assert stored["mid"].to_list() == [None, 7, -3]
    assert stored["small"].to_list() == [2, 1, None]
    values = stored["value"].to_list()
    assert math.isnan(values[0]) and values[1] == 1 / 3 and values[2] is None
    assert stored["single"].to_list() == [None, 0.5, -2.0]
    assert stored["flag"].to_list() == [None, True, False]
    assert stored["at"].to_list() == [None, datetime(2024, 1, 2, 3, 4, 5, 678901),
                                      datetime(1970, 1, 1)]


def test_columns_of_other_types_fall_back_to_text(pg):
    pg.execute("CREATE TABLE public.odd (id BIGINT, amount NUMERIC(10, 2))")
    pg.append("public.odd", pl.DataFrame({"id": [1, 2], "amount": [1.25, None]}))
    rows = pg.query("SELECT id, amount::text AS amount FROM public.odd ORDER BY id").rows()
    assert rows == [(1, "1.25"), (2, None)]


def test_arrays_read_a_query_as_columns(pg):
    pg.execute("CREATE TABLE public.cells (cell BIGINT, raw DOUBLE PRECISION, n INTEGER)")
    pg.append("public.cells", pl.DataFrame({
        "cell": [5, 3, 9], "raw": [0.25, None, -1e300], "n": [1, 2, 3]}))
    got = pg.arrays("SELECT cell, raw, n FROM public.cells WHERE cell > %s", [0],
                    ["cell"], ["raw", "n"])
    order = np.argsort(got["cell"])
    assert got["cell"].dtype == np.int64 and got["raw"].dtype == np.float64
    assert got["cell"][order].tolist() == [3, 5, 9]
    raw = got["raw"][order]
    assert math.isnan(raw[0]) and raw[1:].tolist() == [0.25, -1e300]
    assert got["n"][order].tolist() == [2.0, 1.0, 3.0]
    empty = pg.arrays("SELECT cell, raw FROM public.cells WHERE cell > %s", [100],
                      ["cell"], ["raw"])
    assert [len(a) for a in empty.values()] == [0, 0]


def test_decode_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="not a binary COPY"):
        _decode_array_row(b"1,2\n", 1)


def test_replace_partition_keeps_a_summarised_brin_index_on_the_date(pg):
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(40)]
    frame = pl.DataFrame({"date": days * 5_000, "value": [1.0] * 200_000})  # ~8 page ranges
    replace_partition(pg, "marts.daily", frame.filter(pl.col("date") < days[20]), "date",
                      days[0], days[19])
    replace_partition(pg, "marts.daily", frame.filter(pl.col("date") >= days[20]), "date",
                      days[20], days[-1])
    indexes = pg.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'daily'")
    assert indexes["indexdef"].to_list() == [
        "CREATE INDEX daily_date_brin ON marts.daily USING brin (date)"]
    # Every page range already has its summary: an unsummarised one would match any query.
    left = pg.query("SELECT brin_summarize_new_values('marts.daily_date_brin') AS n")
    assert left["n"][0] == 0
