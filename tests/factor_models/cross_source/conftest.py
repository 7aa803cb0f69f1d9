"""Cross-source inputs: the sample FRED panel (with stand-ins for the unlicensed series),
seeded random bars for 8 symbols whose returns load on rate and dollar changes, their technical
factors, and a hand-made quarterly fundamental frame."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from macro_panel import empty_inputs, full_panel, sessions

from factor_models.cross_source.define import FUNDAMENTAL_COMPONENTS
from factor_models.technical import compute_technical

START, END = date(2013, 1, 2), date(2018, 12, 31)
SYMBOLS = [f"S{i}" for i in range(8)]


def random_bars(panel: pl.DataFrame) -> pl.DataFrame:
    days = sessions(date(2014, 1, 2), END)
    rng = np.random.default_rng(7)
    # The same day's yield change (observation date), as the betas pair them.
    rates = (panel.filter(pl.col("series_id") == "DGS10")
             .unique("observation_date").select(pl.col("observation_date").alias("date"), "change")
             .join(days, on="date", how="right").fill_null(0.0)["change"].to_numpy())
    frames = []
    for i, symbol in enumerate(SYMBOLS):
        returns = 0.05 * (i - 3.5) / 3.5 * rates + rng.normal(0.0004, 0.015, days.height)
        close = 50.0 * np.exp(np.cumsum(returns))
        frames.append(days.with_columns(
            symbol=pl.lit(symbol), open=close * 0.998, high=close * 1.01, low=close * 0.99,
            close=close, volume=rng.integers(100_000, 2_000_000, days.height).astype(float)))
    return pl.concat(frames).select("symbol", "date", "open", "high", "low", "close", "volume")


def quarterly_fundamentals(bars: pl.DataFrame) -> pl.DataFrame:
    """Values that change once a quarter per symbol (seeded), on every bar's date."""
    rng = np.random.default_rng(11)
    grid = bars.select("date", "symbol").with_columns(
        quarter=pl.col("date").dt.year() * 4 + pl.col("date").dt.quarter())
    keys = grid.select("symbol", "quarter").unique().sort("symbol", "quarter")
    values = {name: rng.normal(0.0, 1.0, keys.height) for name in FUNDAMENTAL_COMPONENTS}
    return grid.join(keys.with_columns(**values), on=["symbol", "quarter"]).drop("quarter")


@pytest.fixture(scope="session")
def cross_inputs():
    panel = full_panel(START, END)
    bars = random_bars(panel)
    base = empty_inputs(panel)
    return type(base)(bars=bars, fundamentals=base.fundamentals, macro=panel,
                      securities=base.securities,
                      computed={"technical": compute_technical(bars),
                                "fundamental": quarterly_fundamentals(bars)})
