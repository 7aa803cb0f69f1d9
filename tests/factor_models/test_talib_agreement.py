"""Every TA-Lib-type factor and indicator equals TA-Lib on real bars to 1e-6 after warm-up."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from factor_models.technical import indicators
from factor_models.technical.kernels import evaluate

talib = pytest.importorskip("talib")

TOLERANCE = 1e-6
SYMBOLS = ("AAPL", "MSFT", "XOM", "CA")


def _arrays(bars: pl.DataFrame, symbol: str) -> dict[str, np.ndarray]:
    one = bars.filter(pl.col("symbol") == symbol)
    return {c: one[c].to_numpy().astype(float) for c in ("open", "high", "low", "close", "volume")}


def _talib_factor(name: str, a: dict[str, np.ndarray]) -> np.ndarray:
    h, lo, c, v = a["high"], a["low"], a["close"], a["volume"]
    if name.startswith("macd"):
        line, signal, hist = talib.MACD(c, 12, 26, 9)
        return {"macd_12_26": line, "macd_signal_9": signal, "macd_hist": hist}[name] / c
    if name == "bb_pctb_20":
        upper, _, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
        return (c - lower) / (upper - lower)
    if name == "stoch_k_14":
        return talib.STOCHF(h, lo, c, 14, 1, 0)[0]
    if name == "stoch_d_3":
        return talib.STOCHF(h, lo, c, 14, 3, 0)[1]
    return {
        "rsi_14": lambda: talib.RSI(c, 14),
        "atr_14": lambda: talib.NATR(h, lo, c, 14) / 100.0,
        "adx_14": lambda: talib.ADX(h, lo, c, 14),
        "cci_20": lambda: talib.CCI(h, lo, c, 20),
        "willr_14": lambda: talib.WILLR(h, lo, c, 14),
        "aroon_osc_25": lambda: talib.AROONOSC(h, lo, 25),
        "mfi_14": lambda: talib.MFI(h, lo, c, v, 14),
    }[name]()


TALIB_FACTORS = (
    "rsi_14",
    "macd_12_26",
    "macd_signal_9",
    "macd_hist",
    "atr_14",
    "bb_pctb_20",
    "adx_14",
    "cci_20",
    "stoch_k_14",
    "stoch_d_3",
    "willr_14",
    "aroon_osc_25",
    "mfi_14",
)

# TA-Lib withholds the MACD line until the signal exists (row 33); ours starts at row 25.
EARLIER_THAN_TALIB = {"macd_12_26": range(25, 33)}


def assert_matches(ours: np.ndarray, expected: np.ndarray, tolerance: float, extra=()) -> None:
    """Same null pattern (except documented extra rows) and values within `tolerance`."""
    ours_missing = np.isnan(ours)
    expected_missing = np.isnan(expected)
    extra_rows = np.zeros_like(ours_missing)
    extra_rows[list(extra)] = True
    assert np.array_equal(ours_missing | extra_rows, expected_missing), (
        f"null rows differ: ours {np.flatnonzero(ours_missing)[-3:]}, "
        f"TA-Lib {np.flatnonzero(expected_missing)[-3:]}"
    )
    both = ~ours_missing & ~expected_missing
    worst = np.max(np.abs(ours[both] - expected[both]))
    assert worst <= tolerance, f"max |difference| {worst:.3g} > {tolerance}"


@pytest.mark.parametrize("symbol", SYMBOLS)
@pytest.mark.parametrize("name", TALIB_FACTORS)
def test_factor_matches_talib(name, symbol, real_bars, technical_values):
    ours = technical_values.filter(pl.col("symbol") == symbol)[name].to_numpy().astype(float)
    expected = _talib_factor(name, _arrays(real_bars, symbol))
    assert_matches(ours, expected, TOLERANCE, EARLIER_THAN_TALIB.get(name, ()))


def _evaluate(bars: pl.DataFrame, symbol: str, build) -> np.ndarray:
    # Evaluated on all symbols at once, so any leak across a symbol boundary would show.
    values = bars.select("symbol").with_columns(value=evaluate(bars, build))
    return values.filter(pl.col("symbol") == symbol)["value"].to_numpy().astype(float)


H, L, C, V = (pl.col(c) for c in ("high", "low", "close", "volume"))

PRICE_UNIT_INDICATORS = {
    "MACD line": (
        lambda plan: indicators.macd(plan, C).line,
        lambda a: talib.MACD(a["close"], 12, 26, 9)[0],
    ),
    "MACD signal": (
        lambda plan: indicators.macd(plan, C).signal,
        lambda a: talib.MACD(a["close"], 12, 26, 9)[1],
    ),
    "ATR": (
        lambda plan: indicators.atr(plan, H, L, C, 14),
        lambda a: talib.ATR(a["high"], a["low"], a["close"], 14),
    ),
    "BB upper": (
        lambda plan: indicators.bollinger(plan, C, 20, 2.0).upper,
        lambda a: talib.BBANDS(a["close"], 20, 2.0, 2.0, 0)[0],
    ),
    "+DI": (
        lambda plan: indicators.directional_movement(plan, H, L, C, 14).plus_di,
        lambda a: talib.PLUS_DI(a["high"], a["low"], a["close"], 14),
    ),
    "-DI": (
        lambda plan: indicators.directional_movement(plan, H, L, C, 14).minus_di,
        lambda a: talib.MINUS_DI(a["high"], a["low"], a["close"], 14),
    ),
    "RSI(5)": (lambda plan: indicators.rsi(plan, C, 5), lambda a: talib.RSI(a["close"], 5)),
    "ADX(7)": (
        lambda plan: indicators.directional_movement(plan, H, L, C, 7).adx,
        lambda a: talib.ADX(a["high"], a["low"], a["close"], 7),
    ),
}


@pytest.mark.parametrize("symbol", ("AAPL", "CA"))
@pytest.mark.parametrize("label", PRICE_UNIT_INDICATORS)
def test_indicator_matches_talib(label, symbol, real_bars):
    build, reference = PRICE_UNIT_INDICATORS[label]
    ours = _evaluate(real_bars, symbol, build)
    expected = reference(_arrays(real_bars, symbol))
    extra = range(25, 33) if label == "MACD line" else ()
    assert_matches(ours, expected, TOLERANCE, extra)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_obv_matches_talib_exactly(symbol, real_bars):
    ours = _evaluate(real_bars, symbol, lambda plan: indicators.on_balance_volume(C, V))
    a = _arrays(real_bars, symbol)
    np.testing.assert_array_equal(ours, talib.OBV(a["close"], a["volume"]))
