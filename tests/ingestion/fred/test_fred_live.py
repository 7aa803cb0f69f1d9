"""The live client (real fredapi) against the local FRED stand-in: same data as replay."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from fred_fixtures import DERIVED_ID, GDP_FOLDER
from fred_standin import TEST_API_KEY, FredStandIn

from ingestion.fred import (
    FredApiError,
    LiveClient,
    MissingApiKeyError,
    ReplayClient,
    TransientFredError,
    fetch,
)

ORDER = ["observation_date", "realtime_start"]


def _live(standin: FredStandIn, **options) -> LiveClient:
    return LiveClient(TEST_API_KEY, standin.base_url, backoff_seconds=0, **options)


def _observation_requests(standin: FredStandIn) -> list[dict[str, str]]:
    return [params for path, params in standin.requests if path == "/fred/series/observations"]


def _assert_same_batches(live: list, replay: list) -> None:
    for live_batch, replay_batch in zip(live, replay, strict=True):
        assert live_batch.table == replay_batch.table
        assert not live_batch.rejected and not replay_batch.rejected
        key = ORDER if live_batch.table == "fred_observations" else ["series_id"]
        assert live_batch.rows.sort(key).equals(replay_batch.rows.sort(key))


def test_live_gdp_equals_replay() -> None:
    with FredStandIn(GDP_FOLDER) as standin:
        live = fetch(_live(standin), "GDP")
        assert _observation_requests(standin) == [
            {"series_id": "GDP", "realtime_start": "1776-07-04", "realtime_end": "9999-12-31"}]
    replay = fetch(ReplayClient(GDP_FOLDER), "GDP")
    _assert_same_batches(live, replay)
    gdp = live[1].rows
    first = gdp.filter(pl.col("observation_date") == date(1946, 1, 1)).sort("realtime_start")
    assert first["value"].to_list() == [199.7, None, 210.4, None]
    # realtime_end, dropped by fredapi, is rebuilt from the next vintage:
    assert first["realtime_end"].to_list() == [date(1996, 1, 18), date(1997, 5, 6),
                                               date(1999, 10, 27), date(9999, 12, 31)]


def test_live_window_equals_replay_window() -> None:
    window = (date(2008, 1, 1), date(2009, 6, 30))
    with FredStandIn(GDP_FOLDER) as standin:
        live = fetch(_live(standin), "GDP", *window)
    _assert_same_batches(live, fetch(ReplayClient(GDP_FOLDER), "GDP", *window))
    raw = ReplayClient(GDP_FOLDER).observations("GDP")["observations"]
    published = [r for r in raw if "2008-01-01" <= r["realtime_start"] <= "2009-06-30"]
    assert live[1].rows.height == len(published) == 30


def test_more_than_2000_vintages_are_fetched_in_chunks(derived_folder) -> None:
    replay = fetch(ReplayClient(derived_folder), DERIVED_ID)
    assert replay[1].rows["realtime_start"].n_unique() == 2600
    with FredStandIn(derived_folder) as standin:
        with pytest.raises(FredApiError, match=r"maximum number of vintage dates allowed \(2000\)"):
            _live(standin, max_vintages_per_request=5000).observations(DERIVED_ID)
        live = fetch(_live(standin), DERIVED_ID)
        chunks = _observation_requests(standin)[1:]
    vintages = sorted(replay[1].rows["realtime_start"].unique())
    boundary = vintages[2000]  # the 2,001st vintage (the first chunk also counts 1776-07-04's)
    assert [(c["realtime_start"], c["realtime_end"]) for c in chunks] == [
        ("1776-07-04", str(boundary - timedelta(days=1))), (str(boundary), "9999-12-31")]
    _assert_same_batches(live, replay)
    revised = live[1].rows.filter(pl.col("observation_date") == date(2000, 1, 3))
    assert revised.sort("realtime_start")["value"].to_list() == [6.58, 6.59]


def test_vintage_date_pages_and_row_limit_are_followed() -> None:
    limits = {"vintage_page_size": 100}
    with FredStandIn(GDP_FOLDER, row_limit=2000, **limits) as standin:
        live = fetch(_live(standin, max_rows_per_request=2000, **limits), "GDP")
        pages = [p.get("offset") for path, p in standin.requests
                 if path == "/fred/series/vintagedates"]
        windows = _observation_requests(standin)
    assert pages == [None, "100", "200", "300"]  # 395 vintages, 100 a page
    assert len(windows) > 1  # 3,201 rows under a 2,000-row limit: the window was split
    _assert_same_batches(live, fetch(ReplayClient(GDP_FOLDER), "GDP"))


def test_missing_api_key_names_the_environment_variable(monkeypatch) -> None:
    monkeypatch.setenv("FRED_API_KEY", TEST_API_KEY)  # never read from the environment
    for key in (None, ""):
        with pytest.raises(MissingApiKeyError, match="FRED_API_KEY"):
            LiveClient(key)


def test_wrong_api_key_and_unknown_series_are_named_errors() -> None:
    wrong = "f" * 32
    with FredStandIn(GDP_FOLDER) as standin:
        with pytest.raises(FredApiError, match="api_key is not registered") as error:
            LiveClient(wrong, standin.base_url).series_info("GDP")
        assert wrong not in str(error.value) and error.value.status == 400
        with pytest.raises(FredApiError, match=r"series_id=NOSUCH: HTTP 400: .*does not exist"):
            _live(standin).series_info("NOSUCH")


def test_transient_errors_are_retried() -> None:
    with FredStandIn(GDP_FOLDER) as standin:
        standin.fail_next(2, status=503)
        assert _live(standin, max_attempts=3).series_info("GDP")["seriess"][0]["id"] == "GDP"
        assert len(standin.requests) == 3
        standin.fail_next(2, status=429)
        with pytest.raises(TransientFredError, match="HTTP 429"):
            _live(standin, max_attempts=2).series_info("GDP")
