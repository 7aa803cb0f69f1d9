"""Bars: calendar, OHLC sanity, sector correlation, splits and dividends in ADJUSTED_LAST."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ingestion.synthetic import SyntheticUniverse
from ingestion.synthetic.calendar import trading_days

SAMPLE_BARS = Path(__file__).parents[3] / "data" / "sample" / "ibkr" / "bars"


def test_nyse_calendar_matches_known_session_counts_and_closures():
    sessions = set(trading_days(date(2015, 1, 1), date(2025, 12, 31)).astype(str))
    per_year = {y: sum(d.startswith(str(y)) for d in sessions) for y in range(2015, 2026)}
    # NYSE's published session counts
    assert per_year == {2015: 252, 2016: 252, 2017: 251, 2018: 251, 2019: 252, 2020: 253,
                        2021: 252, 2022: 251, 2023: 250, 2024: 252, 2025: 250}
    for closed in ("2018-12-05", "2022-06-20", "2021-12-24", "2025-01-09", "2024-03-29"):
        assert closed not in sessions
    assert "2021-12-31" in sessions  # a Saturday New Year's Day is not observed on Friday


def test_bars_are_internally_consistent(universe):
    frame = universe.bars_frame("TRADES")
    assert frame.filter((pl.col("low") > pl.min_horizontal("open", "close"))
                        | (pl.col("high") < pl.max_horizontal("open", "close"))
                        | (pl.col("average") < pl.col("low"))
                        | (pl.col("average") > pl.col("high"))).height == 0
    assert frame["volume"].min() > 0 and frame["bar_count"].min() >= 1
    sessions = set(universe.sessions.astype("datetime64[D]").tolist())
    assert set(frame["bar_date"].unique().to_list()) <= sessions


def test_listings_and_delistings_shape_the_bars(universe):
    client = universe.ibkr_client()
    firsts, lasts = {}, {}
    for p in universe.profiles:
        bars = client.bars(p.symbol, "TRADES")
        firsts[p.symbol], lasts[p.symbol] = bars[0]["date"], bars[-1]["date"]
        if p.delisted_on:
            assert lasts[p.symbol] <= p.delisted_on.isoformat()
    assert min(firsts.values()) == universe.start.isoformat()
    assert any(f > universe.start.isoformat() for f in firsts.values()), "no IPO"
    assert any(v < universe.end.isoformat() for v in lasts.values()), "no delisting"


def test_returns_correlate_more_within_a_sector_than_across(universe):
    whole_window = [p.symbol for p in universe.profiles if not p.is_ipo and not p.delisted_on]
    frame = (universe.bars_frame("ADJUSTED_LAST", whole_window)
             .filter(pl.col("bar_date") >= universe.start)
             .with_columns(ret=pl.col("close").log().diff().over("symbol"))
             .pivot(on="symbol", index="bar_date", values="ret").drop_nulls())
    sectors = {p.symbol: p.sector_index for p in universe.profiles}
    names = [c for c in frame.columns if c != "bar_date"]
    corr = np.corrcoef(frame.select(names).to_numpy().T)
    same = np.array([[sectors[a] == sectors[b] for b in names] for a in names])
    off = ~np.eye(len(names), dtype=bool)
    within, across = corr[same & off].mean(), corr[~same & off].mean()
    assert 0.2 < across < within < 0.8, (within, across)
    assert within - across > 0.05


def _close_ratio(trades: list[dict], adjusted: list[dict], day: str) -> float:
    """How much the TRADES/ADJUSTED_LAST close ratio drops from the session before ``day``."""
    i = next(n for n, b in enumerate(trades) if b["date"] == day)
    before = trades[i - 1]["close"] / adjusted[i - 1]["close"]
    return before / (trades[i]["close"] / adjusted[i]["close"])


def test_split_ratio_is_exact_in_trades_over_adjusted_close():
    universe = SyntheticUniverse(symbols=300, years=10, seed=11)
    client, ratios = universe.ibkr_client(), set()
    for p in universe.profiles:
        for split in universe.company(p.index).prices.splits:
            ratio = _close_ratio(client.bars(p.symbol, "TRADES"),
                                 client.bars(p.symbol, "ADJUSTED_LAST"), str(split.day))
            assert ratio == pytest.approx(split.ratio, rel=2e-5)
            ratios.add(split.ratio)
        if len(ratios) >= 3:
            break
    assert len(ratios) >= 3, ratios  # 2:1, 3:1, 1-for-10 ...


def test_dividend_adjustment_matches_the_hand_formula(universe):
    client = universe.ibkr_client()
    payer = next(p for p in universe.profiles if universe.company(p.index).prices.dividends)
    trades = client.bars(payer.symbol, "TRADES")
    adjusted = client.bars(payer.symbol, "ADJUSTED_LAST")
    dividend = universe.company(payer.index).prices.dividends[3]
    i = next(n for n, b in enumerate(trades) if b["date"] == str(dividend.day))
    expected = 1 / (1 - dividend.amount / trades[i - 1]["close"])
    assert _close_ratio(trades, adjusted, str(dividend.day)) == pytest.approx(expected, rel=2e-5)


@pytest.mark.parametrize(("symbol", "day", "ratio"), [
    ("AAPL", "2020-08-31", 4.0), ("TSLA", "2020-08-31", 5.0), ("TSLA", "2022-08-25", 3.0),
    ("GOOGL", "2022-07-18", 20.0), ("NVDA", "2021-07-20", 4.0), ("NVDA", "2024-06-10", 10.0),
])
def test_sample_bundle_carries_the_real_splits(symbol, day, ratio):
    trades = json.loads((SAMPLE_BARS / f"{symbol}.TRADES.json").read_text())
    adjusted = json.loads((SAMPLE_BARS / f"{symbol}.ADJUSTED_LAST.json").read_text())
    assert [b["date"] for b in trades] == [b["date"] for b in adjusted]
    assert _close_ratio(trades, adjusted, day) == pytest.approx(ratio, rel=2e-5)
    assert trades[-1]["close"] == adjusted[-1]["close"]


def test_sample_bundle_listing_dates():
    first = {s: json.loads((SAMPLE_BARS / f"{s}.TRADES.json").read_text())[0]["date"]
             for s in ("AAPL", "SNOW", "LPA")}
    assert first == {"AAPL": "2015-01-02", "SNOW": "2020-09-16", "LPA": "2024-03-27"}


def test_sample_bundle_is_what_the_generator_writes(tmp_path):
    from ingestion.synthetic.sample import write_sample

    for path in write_sample(tmp_path):
        assert path.read_bytes() == (SAMPLE_BARS / path.name).read_bytes(), path.name
