"""Non-TA-Lib factors against plain numpy computed window by window on real bars."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import polars as pl
import pytest

from factor_models.catalog import get
from factor_models.technical.define import MARKET_RETURN
from factor_models.technical.market import market_returns

SYMBOLS = ("AAPL", "XOM", "CA")


def _symbol(frame: pl.DataFrame, symbol: str) -> pl.DataFrame:
    return frame.filter(pl.col("symbol") == symbol)


def _returns(close: np.ndarray) -> np.ndarray:
    return np.concatenate([[np.nan], close[1:] / close[:-1] - 1.0])


def _rolling(values: np.ndarray, window: int, statistic) -> np.ndarray:
    """statistic(window of values) at each row whose window is complete and has no NaN."""
    out = np.full(len(values), np.nan)
    for t in range(window - 1, len(values)):
        chunk = values[t - window + 1 : t + 1]
        if not np.isnan(chunk).any():
            out[t] = statistic(chunk)
    return out


def _skew(x: np.ndarray) -> float:
    deviations = x - x.mean()
    return np.mean(deviations**3) / np.mean(deviations**2) ** 1.5


def _amihud_impact(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    dollar_volume = close * volume
    with np.errstate(divide="ignore", invalid="ignore"):
        impact = np.abs(_returns(close)) / dollar_volume * 1e6
    impact[dollar_volume <= 0] = np.nan
    return impact


def _reference(name: str, close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    r = _returns(close)
    lagged = {n: np.concatenate([np.full(n, np.nan), close[:-n]]) for n in (5, 21, 63, 126, 252)}
    lagged[1] = np.concatenate([[np.nan], close[:-1]])
    references = {
        "mom_12_1": lambda: lagged[21] / lagged[252] - 1,
        "mom_6_1": lambda: lagged[21] / lagged[126] - 1,
        "strev_21d": lambda: -(close / lagged[21] - 1),
        "vol_21d": lambda: _rolling(r, 21, lambda x: np.std(x, ddof=1)) * math.sqrt(252),
        "vol_63d": lambda: _rolling(r, 63, lambda x: np.std(x, ddof=1)) * math.sqrt(252),
        "downside_vol_63d": lambda: _rolling(
            r, 63, lambda x: math.sqrt(np.mean(np.minimum(x, 0) ** 2) * 252)
        ),
        "max_ret_21d": lambda: _rolling(r, 21, np.max),
        "skew_63d": lambda: _rolling(r, 63, _skew),
        "dist_52w_high": lambda: close / _rolling(close, 252, np.max) - 1,
        "dollar_volume_21d": lambda: _rolling(close * volume, 21, np.mean),
        "amihud_21d": lambda: _rolling(_amihud_impact(close, volume), 21, np.mean),
        "obv_trend_21d": lambda: (
            _rolling(np.sign(np.diff(close, prepend=np.nan)) * volume, 21, np.sum)
            / _rolling(volume, 21, np.sum)
        ),
    }
    for days in (1, 5, 21, 63, 126, 252):
        references[f"ret_{days}d"] = lambda days=days: close / lagged[days] - 1
    return references[name]()


HAND_COMPUTED = (
    "ret_1d",
    "ret_5d",
    "ret_21d",
    "ret_63d",
    "ret_126d",
    "ret_252d",
    "mom_12_1",
    "mom_6_1",
    "strev_21d",
    "vol_21d",
    "vol_63d",
    "downside_vol_63d",
    "max_ret_21d",
    "skew_63d",
    "dist_52w_high",
    "dollar_volume_21d",
    "amihud_21d",
    "obv_trend_21d",
)


def assert_same(ours: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> None:
    assert np.array_equal(np.isnan(ours), np.isnan(expected)), (
        f"null rows differ: ours {np.flatnonzero(np.isnan(ours))[:3]}..., "
        f"expected {np.flatnonzero(np.isnan(expected))[:3]}..."
    )
    assert (~np.isnan(expected)).sum() > 0, "nothing to compare"
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("symbol", SYMBOLS)
@pytest.mark.parametrize("name", HAND_COMPUTED)
def test_factor_matches_numpy(name, symbol, real_bars, technical_values):
    bars = _symbol(real_bars, symbol)
    ours = _symbol(technical_values, symbol)[name].to_numpy().astype(float)
    expected = _reference(name, bars["close"].to_numpy(), bars["volume"].to_numpy())
    # Rolling sums in polars are running sums: allow their rounding, far below any use.
    assert_same(ours, expected, rtol=1e-9, atol=1e-12)


def test_flat_spells_leave_amihud_null_but_dollar_volume_defined(technical_values):
    ca = _symbol(technical_values, "CA")
    assert ca["amihud_21d"].null_count() > ca["dollar_volume_21d"].null_count() + 21


def _market_returns(bars: pl.DataFrame) -> dict:
    """Equal-weighted mean of every symbol's return per date, in plain Python."""
    by_date = defaultdict(list)
    for symbol in bars["symbol"].unique().to_list():
        one = _symbol(bars, symbol)
        close = one["close"].to_numpy()
        for day, ret in zip(one["date"].to_list()[1:], close[1:] / close[:-1] - 1, strict=True):
            by_date[day].append(ret)
    return {day: float(np.mean(values)) for day, values in by_date.items()}


@pytest.mark.parametrize("symbol", ("AAPL", "MSFT"))
def test_beta_and_idiosyncratic_volatility_match_least_squares(symbol, real_bars, technical_values):
    market = _market_returns(real_bars)
    bars = _symbol(real_bars, symbol)
    stock = _returns(bars["close"].to_numpy())
    index = np.array([market.get(day, np.nan) for day in bars["date"].to_list()])
    ours = _symbol(technical_values, symbol)
    beta, idio = ours["beta_mkt_252d"].to_numpy(), ours["idio_vol_252d"].to_numpy()
    window = get("beta_mkt_252d").lookback
    checked = 0
    for t in range(len(stock)):
        rows = slice(t - window + 1, t + 1)
        if t < window:
            assert np.isnan(beta[t]) and np.isnan(idio[t])
            continue
        x, y = index[rows], stock[rows]
        slope, intercept = np.polyfit(x, y, 1)
        design = np.column_stack([np.ones(window), x])
        _, ssr, _, _ = np.linalg.lstsq(design, y, rcond=None)
        assert beta[t] == pytest.approx(slope, abs=1e-9)
        assert idio[t] == pytest.approx(math.sqrt(ssr[0] / (window - 2) * 252), abs=1e-9)
        checked += 1
    assert checked > 300


def test_mfi_counts_exact_typical_price_ties_as_no_flow_like_talib():
    # Cent prices make equal typical prices common; TA-Lib counts neither flow on such a day.
    import talib

    from factor_models.technical import compute_technical
    from ingestion.synthetic import SyntheticUniverse

    bars = (SyntheticUniverse(symbols=20, years=3, seed=7).bars_frame("ADJUSTED_LAST")
            .rename({"bar_date": "date"})
            .select("symbol", "date", "open", "high", "low", "close", "volume")
            .filter(pl.col("symbol") == "NQBW").sort("date"))
    high, low, close, volume = (bars[c].to_numpy().astype(float)
                                for c in ("high", "low", "close", "volume"))
    typical = (high + low + close) / 3.0
    assert (np.diff(typical) == 0).any()  # the case this test is about
    ours = compute_technical(bars, ["mfi_14"])["mfi_14"].to_numpy().astype(float)
    reference = talib.MFI(high, low, close, volume, 14)
    np.testing.assert_allclose(ours[14:], reference[14:], rtol=0, atol=1e-6)


def test_market_returns_are_the_per_date_mean_summed_in_a_fixed_order(real_bars):
    """The universe return the factor stage hands to every symbol group: the plain mean of
    each date's returns, bit for bit the same whatever the input's row order or date range
    (a month's run reads only its warm-up bars; the full build reads them all)."""
    market = market_returns(real_bars)
    expected = _market_returns(real_bars)
    days = market["date"].to_list()
    assert days == sorted(set(real_bars["date"]))
    ours = dict(zip(days, market[MARKET_RETURN].to_list(), strict=True))
    # No value where no symbol has a return (the first bars: 2015-01-12 and CA's 2018-01-04).
    assert {d for d, v in ours.items() if v is None} == set(days) - set(expected)
    assert max(abs(ours[d] - expected[d]) / abs(expected[d]) for d in expected
               if expected[d]) < 1e-13
    # Bit for bit: a group-by over 1,000 symbols summed them in an order that depended on the
    # input (4e-18 apart for the same date between a window and the whole).
    rng = np.random.default_rng(11)
    sessions = real_bars["date"].unique().sort()
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (1000, len(sessions))), axis=1))
    wide = pl.DataFrame({
        "symbol": np.repeat([f"S{i:04d}" for i in range(1000)], len(sessions)),
        "date": np.tile(sessions.to_numpy(), 1000), "close": close.ravel(),
    }).with_columns(open=pl.col("close"), high=pl.col("close") * 1.01,
                    low=pl.col("close") * 0.99, volume=pl.lit(1e6))
    market = market_returns(wide)
    assert market_returns(wide.sample(fraction=1.0, shuffle=True, seed=3)).equals(market)
    later = sessions[400]
    window = market_returns(wide.filter(pl.col("date") >= later))
    assert window.filter(pl.col("date") > later).equals(market.filter(pl.col("date") > later))
