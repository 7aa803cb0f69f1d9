"""FRED payloads: real shapes, release lags, revisions as ALFRED vintages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

# Keys of real bodies (shared/data/fred/api_json_pyfredapi_cassettes: GDP series and vintages).
SERIES_KEYS = {"id", "realtime_start", "realtime_end", "title", "observation_start",
               "observation_end", "frequency", "frequency_short", "units", "units_short",
               "seasonal_adjustment", "seasonal_adjustment_short", "last_updated", "popularity",
               "notes"}
BODY_KEYS = {"realtime_start", "realtime_end", "observation_start", "observation_end", "units",
             "output_type", "file_type", "order_by", "sort_order", "count", "offset", "limit",
             "observations"}


@pytest.fixture(scope="module")
def bodies(universe):
    client = universe.fred_client()
    series_ids = client.keys()
    return {sid: (client.series_info(sid), client.observations(sid)) for sid in series_ids}


def _by_date(rows: list[dict]) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for r in rows:
        out[r["date"]].append(r)
    return out


def test_about_thirty_series_in_the_real_shape(bodies):
    assert len(bodies) >= 32
    for sid, (info, body) in bodies.items():
        (series,) = info["seriess"]
        assert set(series) == SERIES_KEYS and series["id"] == sid
        assert set(body) == BODY_KEYS and body["count"] == len(body["observations"])


def test_vintages_chain_without_gaps_and_nothing_after_the_end(universe, bodies):
    end = universe.end.isoformat()
    for sid, (_, body) in bodies.items():
        for day, rows in _by_date(body["observations"]).items():
            starts = [r["realtime_start"] for r in rows]
            assert starts == sorted(starts) and starts[0] >= day, (sid, day)
            assert all(s <= end for s in starts)
            for a, b in zip(rows, rows[1:], strict=False):
                closes = date.fromisoformat(b["realtime_start"]) - timedelta(days=1)
                assert a["realtime_end"] == closes.isoformat(), (sid, day)
                assert a["value"] != b["value"]
            assert rows[-1]["realtime_end"] == "9999-12-31"


def test_release_lags_follow_each_calendar(bodies):
    def first_release(sid: str) -> dict[str, date]:
        rows = bodies[sid][1]["observations"]
        return {d: date.fromisoformat(r[0]["realtime_start"]) for d, r in _by_date(rows).items()}

    for day, published in first_release("DGS10").items():
        assert 1 <= (published - date.fromisoformat(day)).days <= 3  # next weekday
    for published in first_release("PAYEMS").values():
        assert published.weekday() == 4 and published.day <= 7  # first Friday of next month
    for day, published in first_release("GDP").items():
        assert 115 <= (published - date.fromisoformat(day)).days <= 125  # advance estimate


def test_revisions_are_kept_as_new_vintages(bodies):
    payems = _by_date(bodies["PAYEMS"][1]["observations"])
    gdp = _by_date(bodies["GDP"][1]["observations"])
    assert sum(len(v) >= 3 for v in payems.values()) > len(payems) / 2
    assert sum(len(v) >= 3 for v in gdp.values()) > len(gdp) / 2
    assert all(len(v) == 1 for v in _by_date(bodies["DGS10"][1]["observations"]).values())


def test_recession_months_are_first_published_as_zero_then_revised(bodies):
    usrec = _by_date(bodies["USREC"][1]["observations"])
    revised = [rows for rows in usrec.values()
               if rows[0]["value"] == "0" and rows[-1]["value"] == "1"]
    assert revised, "a recession is dated by NBER only months later"


def test_holidays_show_as_dots_in_daily_series(bodies):
    values = {r["date"]: r["value"] for r in bodies["DGS10"][1]["observations"]}
    assert values["2020-12-25"] == "." and values["2020-12-24"] != "."


def test_realtime_window_is_answered_like_fred(universe):
    client = universe.fred_client()
    body = client.observations("GDP", date(2020, 1, 1), date(2020, 12, 31))
    assert body["realtime_start"] == "2020-01-01" and body["realtime_end"] == "2020-12-31"
    assert body["observations"]
    for r in body["observations"]:
        assert "2020-01-01" <= r["realtime_start"] <= r["realtime_end"] <= "2020-12-31"
