"""Fixtures for the EDGAR adapter tests: the recorded replay folder and a local SEC stand-in."""

from __future__ import annotations

import pytest
from edgar_fixtures import FIXTURES, USER_AGENT

from ingestion.edgar import LiveClient, ReplayClient
from ingestion.edgar.standin import EdgarStandIn


@pytest.fixture
def replay() -> ReplayClient:
    return ReplayClient(FIXTURES)


@pytest.fixture
def sec():
    """data.sec.gov stand-in on 127.0.0.1 serving the recorded fixtures."""
    with EdgarStandIn(FIXTURES) as standin:
        yield standin


@pytest.fixture
def live(sec: EdgarStandIn) -> LiveClient:
    return LiveClient(USER_AGENT, base_url=sec.url, backoff=0.01)
