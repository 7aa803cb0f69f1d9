"""Fixtures for the IB adapter tests: replay folders converted from real Yahoo rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.ibkr.convert import yahoo_csv_to_replay

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ibkr" / "yahoo"
SP500_CSV = FIXTURES / "sp500_yfinance_CBS_STI_AAPL.csv"
AAPL_2014_CSV = FIXTURES / "yahoo_raw_2014_AAPL_split.csv"


@pytest.fixture
def replay_folder(tmp_path: Path) -> Path:
    """CBS, STI and AAPL (2015) from the S&P 500 file; AAPL14 from the unadjusted 2014 file."""
    folder = tmp_path / "replay"
    for symbol in ("CBS", "STI", "AAPL"):
        yahoo_csv_to_replay(SP500_CSV, folder, symbol)
    yahoo_csv_to_replay(AAPL_2014_CSV, folder, "AAPL14")
    return folder
