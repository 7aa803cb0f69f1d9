"""Generated point-in-time tests: no factor value changes when later bars are cut off, and no
symbol's values depend on another symbol except through the documented market return."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from factor_models.catalog import by_family
from factor_models.technical import compute_technical
from factor_models.technical.define import MARKET_RETURN

TECHNICAL = [f.name for f in by_family("technical")]
UNIVERSE_DEPENDENT = {f.name for f in by_family("technical") if MARKET_RETURN in f.inputs}
# One cut in the 2015-17 block (AAPL, MSFT, XOM), one inside CA's flat, zero-volume spell.
CUT_DATES = (dt.date(2016, 6, 30), dt.date(2018, 11, 15))


@pytest.fixture(scope="module", params=CUT_DATES, ids=str)
def cut(request, real_bars):
    cut_date = request.param
    truncated = compute_technical(real_bars.filter(pl.col("date") <= cut_date))
    return cut_date, truncated


# All symbols share one pass over each column, so running sums and restarted averages carry
# rounding from the rows before them (seen up to ~2e-12 relative, in CCI, which divides by a
# small mean deviation); a value that used another row's information would move far more.
RELATIVE_ROUNDING = 1e-9
ABSOLUTE_ROUNDING = 1e-12


def assert_identical(ours: pl.Series, reference: pl.Series) -> None:
    a, b = ours.to_numpy().astype(float), reference.to_numpy().astype(float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), "null rows differ"
    np.testing.assert_allclose(a, b, rtol=RELATIVE_ROUNDING, atol=ABSOLUTE_ROUNDING, equal_nan=True)


def test_there_are_at_least_30_technical_factors():
    assert len(TECHNICAL) >= 30


@pytest.mark.parametrize("name", TECHNICAL)
def test_values_up_to_the_cut_do_not_change(name, cut, technical_values):
    cut_date, truncated = cut
    full = technical_values.filter(pl.col("date") <= cut_date)
    assert full.select("symbol", "date").equals(truncated.select("symbol", "date"))
    assert full[name].drop_nulls().len() > 0, "the cut leaves no values to compare"
    assert_identical(truncated[name], full[name])


@pytest.fixture(scope="module", params=("AAPL", "XOM"))
def alone(request, real_bars):
    """One symbol computed on its own: AAPL sorts first in the fixture, XOM last."""
    symbol = request.param
    return symbol, compute_technical(real_bars.filter(pl.col("symbol") == symbol))


@pytest.mark.parametrize("name", TECHNICAL)
def test_other_symbols_do_not_leak_in(name, alone, technical_values):
    symbol, by_itself = alone
    together = technical_values.filter(pl.col("symbol") == symbol)
    if name in UNIVERSE_DEPENDENT:
        # Documented: the equal-weighted market return changes with the universe.
        assert not together[name].equals(by_itself[name])
    else:
        assert_identical(by_itself[name], together[name])


def test_market_return_factors_are_exactly_the_universe_dependent_ones():
    assert {"beta_mkt_252d", "idio_vol_252d"} == UNIVERSE_DEPENDENT
