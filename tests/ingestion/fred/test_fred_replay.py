"""Replay of the real GDP ALFRED recording, windows, and unreadable files."""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl
import pytest
from fred_fixtures import GDP_FOLDER

from ingestion.batch import PayloadError
from ingestion.fred import ReplayClient, fetch


@pytest.fixture(scope="module")
def gdp() -> pl.DataFrame:
    series, observations = fetch(ReplayClient(GDP_FOLDER), "gdp")
    assert (series.table, observations.table) == ("fred_series", "fred_observations")
    assert not series.rejected and not observations.rejected
    return observations.rows


def _vintage(rows: pl.DataFrame, day: date, start: date) -> dict:
    return rows.filter((pl.col("observation_date") == day)
                       & (pl.col("realtime_start") == start)).row(0, named=True)


def test_every_gdp_vintage_is_loaded(gdp: pl.DataFrame) -> None:
    assert gdp.height == 3201
    assert gdp["realtime_start"].n_unique() == 395
    assert gdp["realtime_start"].min() == date(1991, 12, 4)
    assert gdp["realtime_start"].max() == date(2024, 12, 19)


def test_gdp_1946q1_history_with_missing_vintages(gdp: pl.DataFrame) -> None:
    history = gdp.filter(pl.col("observation_date") == date(1946, 1, 1)).sort("realtime_start")
    assert history.select("realtime_start", "realtime_end", "value").rows() == [
        (date(1992, 12, 22), date(1996, 1, 18), 199.7),
        (date(1996, 1, 19), date(1997, 5, 6), None),  # FRED's '.': no value in that vintage
        (date(1997, 5, 7), date(1999, 10, 27), 210.4),
        (date(1999, 10, 28), date(9999, 12, 31), None),
    ]


def test_gdp_2024q3_revisions_and_available_at(gdp: pl.DataFrame) -> None:
    row = _vintage(gdp, date(2024, 7, 1), date(2024, 10, 30))
    assert (row["value"], row["realtime_end"]) == (29349.924, date(2024, 11, 26))
    assert _vintage(gdp, date(2024, 7, 1), date(2024, 12, 19))["value"] == 29374.914
    assert row["available_at"] == datetime(2024, 10, 30)


def test_series_metadata_last_updated_is_utc() -> None:
    series = fetch(ReplayClient(GDP_FOLDER), "GDP")[0].rows.row(0, named=True)
    assert series["title"] == "Gross Domestic Product"
    assert series["last_updated"] == datetime(2024, 12, 19, 13, 55, 1)  # 07:55:01-06
    assert series["available_at"] == series["last_updated"]
    assert series["observation_start"] == date(1947, 1, 1)


def test_window_clips_periods_like_fred() -> None:
    body = ReplayClient(GDP_FOLDER).observations("GDP", date(2020, 1, 1), date(2020, 1, 1))
    rows = {row["date"]: row for row in body["observations"]}
    # Q3 2019 as known on 2020-01-01: the third estimate of 2019-12-20, clipped to the window.
    assert rows["2019-07-01"] == {"realtime_start": "2020-01-01", "realtime_end": "2020-01-01",
                                  "date": "2019-07-01", "value": "21542.54"}
    assert "2019-10-01" not in rows  # first published 2020-01-30
    assert body["count"] == len(body["observations"]) == 295  # 1946Q1..2019Q3


def test_fetch_window_returns_exactly_the_vintages_published_in_it(gdp: pl.DataFrame) -> None:
    batch = fetch(ReplayClient(GDP_FOLDER), "GDP", date(2020, 1, 1), date(2020, 12, 31))[1]
    expected = gdp.filter(pl.col("realtime_start").is_between(date(2020, 1, 1),
                                                               date(2020, 12, 31)))
    assert batch.rows.height == expected.height > 0
    order = ["observation_date", "realtime_start"]
    assert batch.rows.sort(order).equals(expected.sort(order))  # realtime_end not clipped


def test_keys_and_missing_series(tmp_path) -> None:
    client = ReplayClient(GDP_FOLDER)
    assert client.keys() == ["GDP"]
    with pytest.raises(PayloadError, match=r"UNRATE\.json: no recorded"):
        fetch(client, "UNRATE")
    with pytest.raises(ValueError, match="invalid FRED series id"):
        fetch(client, "GDP; DROP")


def test_truncated_json_names_the_file(tmp_path) -> None:
    for kind in ("series", "observations"):
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "GDP.json").write_bytes((GDP_FOLDER / kind / "GDP.json").read_bytes())
    truncated = tmp_path / "observations" / "GDP.json"
    truncated.write_bytes(truncated.read_bytes()[:5000])
    with pytest.raises(PayloadError, match=rf"{truncated}: truncated or invalid JSON"):
        fetch(ReplayClient(tmp_path), "GDP")
    truncated.write_text(json.dumps({"seriess": []}))
    with pytest.raises(PayloadError, match="'observations' list"):
        fetch(ReplayClient(tmp_path), "GDP")
