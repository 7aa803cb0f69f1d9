"""Macro point in time on real ALFRED data: GDP as known on past dates and its first releases."""

from __future__ import annotations

import gzip
import json
from datetime import date

import polars as pl
import pytest
from conftest import query

from factor_mart.settings import SAMPLE_DIR

# Read by hand from data/sample/fred/observations/GDP.json.gz (the FRED API body with every
# ALFRED vintage): (trading date, observation known then, value in the vintage of that date,
# first release of that observation).
GDP_AS_KNOWN = [
    (date(2008, 11, 3), date(2008, 7, 1), 14429.2, 14429.2),   # advance estimate of 2008-10-30
    (date(2008, 12, 1), date(2008, 7, 1), 14420.5, 14429.2),   # second estimate, 2008-11-25
    (date(2008, 12, 23), date(2008, 7, 1), 14412.8, 14429.2),  # third estimate, same day
    (date(2014, 6, 9), date(2014, 1, 1), 17101.3, 17149.6),    # second estimate, 2014-05-29
]



def gdp_panel(settings) -> pl.DataFrame:
    return query(settings, "select * from marts.fct_macro_asof where series_id = 'GDP'")


@pytest.mark.parametrize(("day", "observation", "known", "first_release"), GDP_AS_KNOWN)
def test_gdp_as_known_on_a_past_date_is_that_alfred_vintage(duckdb_warehouse, day, observation,
                                                            known, first_release):
    row = gdp_panel(duckdb_warehouse).filter(pl.col("trading_date") == day).row(0, named=True)
    assert row["observation_date"] == observation
    assert row["value_known"] == pytest.approx(known)
    assert row["first_release_value"] == pytest.approx(first_release)


def test_transforms_use_the_vintage_known_then_not_first_releases(duckdb_warehouse):
    row = gdp_panel(duckdb_warehouse).filter(
        pl.col("trading_date") == date(2014, 6, 9)).row(0, named=True)
    # 2013-10-01 and 2013-01-01 as the vintage in effect on 2014-06-09 states them (17089.6,
    # 16535.3); 2013-01-01's first release was 16010.2, which a naive yoy would use.
    assert row["previous_observation_date"] == date(2013, 10, 1)
    assert row["change"] == pytest.approx(17101.3 - 17089.6)
    assert row["pct_change"] == pytest.approx(17101.3 / 17089.6 - 1)
    assert row["year_ago_observation_date"] == date(2013, 1, 1)
    assert row["yoy_change"] == pytest.approx(17101.3 - 16535.3)
    assert row["yoy_pct_change"] == pytest.approx(17101.3 / 16535.3 - 1)


def alfred_first_releases() -> dict[date, float]:
    """First release per observation straight from the file: its earliest non-'.' vintage."""
    body = json.loads(gzip.decompress((SAMPLE_DIR / "fred/observations/GDP.json.gz").read_bytes()))
    first: dict[date, tuple[str, float]] = {}
    for row in body["observations"]:
        if row["value"] == ".":
            continue
        day = date.fromisoformat(row["date"])
        if day not in first or row["realtime_start"] < first[day][0]:
            first[day] = (row["realtime_start"], float(row["value"]))
    return {day: value for day, (_, value) in first.items()}


def test_first_release_equals_alfreds_first_release_for_every_gdp_quarter(duckdb_warehouse):
    vintages = query(duckdb_warehouse,
                     "select distinct observation_date, first_release_value "
                     "from intermediate.int_macro_vintages where series_id = 'GDP'")
    expected = alfred_first_releases()
    got = dict(vintages.iter_rows())
    assert len(got) == 315 and set(got) == set(expected)
    assert all(got[day] == pytest.approx(value) for day, value in expected.items())
    assert got[date(2008, 7, 1)] == pytest.approx(14429.2)


def test_the_panel_never_shows_a_value_before_it_was_published(duckdb_warehouse):
    late = query(duckdb_warehouse,
                 "select count(*) as n from marts.fct_macro_asof "
                 "where first_release_date > trading_date or vintage_date > trading_date")
    assert late["n"][0] == 0
    gdp = gdp_panel(duckdb_warehouse)
    # ALFRED's first GDP vintage is 1991-12-04: the panel starts on that session, not before.
    assert gdp["trading_date"].min() == date(1991, 12, 4)
