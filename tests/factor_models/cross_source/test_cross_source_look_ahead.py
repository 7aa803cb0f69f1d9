"""Generated point-in-time test: cut every input after D, recompute, and no cross-source value
up to D changes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from macro_panel import assert_identical

from factor_models.catalog import by_family
from factor_models.cross_source import compute_cross_source

CROSS_SOURCE = [f.name for f in by_family("cross_source")]
CUT_DATES = (date(2016, 6, 30), date(2018, 6, 29))


@pytest.fixture(scope="module")
def full(cross_inputs):
    return compute_cross_source(cross_inputs)


@pytest.fixture(scope="module", params=CUT_DATES, ids=str)
def cut(request, cross_inputs):
    day = request.param
    return day, compute_cross_source(cross_inputs.cut_after(day))


@pytest.mark.parametrize("name", CROSS_SOURCE)
def test_values_up_to_the_cut_do_not_change(name, full, cut):
    day, truncated = cut
    reference = full.filter(pl.col("date") <= day)
    assert reference.select("symbol", "date").equals(truncated.select("symbol", "date"))
    assert reference[name].drop_nulls().len() > 0, "the cut leaves no values to compare"
    assert_identical(truncated[name], reference[name])
