"""The trading calendar (NYSE rules, close times) and the security master / universe."""

from __future__ import annotations

import csv
import importlib.util
from datetime import date, datetime

import polars as pl
import pytest
from conftest import DBT_PROJECT_DIR, query

from ingestion.ibkr.transform import session_close_utc

# NYSE's published 2014 holidays.
NYSE_2014_HOLIDAYS = [date(2014, 1, 1), date(2014, 1, 20), date(2014, 2, 17), date(2014, 4, 18),
                      date(2014, 5, 26), date(2014, 7, 4), date(2014, 9, 1), date(2014, 11, 27),
                      date(2014, 12, 25)]



def test_2014_sessions_are_weekdays_minus_nyse_holidays(duckdb_warehouse):
    sessions = query(duckdb_warehouse, "select trading_date from marts.dim_calendar "
                                       "where calendar_year = 2014")["trading_date"].to_list()
    weekdays = pl.date_range(date(2014, 1, 1), date(2014, 12, 31), eager=True).filter(
        pl.date_range(date(2014, 1, 1), date(2014, 12, 31), eager=True).dt.weekday() <= 5)
    assert sessions == [d for d in weekdays.to_list() if d not in NYSE_2014_HOLIDAYS]
    assert len(sessions) == 252


def test_session_close_in_utc_follows_new_york_daylight_time(duckdb_warehouse):
    closes = dict(query(duckdb_warehouse,
                        "select trading_date, session_close_utc from marts.dim_calendar "
                        "where trading_date in ('2014-03-07', '2014-03-10', '2014-06-09', "
                        "'2014-11-28', '2014-12-01', '2006-04-03')").rows())
    assert closes == {
        date(2014, 3, 7): datetime(2014, 3, 7, 21), date(2014, 3, 10): datetime(2014, 3, 10, 20),
        date(2014, 6, 9): datetime(2014, 6, 9, 20), date(2014, 11, 28): datetime(2014, 11, 28, 18),
        date(2014, 12, 1): datetime(2014, 12, 1, 21), date(2006, 4, 3): datetime(2006, 4, 3, 20),
    }


def test_close_times_agree_with_the_time_zone_database_on_every_full_session(duckdb_warehouse):
    sessions = query(duckdb_warehouse,
                     "select trading_date, session_close_utc from marts.dim_calendar "
                     "where not is_early_close")
    expected = sessions.select(session_close_utc(pl.col("trading_date")).alias("tz"))["tz"]
    assert (sessions["session_close_utc"] == expected).all()


def test_neighbours_and_period_flags(duckdb_warehouse):
    row = query(duckdb_warehouse, "select * from marts.dim_calendar "
                                  "where trading_date = '2014-11-28'").row(0, named=True)
    assert row["prev_trading_date"] == date(2014, 11, 26)  # Thanksgiving skipped
    assert row["next_trading_date"] == date(2014, 12, 1)
    assert row["is_early_close"] and row["is_month_end"] and row["is_week_end"]
    assert not row["is_quarter_end"]


def test_holiday_seed_is_what_the_generator_writes(tmp_path):
    path = DBT_PROJECT_DIR / "scripts" / "generate_nyse_holidays.py"
    spec = importlib.util.spec_from_file_location("generate_nyse_holidays", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with module.OUTPUT.open() as handle:
        seed = [tuple(row) for row in csv.reader(handle)][1:]
    assert seed == module.rows()
    assert ("2025-01-09", "closed", "National Day of Mourning (Jimmy Carter)", "") in seed
    assert not any(day == "2022-12-31" or day == "2021-12-31" for day, *_ in seed)


@pytest.mark.parametrize(("symbol", "cik", "sector"), [
    ("TSLA", 1318605, "Consumer Discretionary"),   # SIC 3711 motor vehicles
    ("MRVL", 1835632, "Information Technology"),   # SIC 3674 semiconductors
])
def test_security_master_links_symbol_cik_and_sector(duckdb_warehouse, symbol, cik, sector):
    row = query(duckdb_warehouse, f"select * from marts.dim_security where symbol = '{symbol}'"
                ).row(0, named=True)
    assert (row["cik"], row["sector"], row["is_delisted"]) == (cik, sector, False)
    assert row["last_trading_date"] == date(2025, 12, 31)


def test_a_delisted_name_stays_in_the_universe_up_to_its_last_day(duckdb_warehouse):
    aapl = query(duckdb_warehouse, "select * from marts.dim_security where symbol = 'AAPL'"
                 ).row(0, named=True)
    # Only the 2014 fixture bars are landed for AAPL: to the warehouse it stopped trading then.
    assert aapl["last_trading_date"] == date(2014, 8, 29) and aapl["is_delisted"]
    days = query(duckdb_warehouse, "select trading_date from intermediate.int_universe_daily "
                                   "where symbol = 'AAPL'")["trading_date"]
    assert days.min() == date(2014, 3, 3) and days.max() == date(2014, 8, 29)
    assert days.len() == 127


def test_the_universe_starts_at_the_first_bar(duckdb_warehouse):
    snow = query(duckdb_warehouse, "select min(trading_date) as first_day "
                                   "from intermediate.int_universe_daily where symbol = 'SNOW'")
    assert snow["first_day"][0] == date(2020, 9, 16)
