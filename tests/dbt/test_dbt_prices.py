"""Adjusted prices on real AAPL bars across its 2014-06-09 7:1 split, and the bad-bar rules."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest
from conftest import query
from dbt_raw_data import AAPL_QUANDL, AAPL_YAHOO, BAD_BARS_SYMBOL, read_csv

SPLIT_DAY = date(2014, 6, 9)



def aapl(settings) -> pl.DataFrame:
    return query(settings, "select * from marts.fct_prices_daily where symbol = 'AAPL' "
                           "order by trading_date")


def test_aapl_adjusted_close_is_continuous_across_the_split(duckdb_warehouse):
    prices = aapl(duckdb_warehouse)
    before, on = (prices.filter(pl.col("trading_date") == d).row(0, named=True)
                  for d in (date(2014, 6, 6), SPLIT_DAY))
    assert before["raw_close"] / on["raw_close"] == pytest.approx(645.57 / 93.70)  # ~6.9x drop
    assert on["simple_return"] == pytest.approx(93.70 * 7 / 645.57 - 1, rel=1e-9)  # +1.6%
    assert abs(on["simple_return"]) < 0.05
    assert prices["log_return"].drop_nulls().abs().max() < 0.1  # no day looks like a split


def test_aapl_adjusted_closes_match_the_reference_adjustment_up_to_one_scale(duckdb_warehouse):
    reference = {date.fromisoformat(r["date"]): float(r["adj_close"])
                 for r in read_csv(AAPL_QUANDL)}
    prices = aapl(duckdb_warehouse)
    ratios = [close / reference[day]
              for day, close in prices.select("trading_date", "adjusted_close").iter_rows()]
    assert len(ratios) == len(reference) == 127
    assert max(ratios) / min(ratios) - 1 < 1e-9
    # The newest bar is the anchor: adjusted equals raw there.
    assert prices["adjusted_close"][-1] == pytest.approx(prices["raw_close"][-1])


def test_raw_close_is_yahoos_unadjusted_close(duckdb_warehouse):
    yahoo = {date.fromisoformat(r["day"]): float(r["close"]) for r in read_csv(AAPL_YAHOO)}
    prices = aapl(duckdb_warehouse)
    assert all(close == pytest.approx(yahoo[day], abs=0.01)
               for day, close in prices.select("trading_date", "raw_close").iter_rows())


def test_corporate_actions_found_in_the_adjustment_factor(duckdb_warehouse):
    actions = query(duckdb_warehouse,
                    "select ex_date, action_type, split_ratio, dividend_amount "
                    "from intermediate.int_corporate_actions where symbol = 'AAPL' "
                    "order by ex_date").rows()
    assert [(a[0], a[1]) for a in actions] == [
        (date(2014, 5, 8), "dividend"), (SPLIT_DAY, "split"), (date(2014, 8, 7), "dividend")]
    assert actions[1][2] == 7.0
    # Quandl's ex-dividend column: 3.29 and 0.47 (the factor-implied amount is within a cent).
    assert actions[0][3] == pytest.approx(3.29, abs=0.01)
    assert actions[2][3] == pytest.approx(0.47, abs=0.01)


def test_volume_is_split_adjusted_only(duckdb_warehouse):
    prices = aapl(duckdb_warehouse).filter(
        pl.col("trading_date").is_in([date(2014, 6, 6), SPLIT_DAY]))
    before, on = prices.rows(named=True)
    assert before["adjusted_volume"] == pytest.approx(before["raw_volume"] * 7)
    assert on["adjusted_volume"] == pytest.approx(on["raw_volume"])


def test_bad_bars_are_flagged_with_a_reason_and_kept_out(duckdb_warehouse):
    flagged = query(duckdb_warehouse,
                    f"select trading_date, reason from intermediate.int_prices_bad_bars "
                    f"where symbol = '{BAD_BARS_SYMBOL}' order by trading_date").rows()
    assert flagged == [(date(2015, 3, 4), "unexplained_jump"),
                       (date(2015, 3, 5), "unexplained_jump"),
                       (date(2015, 3, 6), "zero_volume_price_change")]
    kept = query(duckdb_warehouse,
                 f"select trading_date, simple_return, log_return from marts.fct_prices_daily "
                 f"where symbol = '{BAD_BARS_SYMBOL}' order by trading_date").rows()
    assert [row[0] for row in kept] == [date(2015, 3, d) for d in (2, 3, 9, 10)]
    assert kept[0][1] is None and kept[2][1] is None  # first bar; next to a bad bar
    assert kept[1][1] == pytest.approx(0.01)
    assert kept[1][2] == pytest.approx(math.log(1.01))
    assert kept[3][1] == pytest.approx(10.4 / 10.3 - 1)
