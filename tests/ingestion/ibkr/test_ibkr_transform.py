from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from ingestion.ibkr.transform import BarPayload, bars_to_batch, payloads_to_batch

GOOD = {"date": "2019-12-03", "open": 39.31, "high": 39.5, "low": 38.87, "close": 39.34,
        "volume": 8706000.0, "average": 39.2, "barCount": 41000}


def _reasons(batch):
    return {(r.record_key, r.reason) for r in batch.rejected}


@pytest.mark.parametrize(("change", "reason"), [
    ({"open": -39.31}, "non-positive price"),
    ({"low": 0.0}, "non-positive price"),
    ({"open": 0.0, "high": 0.0, "low": 0.0, "close": 0.0, "volume": 0.0}, "all-zero bar"),
    ({"high": 38.0}, "high below low"),
    ({"open": 40.0}, "open outside [low, high]"),
    ({"close": 38.0}, "close outside [low, high]"),
    ({"volume": -1.0}, "negative volume"),
    ({"close": None}, "missing field: close"),
    ({"close": "n/a"}, "invalid value in field: close"),
    ({"volume": [1]}, "invalid value in field: volume"),
    ({"high": float("inf")}, "invalid value in field: high"),
    ({"date": "03/12/2019"}, "invalid value in field: date"),
    ({"barCount": "many"}, "invalid value in field: barCount"),
])
def test_each_broken_rule_quarantines_the_bar_with_its_reason(change, reason):
    batch = bars_to_batch("CBS", "TRADES", [GOOD | change], origin="CBS.TRADES.json")
    assert batch.rows.height == 0
    [rejected] = batch.rejected
    assert rejected.reason == reason
    assert rejected.payload == GOOD | change
    assert (rejected.source, rejected.entity, rejected.file) == ("ibkr", "ib_bars",
                                                                  "CBS.TRADES.json")


def test_numbers_sent_as_numeric_strings_are_read_as_numbers():
    batch = bars_to_batch("CBS", "TRADES", [GOOD | {"close": "39.34", "barCount": "41000"}])
    assert batch.rows.select("close", "bar_count").row(0) == (39.34, 41000)


def test_a_field_absent_from_the_dict_is_reported_missing_and_the_rest_is_kept():
    absent_volume = {k: v for k, v in GOOD.items() if k != "volume"} | {"date": "2019-12-02"}
    batch = bars_to_batch("CBS", "TRADES", [absent_volume, GOOD])
    assert _reasons(batch) == {("CBS|TRADES|2019-12-02", "missing field: volume")}
    assert batch.rows["bar_date"].to_list() == [date(2019, 12, 3)]


def test_valid_bar_becomes_a_row_of_the_raw_schema_with_vendor_names_gone():
    batch = bars_to_batch("CBS", "TRADES", [GOOD])
    assert batch.rows.row(0, named=True) == {
        "symbol": "CBS", "bar_date": date(2019, 12, 3), "what_to_show": "TRADES",
        "open": 39.31, "high": 39.5, "low": 38.87, "close": 39.34, "volume": 8706000.0,
        "average": 39.2, "bar_count": 41000, "available_at": datetime(2019, 12, 3, 21, 0),
    }


def test_ib_minus_one_for_not_applicable_average_and_count_becomes_null():
    batch = bars_to_batch("CBS", "ADJUSTED_LAST", [GOOD | {"average": -1, "barCount": -1}])
    assert batch.rows.select("average", "bar_count").row(0) == (None, None)
    assert batch.rejected == []


@pytest.mark.parametrize(("day", "close_utc"), [
    ("2019-12-04", datetime(2019, 12, 4, 21, 0)),  # EST, winter
    ("2014-06-09", datetime(2014, 6, 9, 20, 0)),   # EDT, summer
    ("2019-11-01", datetime(2019, 11, 1, 20, 0)),  # last Friday of EDT (ends 3 Nov 2019)
    ("2019-11-04", datetime(2019, 11, 4, 21, 0)),  # first Monday of EST
    ("2019-03-08", datetime(2019, 3, 8, 21, 0)),   # last Friday of EST (EDT from 10 Mar)
    ("2019-03-11", datetime(2019, 3, 11, 20, 0)),
])
def test_available_at_is_the_new_york_session_close_in_naive_utc(day, close_utc):
    batch = bars_to_batch("X", "TRADES", [GOOD | {"date": day}])
    [available_at] = batch.rows["available_at"].to_list()
    assert available_at == close_utc
    reference = datetime.fromisoformat(f"{day}T16:00").replace(tzinfo=ZoneInfo("America/New_York"))
    assert available_at == reference.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def test_first_valid_bar_of_a_date_wins_and_later_conflicting_ones_are_quarantined():
    second = GOOD | {"volume": 9000000.0}
    batch = bars_to_batch("CBS", "TRADES", [GOOD, second])
    assert batch.rows["volume"].to_list() == [8706000.0]
    assert [(r.reason, r.payload) for r in batch.rejected] == [
        ("duplicate bar: another valid bar for this date came first", second)]


def test_an_invalid_first_copy_does_not_displace_the_valid_second_copy():
    zero = GOOD | {"open": 0.0, "high": 0.0, "low": 0.0, "close": 0.0, "volume": 0.0}
    batch = bars_to_batch("CBS", "TRADES", [zero, GOOD])
    assert batch.rows["close"].to_list() == [39.34]
    assert [r.reason for r in batch.rejected] == ["all-zero bar"]


def test_same_date_in_different_symbols_or_kinds_is_not_a_duplicate():
    batch = payloads_to_batch([BarPayload("CBS", "TRADES", [GOOD]),
                               BarPayload("CBS", "ADJUSTED_LAST", [GOOD]),
                               BarPayload("VIAB", "TRADES", [GOOD])])
    assert batch.rejected == []
    assert batch.rows.select("symbol", "what_to_show").rows() == [
        ("CBS", "TRADES"), ("CBS", "ADJUSTED_LAST"), ("VIAB", "TRADES")]


def test_empty_payload_gives_an_empty_batch_with_the_raw_schema():
    batch = bars_to_batch("CBS", "TRADES", [])
    assert batch.rows.height == 0
    assert batch.rows.schema["available_at"] == pl.Datetime("us")
