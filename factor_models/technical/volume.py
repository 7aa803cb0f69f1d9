"""Volume-based factors: money flow, on-balance volume, liquidity.

Share turnover (volume / shares outstanding) is not registered yet: shares outstanding will come
from the fundamentals family (EDGAR dei:EntityCommonStockSharesOutstanding), point in time.
"""

from __future__ import annotations

import polars as pl

from factor_models.technical import indicators
from factor_models.technical.define import (
    CLOSE,
    HIGH,
    LOW,
    VOLUME,
    daily_return,
    technical_factor,
)
from factor_models.technical.kernels import Plan, rolling_mean, rolling_sum, row_number


@technical_factor(
    "mfi_14",
    description="Money flow index over 14 days: a volume-weighted RSI of the typical price "
    "(0-100).",
    formula="100 * P / (P + N); P, N = 14-day sums of TP * volume on days TP rose / fell, "
    "TP = (high + low + close) / 3; 0 when P + N < 1",
    unit="index 0-100",
    direction=0,
    lookback=14,
    reference="Quong & Soudack (1989), Volume-weighted RSI: money flow, Technical Analysis of "
    "Stocks & Commodities; TA-Lib MFI",
    inputs=("high", "low", "close", "volume"),
)
def mfi_14(plan: Plan) -> pl.Expr:
    """MFI(14)."""
    return indicators.money_flow_index(plan, HIGH, LOW, CLOSE, VOLUME, 14)


@technical_factor(
    "obv_trend_21d",
    description="On-balance-volume trend: the 21-day change in OBV as a share of the volume "
    "traded, i.e. net up-day volume (-1 all down days, +1 all up days).",
    formula="(OBV[t] - OBV[t-21]) / sum(volume[t-20..t]); OBV = running sum of sign(close "
    "change) * volume (TA-Lib OBV)",
    unit="fraction of volume",
    direction=0,
    lookback=21,
    reference="Granville (1963), Granville's New Key to Stock Market Profits; TA-Lib OBV",
    inputs=("close", "volume"),
)
def obv_trend_21d(plan: Plan) -> pl.Expr:
    """OBV trend."""
    # OBV[t] - OBV[t-21] is the sum of the last 21 signed volumes; no running total needed.
    traded = rolling_sum(VOLUME, 21)
    net = rolling_sum(pl.when(row_number() > 0).then(indicators.signed_volume(CLOSE, VOLUME)), 21)
    return pl.when(traded > 0).then(net / traded)


@technical_factor(
    "dollar_volume_21d",
    description="Average daily dollar volume over 21 trading days (adjusted close x adjusted "
    "volume, so splits cancel).",
    formula="mean(close * volume over t-20..t)",
    unit="USD per day",
    direction=-1,
    lookback=20,
    reference="Brennan, Chordia & Subrahmanyam (1998), Alternative factor specifications, "
    "security characteristics, and the cross-section of expected stock returns, JFE",
    inputs=("close", "volume"),
)
def dollar_volume_21d(plan: Plan) -> pl.Expr:
    """Average dollar volume."""
    return rolling_mean(CLOSE * VOLUME, 21)


@technical_factor(
    "amihud_21d",
    description="Amihud illiquidity: average absolute daily return per USD million traded over "
    "21 days; null when any day in the window has no volume.",
    formula="mean(|r| / (close * volume) * 1e6 over t-20..t)",
    unit="fraction per USD million",
    direction=1,
    lookback=21,
    reference="Amihud (2002), Illiquidity and stock returns: cross-section and time-series "
    "effects, Journal of Financial Markets",
    inputs=("close", "volume"),
)
def amihud_21d(plan: Plan) -> pl.Expr:
    """Amihud illiquidity."""
    dollar_volume = CLOSE * VOLUME
    impact = pl.when(dollar_volume > 0).then(daily_return(plan).abs() / dollar_volume * 1e6)
    return rolling_mean(impact, 21)
