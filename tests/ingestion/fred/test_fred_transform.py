"""Transform: FRED's '.', quarantine of bad rows, series metadata."""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl
from fred_fixtures import GDP_FOLDER

from ingestion.fred.transform import observations_batch, series_batch


def _real_gdp_rows(count: int) -> list[dict]:
    return json.loads((GDP_FOLDER / "observations" / "GDP.json").read_text())[
        "observations"][:count]


def test_missing_marker_is_kept_as_a_null_value() -> None:
    batch = observations_batch({"observations": _real_gdp_rows(4)}, "GDP", "GDP.json")
    assert batch.rows["value"].to_list() == [199.7, None, 210.4, None]
    assert batch.rows["realtime_end"].to_list()[-1] == date(9999, 12, 31)
    assert not batch.rejected


def test_bad_rows_are_quarantined_and_the_rest_loads() -> None:
    good = _real_gdp_rows(8)
    # DERIVED: real GDP rows with one field corrupted each.
    bad = [
        {**good[4], "value": "n/a"},
        {**good[5], "date": "1946-13-01"},
        {**good[6], "realtime_end": "1990-01-01"},
        {**good[7], "value": None},
        dict(good[0]),
        {**good[4], "value": "inf", "realtime_start": "2000-01-01"},
    ]
    batch = observations_batch({"observations": good[:4] + bad}, "GDP", "obs/GDP.json")
    assert batch.rows.height == 4
    reasons = {r.record_key: r.reason for r in batch.rejected}
    assert reasons == {
        "GDP|1946-04-01|1992-12-22": "value is neither a number nor '.'",
        "GDP|1946-13-01|1996-01-19": "date missing or not YYYY-MM-DD",
        "GDP|1946-04-01|1997-05-07": "realtime_end before realtime_start",
        "GDP|1946-04-01|1999-10-28": "value missing",
        "GDP|1946-01-01|1992-12-22": "duplicate (date, realtime_start) in payload",
        "GDP|1946-04-01|2000-01-01":
            "realtime_end before realtime_start; value is neither a number nor '.'",
    }
    rejected = batch.rejected[0]
    assert (rejected.source, rejected.entity, rejected.file) == (
        "fred", "fred_observations", "obs/GDP.json")
    assert rejected.payload == {**good[4], "value": "n/a"}


def test_rows_match_the_raw_schema() -> None:
    batch = observations_batch({"observations": _real_gdp_rows(2)}, "GDP")
    assert batch.rows.schema == pl.Schema({
        "series_id": pl.String, "observation_date": pl.Date, "value": pl.Float64,
        "realtime_start": pl.Date, "realtime_end": pl.Date, "available_at": pl.Datetime("us")})
    assert batch.rows["available_at"].to_list() == [datetime(1992, 12, 22), datetime(1996, 1, 19)]


def test_series_with_unreadable_last_updated_is_quarantined() -> None:
    body = json.loads((GDP_FOLDER / "series" / "GDP.json").read_text())
    real = body["seriess"][0]
    body["seriess"].append({**real, "id": "GDPX", "last_updated": "yesterday"})
    batch = series_batch(body, "series/GDP.json")
    assert batch.rows["series_id"].to_list() == ["GDP"]
    assert [(r.record_key, r.reason) for r in batch.rejected] == [
        ("GDPX|yesterday", "last_updated missing or not 'YYYY-MM-DD HH:MM:SS±HH'")]
