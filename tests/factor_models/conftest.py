"""Shared fixtures: real adjusted bars and the StockCharts worked examples."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from factor_models.technical import compute_technical

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "reference"


def load_real_bars() -> pl.DataFrame:
    """Yahoo daily bars with OHLC scaled by Adj Close / Close, in the compute_technical shape."""
    raw = pl.read_csv(REFERENCE / "yahoo_daily_bars.csv")
    ratio = pl.col("Adj Close") / pl.col("Close")
    return raw.select(
        symbol=pl.col("Name"),
        date=pl.col("Date").str.to_date(),
        open=pl.col("Open") * ratio,
        high=pl.col("High") * ratio,
        low=pl.col("Low") * ratio,
        close=pl.col("Adj Close"),
        volume=pl.col("Volume"),
    ).sort("symbol", "date")


def load_stockcharts(name: str) -> pl.DataFrame:
    """One StockCharts worked example (cs-<name>.csv) with empty cells as nulls."""
    return pl.read_csv(REFERENCE / f"cs-{name}.csv", infer_schema_length=None)


@pytest.fixture(scope="session")
def stockcharts():
    return load_stockcharts


@pytest.fixture(scope="session")
def real_bars() -> pl.DataFrame:
    return load_real_bars()


@pytest.fixture(scope="session")
def technical_values(real_bars: pl.DataFrame) -> pl.DataFrame:
    return compute_technical(real_bars)
