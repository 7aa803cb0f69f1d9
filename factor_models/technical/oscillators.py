"""TA-Lib oscillators and trend indicators; price-unit outputs are divided by the close."""

from __future__ import annotations

import polars as pl

from factor_models.technical import indicators
from factor_models.technical.define import CLOSE, HIGH, LOW, technical_factor
from factor_models.technical.kernels import Plan

HLC = ("high", "low", "close")
WILDER = "Wilder (1978), New Concepts in Technical Trading Systems"
NO_SIGN = 0  # no established cross-sectional sign: let factor evaluation decide


@technical_factor(
    "rsi_14",
    description="Relative strength index over 14 days (0-100).",
    formula="100 * G / (G + L); G, L = Wilder averages (alpha 1/14) of daily gains and losses, "
    "seeded with their means over rows 1..14",
    unit="index 0-100",
    direction=NO_SIGN,
    lookback=14,
    reference=WILDER + "; TA-Lib RSI",
)
def rsi_14(plan: Plan) -> pl.Expr:
    """RSI(14)."""
    return indicators.rsi(plan, CLOSE, 14)


MACD_FORMULA = (
    "EMA12(close) - EMA26(close), EMA alpha = 2/(n+1), both started at row 25 with the mean of "
    "their last n closes (TA-Lib)"
)
MACD_REFERENCE = "Appel (1979), The Moving Average Convergence-Divergence Method; TA-Lib MACD"


@technical_factor(
    "macd_12_26",
    description="MACD line (12/26-day EMA difference) as a fraction of the close.",
    formula=f"({MACD_FORMULA}) / close",
    unit="fraction",
    direction=NO_SIGN,
    lookback=25,
    reference=MACD_REFERENCE,
)
def macd_12_26(plan: Plan) -> pl.Expr:
    """MACD line / close."""
    return indicators.macd(plan, CLOSE).line / CLOSE


@technical_factor(
    "macd_signal_9",
    description="MACD signal line (9-day EMA of the MACD line) as a fraction of the close.",
    formula="EMA9(MACD line) / close, started at row 33 with the mean of MACD rows 25..33",
    unit="fraction",
    direction=NO_SIGN,
    lookback=33,
    reference=MACD_REFERENCE,
)
def macd_signal_9(plan: Plan) -> pl.Expr:
    """MACD signal / close."""
    return indicators.macd(plan, CLOSE).signal / CLOSE


@technical_factor(
    "macd_hist",
    description="MACD histogram (line minus signal) as a fraction of the close.",
    formula="(MACD line - signal) / close",
    unit="fraction",
    direction=NO_SIGN,
    lookback=33,
    reference=MACD_REFERENCE,
)
def macd_hist(plan: Plan) -> pl.Expr:
    """MACD histogram / close."""
    return indicators.macd(plan, CLOSE).histogram / CLOSE


@technical_factor(
    "bb_pctb_20",
    description="Bollinger %b: where the close sits in its 20-day, 2-sigma band (0 = lower "
    "band, 1 = upper band).",
    formula="(close - (SMA20 - 2 sd20)) / (4 sd20), sd = population std of 20 closes",
    unit="fraction of band width",
    direction=NO_SIGN,
    lookback=19,
    reference="Bollinger (2001), Bollinger on Bollinger Bands; TA-Lib BBANDS",
)
def bb_pctb_20(plan: Plan) -> pl.Expr:
    """Bollinger %b."""
    return indicators.bollinger_percent_b(plan, CLOSE, 20, 2.0)


@technical_factor(
    "adx_14",
    description="Average directional index over 14 days: trend strength regardless of "
    "direction (0-100).",
    formula="Wilder average of DX = 100 |+DI - -DI| / (+DI + -DI), seeded with mean(DX rows "
    "14..27) at row 27; DI = 100 * smoothed DM / smoothed TR (TA-Lib seeding)",
    unit="index 0-100",
    direction=NO_SIGN,
    lookback=27,
    reference=WILDER + "; TA-Lib ADX",
    inputs=HLC,
)
def adx_14(plan: Plan) -> pl.Expr:
    """ADX(14)."""
    return indicators.directional_movement(plan, HIGH, LOW, CLOSE, 14).adx


@technical_factor(
    "cci_20",
    description="Commodity channel index over 20 days.",
    formula="(TP - SMA20(TP)) / (0.015 * mean |TP - SMA20(TP)|), TP = (high + low + close) / 3",
    unit="index",
    direction=NO_SIGN,
    lookback=19,
    reference="Lambert (1980), Commodity Channel Index, Commodities magazine; TA-Lib CCI",
    inputs=HLC,
)
def cci_20(plan: Plan) -> pl.Expr:
    """CCI(20)."""
    return indicators.cci(plan, HIGH, LOW, CLOSE, 20)


LANE = "Lane (1984), Lane's stochastics, Technical Analysis of Stocks & Commodities; TA-Lib STOCHF"


@technical_factor(
    "stoch_k_14",
    description="Fast stochastic %K: the close's position in its 14-day high-low range (0-100).",
    formula="100 * (close - min(low, 14)) / (max(high, 14) - min(low, 14)); 0 if the range is 0",
    unit="index 0-100",
    direction=NO_SIGN,
    lookback=13,
    reference=LANE,
    inputs=HLC,
)
def stoch_k_14(plan: Plan) -> pl.Expr:
    """Fast %K(14)."""
    return indicators.stochastic_fast(plan, HIGH, LOW, CLOSE, 14, 3).k


@technical_factor(
    "stoch_d_3",
    description="Stochastic %D: 3-day simple average of the 14-day %K (0-100).",
    formula="SMA3(stoch_k_14)",
    unit="index 0-100",
    direction=NO_SIGN,
    lookback=15,
    reference=LANE,
    inputs=HLC,
)
def stoch_d_3(plan: Plan) -> pl.Expr:
    """Fast %D(14, 3)."""
    return indicators.stochastic_fast(plan, HIGH, LOW, CLOSE, 14, 3).d


@technical_factor(
    "willr_14",
    description="Williams %R over 14 days (-100 at the low of the range, 0 at the high).",
    formula="-100 * (max(high, 14) - close) / (max(high, 14) - min(low, 14)); 0 if the range is 0",
    unit="index -100-0",
    direction=NO_SIGN,
    lookback=13,
    reference="Williams (1979), How I Made One Million Dollars Trading Commodities; TA-Lib WILLR",
    inputs=HLC,
)
def willr_14(plan: Plan) -> pl.Expr:
    """Williams %R(14)."""
    return indicators.williams_r(plan, HIGH, LOW, CLOSE, 14)


@technical_factor(
    "aroon_osc_25",
    description="Aroon oscillator over 25 days: how much more recent the 25-day high is than "
    "the 25-day low (-100-100).",
    formula="4 * (days since lowest low - days since highest high) over the last 26 bars, "
    "ties to the most recent",
    unit="index -100-100",
    direction=NO_SIGN,
    lookback=25,
    reference="Chande (1995), Aroon; TA-Lib AROONOSC",
    inputs=("high", "low"),
)
def aroon_osc_25(plan: Plan) -> pl.Expr:
    """Aroon oscillator(25)."""
    return indicators.aroon_oscillator(plan, HIGH, LOW, 25)
