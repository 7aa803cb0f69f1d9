"""Realised volatility, downside risk, lottery-like returns and the 52-week high."""

from __future__ import annotations

import math

import polars as pl

from factor_models.technical import indicators
from factor_models.technical.define import (
    CLOSE,
    HIGH,
    LOW,
    TRADING_DAYS_PER_YEAR,
    daily_return,
    technical_factor,
)
from factor_models.technical.kernels import (
    Plan,
    rolling_max,
    rolling_mean,
    rolling_skew,
    rolling_std,
)

ANNUALISE = math.sqrt(TRADING_DAYS_PER_YEAR)
LOW_VOLATILITY = (
    "Ang, Hodrick, Xing & Zhang (2006), The cross-section of volatility and expected returns, "
    "Journal of Finance"
)


def realised_volatility(plan: Plan, days: int) -> pl.Expr:
    """Annualised sample standard deviation (ddof=1) of the last `days` daily returns."""
    return rolling_std(daily_return(plan), days, ddof=1) * ANNUALISE


def _define_volatility(days: int) -> None:
    def build(plan: Plan) -> pl.Expr:
        return realised_volatility(plan, days)

    build.__qualname__ = f"realised_volatility({days})"
    technical_factor(
        f"vol_{days}d",
        description=f"Annualised realised volatility of daily returns over {days} trading days.",
        formula=f"std(r[t-{days - 1}..t], ddof=1) * sqrt(252), r = close[t]/close[t-1] - 1",
        unit="fraction per year",
        direction=-1,
        lookback=days,
        reference=LOW_VOLATILITY,
    )(build)


for _days in (21, 63):
    _define_volatility(_days)


@technical_factor(
    "downside_vol_63d",
    description="Annualised downside semi-deviation: root mean square of the negative daily "
    "returns (positive days count as 0) over 63 trading days.",
    formula="sqrt(mean(min(r, 0)^2 over r[t-62..t]) * 252)",
    unit="fraction per year",
    direction=-1,
    lookback=63,
    reference="Sortino & van der Meer (1991), Downside risk, Journal of Portfolio Management; "
    "sign per " + LOW_VOLATILITY,
)
def downside_vol_63d(plan: Plan) -> pl.Expr:
    """Downside semi-deviation."""
    downside = daily_return(plan).clip(upper_bound=0.0)
    return (rolling_mean(downside.pow(2), 63) * TRADING_DAYS_PER_YEAR).sqrt()


@technical_factor(
    "max_ret_21d",
    description="Largest daily return in the last 21 trading days (lottery demand, MAX).",
    formula="max(r[t-20..t])",
    unit="fraction",
    direction=-1,
    lookback=21,
    reference="Bali, Cakici & Whitelaw (2011), Maxing out: stocks as lotteries and the "
    "cross-section of expected returns, Journal of Financial Economics",
)
def max_ret_21d(plan: Plan) -> pl.Expr:
    """Maximum daily return."""
    return rolling_max(daily_return(plan), 21)


@technical_factor(
    "skew_63d",
    description="Skewness of daily returns over 63 trading days (biased Fisher-Pearson, as "
    "scipy.stats.skew's default).",
    formula="m3 / m2^1.5 with m_k = mean((r - mean(r))^k) over r[t-62..t]",
    unit="dimensionless",
    direction=-1,
    lookback=63,
    reference="Amaya, Christoffersen, Jacobs & Vasquez (2015), Does realized skewness predict "
    "the cross-section of equity returns?, Journal of Financial Economics",
)
def skew_63d(plan: Plan) -> pl.Expr:
    """Realised skewness."""
    return rolling_skew(daily_return(plan), 63)


@technical_factor(
    "dist_52w_high",
    description="How far the close is below its highest close of the last 52 weeks (0 at a "
    "new high).",
    formula="close[t] / max(close[t-251..t]) - 1",
    unit="fraction",
    direction=1,
    lookback=251,
    reference="George & Hwang (2004), The 52-week high and momentum investing, Journal of Finance",
)
def dist_52w_high(plan: Plan) -> pl.Expr:
    """Distance from the 52-week high."""
    return CLOSE / rolling_max(CLOSE, 252) - 1.0


@technical_factor(
    "atr_14",
    description="Average true range over 14 days as a fraction of the close (TA-Lib NATR / "
    "100), so it compares across price levels.",
    formula="ATR14[t] / close[t]; TR = max(high, close[t-1]) - min(low, close[t-1]); ATR = "
    "Wilder average (alpha 1/14) seeded with mean(TR[1..14]) at row 14",
    unit="fraction",
    direction=-1,
    lookback=14,
    reference="Wilder (1978), New Concepts in Technical Trading Systems; TA-Lib ATR/NATR",
    inputs=("high", "low", "close"),
)
def atr_14(plan: Plan) -> pl.Expr:
    """Normalised ATR."""
    return indicators.atr(plan, HIGH, LOW, CLOSE, 14) / CLOSE
