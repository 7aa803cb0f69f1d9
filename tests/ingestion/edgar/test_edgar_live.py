"""LiveClient (sec-edgar-api) against a real HTTP stand-in for data.sec.gov on 127.0.0.1."""

import time
from datetime import UTC, datetime

import pytest
from edgar_fixtures import USER_AGENT
from polars.testing import assert_frame_equal

from ingestion.batch import EmptyResultError, PayloadError
from ingestion.edgar import LiveClient, fetch

PAGE = "/submissions/CIK0001318605-submissions-001.json"


@pytest.mark.parametrize("cik", ["0000320193", "0001318605", "0000315090"])
def test_live_fetch_equals_replay_fetch(live, replay, sec, cik):
    live_batches, replay_batches = fetch(live, cik), fetch(replay, cik)
    for got, expected in zip(live_batches, replay_batches, strict=True):
        assert got.table == expected.table
        if got.table == "edgar_tickers":  # live dates the map when fetched, replay by file name
            now = datetime.now(UTC).replace(tzinfo=None)
            assert all(fetched <= now for fetched in got.rows["available_at"])
            got.rows, expected.rows = got.rows.drop("available_at"), expected.rows.drop(
                "available_at")
        assert_frame_equal(got.rows, expected.rows)
    assert {r.user_agent for r in sec.requests} == {USER_AGENT}


def test_submissions_pages_are_requested_raw_at_the_sec_paths(live, sec):
    pages = live.submissions(1318605)
    assert [p.origin.removeprefix(sec.url) for p in pages] == [
        "/submissions/CIK0001318605.json", PAGE]
    assert pages[0]["filings"]["files"][0]["name"] == "CIK0001318605-submissions-001.json"
    assert len(pages[0]["filings"]["recent"]["accessionNumber"]) == 1000  # not merged
    assert len(pages[1]["accessionNumber"]) == 720
    facts = live.company_facts("CIK0000320193")
    assert facts.origin == f"{sec.url}/api/xbrl/companyfacts/CIK0000320193.json"


def test_a_503_is_retried(live, sec):
    sec.fail(PAGE, 503)
    assert len(live.submissions(1318605)) == 2
    assert [r.status for r in sec.requests if r.path == PAGE] == [503, 200]


def test_persistent_503_gives_up_after_the_attempts_naming_the_url(sec):
    client = LiveClient(USER_AGENT, base_url=sec.url, attempts=3, backoff=0.01)
    sec.fail(PAGE, 503, times=10)
    with pytest.raises(PayloadError, match=f"{sec.url}{PAGE}: request failed after retries"):
        client.submissions(1318605)
    assert [r.status for r in sec.requests if r.path == PAGE] == [503, 503, 503]


def test_not_found_is_empty_and_not_retried(live, sec):
    with pytest.raises(EmptyResultError, match="CIK0000789019.json: not found"):
        live.company_facts(789019)
    assert [r.status for r in sec.requests] == [404]


def test_client_errors_are_not_retried(live, sec):
    sec.fail("/api/xbrl/companyfacts/CIK0000320193.json", 400)
    with pytest.raises(PayloadError, match="HTTP 400"):
        live.company_facts(320193)
    assert len(sec.requests) == 1


@pytest.mark.parametrize("user_agent", [None, "", "   "])
def test_missing_user_agent_says_which_variable_to_set(user_agent):
    with pytest.raises(ValueError, match="set the environment variable SEC_USER_AGENT"):
        LiveClient(user_agent)


def test_user_agent_needs_a_contact_address():
    with pytest.raises(ValueError, match="no e-mail address.*SEC_USER_AGENT"):
        LiveClient("Factor Mart")


def test_standin_refuses_requests_without_user_agent(sec):
    import requests

    response = requests.get(f"{sec.url}/submissions/CIK0000320193.json",
                            headers={"User-Agent": ""}, timeout=5)
    assert response.status_code == 403


def test_at_most_ten_requests_per_second(live, sec):
    started = time.perf_counter()
    for _ in range(11):
        live.company_facts(1997711)
    elapsed = time.perf_counter() - started
    # the library's limiter allows 10 per rolling second: the 11th request waits for the 1st
    assert elapsed >= 0.95, elapsed
    assert len(sec.requests) == 11


def test_keys_come_from_configuration(sec):
    client = LiveClient(USER_AGENT, base_url=sec.url, ciks=[320193, "CIK1318605"])
    assert client.keys() == ["0000320193", "0001318605"]
