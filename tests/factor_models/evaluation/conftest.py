"""Real S&P bars (a 40-ticker slice) and 12-1 momentum on them, shared by the evaluation tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from factor_models.evaluation import forward_returns
from factor_models.technical import compute_technical
from factor_models.technical.compute import to_long

SLICE = Path(__file__).resolve().parents[2] / "fixtures" / "evaluation" / \
    "sp500_slice_2015_2016.csv.gz"


@pytest.fixture(scope="session")
def sp500_bars() -> pl.DataFrame:
    """Adjusted bars: OHLC scaled by Adj Close / Close (Yahoo's Close is split-adjusted only)."""
    raw = pl.read_csv(SLICE)
    ratio = pl.col("Adj Close") / pl.col("Close")
    return raw.select(
        symbol=pl.col("Name"), date=pl.col("Date").str.to_date(),
        open=pl.col("Open") * ratio, high=pl.col("High") * ratio, low=pl.col("Low") * ratio,
        close=pl.col("Adj Close"), volume=pl.col("Volume"),
    ).sort("symbol", "date")


@pytest.fixture(scope="session")
def sp500_labels(sp500_bars: pl.DataFrame) -> pl.DataFrame:
    return forward_returns(sp500_bars.select("date", "symbol", "close"))


@pytest.fixture(scope="session")
def momentum(sp500_bars: pl.DataFrame) -> pl.DataFrame:
    """mom_12_1 as long values (date, symbol, factor, value)."""
    return to_long(compute_technical(sp500_bars, ["mom_12_1"]))
