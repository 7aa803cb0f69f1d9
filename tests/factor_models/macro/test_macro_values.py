"""Macro factors against values computed by hand from the sample bundle's FRED rows, on the
vintage known at the date's close (each sample observation is released at its period end plus
the lag in data/sample/fred/PROVENANCE.md)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest
from macro_panel import empty_inputs, sample_observations

from factor_models.catalog import by_family
from factor_models.inputs import MACRO_COLUMNS
from factor_models.macro import compute_macro, macro_panel_sql
from factor_models.macro.panel import validated_macro

FRIDAY = date(2018, 6, 29)


def value_on(wide: pl.DataFrame, name: str, day: date) -> float:
    return wide.filter(pl.col("date") == day)[name].item()


def test_there_are_at_least_20_macro_factors():
    assert len(by_family("macro")) >= 20


def test_rates_use_the_newest_yield_published_by_the_close(macro_wide):
    # 2018-06-29: H.15 has posted 2018-06-28 (DGS10 2.84, DGS2 2.52, T10YIE 2.10, T5YIE 2.07);
    # the 2018-06-29 yields (DGS10 2.85) appear the next day.
    assert value_on(macro_wide, "dgs10_level", FRIDAY) == pytest.approx(2.84)
    assert value_on(macro_wide, "curve_10y2y", FRIDAY) == pytest.approx(2.84 - 2.52)
    assert value_on(macro_wide, "real_rate_10y", FRIDAY) == pytest.approx(2.84 - 2.10)
    assert value_on(macro_wide, "breakeven_5y5y", FRIDAY) == pytest.approx(2 * 2.10 - 2.07)


def test_cpi_yoy_and_mom_switch_on_the_release_day(macro_wide):
    # CPIAUCSL May 2018 = 250.792 is released 2018-06-15; May 2017 = 244.004, Apr 2018 = 250.227,
    # Apr 2017 = 244.193. On 2018-06-14 the newest print known is April's.
    assert value_on(macro_wide, "cpi_yoy", FRIDAY) == pytest.approx(250.792 / 244.004 - 1)
    assert value_on(macro_wide, "cpi_mom", FRIDAY) == pytest.approx(250.792 / 250.227 - 1)
    assert value_on(macro_wide, "cpi_yoy", date(2018, 6, 15)) == pytest.approx(
        250.792 / 244.004 - 1)
    assert value_on(macro_wide, "cpi_yoy", date(2018, 6, 14)) == pytest.approx(
        250.227 / 244.193 - 1)


def test_cpi_surprise_is_the_print_minus_its_trailing_12_print_mean(macro_wide):
    levels = [244.193, 244.004, 244.163, 244.243, 245.183, 246.435, 246.626, 247.284, 247.805,
              248.859, 249.529, 249.577, 250.227, 250.792]  # CPIAUCSL Apr 2017 .. May 2018
    moms = [b / a - 1 for a, b in zip(levels, levels[1:], strict=False)]
    expected = moms[-1] - sum(moms[:-1]) / 12
    assert value_on(macro_wide, "cpi_surprise_vs_trend", FRIDAY) == pytest.approx(expected)


def test_labour_changes_count_releases(macro_wide):
    # UNRATE May 2018 3.8 vs Feb 2018 4.1; PAYEMS May 148740 vs Feb 148054 (released by the 7th).
    assert value_on(macro_wide, "unrate_chg_3m", FRIDAY) == pytest.approx(3.8 - 4.1)
    assert value_on(macro_wide, "payrolls_chg_3m", FRIDAY) == pytest.approx(
        (148740 - 148054) / 3)


def test_sahm_rule_from_the_unemployment_releases(macro_wide):
    rates = (sample_observations().filter(
        pl.col("series_id") == "UNRATE",
        pl.col("observation_date").is_between(date(2017, 3, 1), date(2018, 5, 1)))
        .sort("observation_date")["value"].to_list())
    assert len(rates) == 15
    mean3 = [sum(rates[i - 2:i + 1]) / 3 for i in range(2, 15)]
    assert value_on(macro_wide, "sahm_rule", FRIDAY) == pytest.approx(mean3[-1] - min(mean3[:-1]))


def test_changes_over_sessions(macro_wide, macro_panel):
    dollar = macro_panel.filter(pl.col("series_id") == "DTWEXBGS").sort("date")
    row = dollar.with_row_index().filter(pl.col("date") == FRIDAY)["index"].item()
    then, now = dollar["value"][row - 63], dollar["value"][row]
    assert value_on(macro_wide, "dollar_chg_63d", FRIDAY) == pytest.approx(
        float(pl.Series([now / then]).log()[0]))


def test_a_series_missing_from_the_panel_gives_a_null_factor(macro_panel):
    without = macro_panel.filter(pl.col("series_id") != "BAMLH0A0HYM2")
    wide = compute_macro(empty_inputs(without), ["credit_spread_hy", "dgs10_level"])
    assert wide["credit_spread_hy"].null_count() == wide.height
    assert wide["dgs10_level"].drop_nulls().len() > 0


def test_bad_panels_are_named(macro_panel):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['yoy'\]"):
        validated_macro(macro_panel.drop("yoy"))
    doubled = pl.concat([macro_panel, macro_panel.head(1)])
    with pytest.raises(ValueError, match="duplicate .* first: series_id="):
        validated_macro(doubled)


def test_panel_sql_maps_fct_macro_asof_columns():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""create table marts.fct_macro_asof as select 'DGS10' as series_id,
        date '2018-06-29' as trading_date, 'Daily' as frequency, date '2018-06-29' as vintage_date,
        date '2018-06-28' as observation_date, 2.84 as value_known, 2.84 as first_release_value,
        date '2018-06-29' as first_release_date, date '2018-06-27' as previous_observation_date,
        0.01 as change, 0.0035 as pct_change, date '2017-06-28' as year_ago_observation_date,
        0.62 as yoy_change, 0.279 as yoy_pct_change, 0 as days_since_vintage""")
    rows = con.sql(macro_panel_sql(date(2018, 1, 1), date(2018, 12, 31))).pl()
    assert tuple(rows.columns) == MACRO_COLUMNS
    assert validated_macro(rows).row(0) == ("DGS10", FRIDAY, 2.84, date(2018, 6, 28), 2.84, 0.01,
                                            0.0035, 0.279)
