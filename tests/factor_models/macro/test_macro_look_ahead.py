"""Generated point-in-time test: cut the macro panel after D, recompute, and every macro factor
and regime value up to D is unchanged."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from macro_panel import assert_identical, empty_inputs

from factor_models.catalog import by_family
from factor_models.macro import compute_macro
from factor_models.regime import compute_regime

MACRO = [f.name for f in by_family("macro")]
CUT_DATES = (date(2016, 6, 30), date(2018, 11, 15))


@pytest.fixture(scope="module")
def full(macro_panel):
    wide = compute_macro(empty_inputs(macro_panel))
    return wide, compute_regime(wide)


@pytest.fixture(scope="module", params=CUT_DATES, ids=str)
def cut(request, macro_panel):
    day = request.param
    wide = compute_macro(empty_inputs(macro_panel).cut_after(day))
    return day, wide, compute_regime(wide)


@pytest.mark.parametrize("name", MACRO)
def test_macro_values_up_to_the_cut_do_not_change(name, full, cut):
    day, truncated, _ = cut
    reference = full[0].filter(pl.col("date") <= day)
    assert reference["date"].equals(truncated["date"])
    assert reference[name].drop_nulls().len() > 0, "the cut leaves no values to compare"
    assert_identical(truncated[name], reference[name])


@pytest.mark.parametrize("column", ["growth_signal", "inflation_signal", "tightening",
                                    "curve_sign", "stressed"])
def test_regime_up_to_the_cut_does_not_change(column, full, cut):
    day, _, truncated = cut
    reference = full[1].filter(pl.col("date") <= day)
    assert_identical(truncated[column], reference[column])
    assert truncated["regime"].equals(reference["regime"])
