"""Generated point-in-time test over every fundamental factor: cut all inputs after date D,
recompute, and no value up to D changes. Run on Apple's real filings (restated comparatives,
a split) and on a synthetic universe whose filings restate a tenth of values a year later."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from factor_models.catalog import by_family
from factor_models.fundamental import compute_fundamental
from factor_models.fundamental.bench import EMPTY_MACRO, bars_for, synthetic_panel
from factor_models.inputs import FactorInputs

FUNDAMENTAL = [f.name for f in by_family("fundamental")]
# Apple: the FY2023 10-K's filing day and a day inside a quarter; synthetic: two mid-quarter days.
CUTS = {"apple": (dt.date(2023, 11, 3), dt.date(2021, 2, 1)),
        "synthetic": (dt.date(2016, 5, 10), dt.date(2018, 8, 20))}


@pytest.fixture(scope="module")
def synthetic_inputs() -> FactorInputs:
    return FactorInputs(bars=bars_for(20, 1600),
                        fundamentals=synthetic_panel(20, 40, dt.date(2009, 12, 31)),
                        macro=EMPTY_MACRO,
                        securities=pl.DataFrame())


@pytest.fixture(scope="module", params=[(k, d) for k, days in CUTS.items() for d in days],
                ids=lambda p: f"{p[0]}-{p[1]}")
def cut(request, apple_inputs, synthetic_inputs):
    universe, cut_date = request.param
    inputs = apple_inputs if universe == "apple" else synthetic_inputs
    full = compute_fundamental(inputs).filter(pl.col("date") <= cut_date)
    truncated = compute_fundamental(inputs.cut_after(cut_date))
    return universe, full, truncated


def test_there_are_at_least_25_fundamental_factors():
    assert len(FUNDAMENTAL) >= 25


@pytest.mark.parametrize("name", FUNDAMENTAL)
def test_values_up_to_the_cut_do_not_change(name, cut):
    universe, full, truncated = cut
    assert full.select("symbol", "date").equals(truncated.select("symbol", "date"))
    assert full[name].drop_nulls().len() > 0, "the cut leaves no values to compare"
    a, b = full[name].to_numpy().astype(float), truncated[name].to_numpy().astype(float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), "null rows differ"
    np.testing.assert_array_equal(a, b)


def test_the_cut_removes_what_was_filed_after_it(apple_inputs):
    """The test can fail: with the filings after the cut removed (bars kept), the day after the
    FY2023 10-K shows the old ROE instead of the new one."""
    cut_date, day = dt.date(2023, 11, 3), dt.date(2023, 11, 6)
    filings_cut = replace(apple_inputs, fundamentals=apple_inputs.cut_after(cut_date).fundamentals)
    full, stale = (compute_fundamental(inputs, ["roe_ttm"]).filter(pl.col("date") == day)
                   for inputs in (apple_inputs, filings_cut))
    assert stale["roe_ttm"].item() != full["roe_ttm"].item()
