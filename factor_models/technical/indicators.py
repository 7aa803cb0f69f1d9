"""TA-Lib-equivalent indicators as polars expressions, in TA-Lib's own units.

Each function takes a `kernels.Plan` (which holds the intermediate columns) and column
expressions, and returns an expression over a frame sorted by (symbol, date) that has the
`kernels.ROW` column. Warm-up rows are null exactly where TA-Lib returns NaN, and recursive
averages start at the same row with the same simple-average seed, so values agree with TA-Lib
to floating-point rounding.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from factor_models.technical.kernels import (
    TA_ZERO,
    Plan,
    change,
    ema,
    lag,
    mean_absolute_deviation,
    rolling_max,
    rolling_mean,
    rolling_min,
    rolling_std,
    rolling_sum,
    row_number,
    rows_since_extreme,
    seeded_ewm,
    true_range,
    wilder,
)


def _key(*columns: pl.Expr) -> str:
    """Part of an intermediate column's name that identifies its inputs."""
    return ",".join(c.meta.output_name() for c in columns)


def typical_price(plan: Plan, high: pl.Expr, low: pl.Expr, close: pl.Expr) -> pl.Expr:
    """(high + low + close) / 3."""
    return plan.add(f"_typical({_key(high, low, close)})", (high + low + close) / 3.0)


def rsi(plan: Plan, close: pl.Expr, period: int = 14) -> pl.Expr:
    """TA-Lib RSI: 100 * avg gain / (avg gain + avg loss), Wilder averages seeded at row n."""
    key = f"{_key(close)},{period}"
    difference = plan.add(f"_change({_key(close)})", change(close))
    gain, loss = difference.clip(lower_bound=0.0), (-difference).clip(lower_bound=0.0)
    avg_gain = wilder(plan, f"_rsi_gain({key})", gain, period, seed_row=period)
    avg_loss = wilder(plan, f"_rsi_loss({key})", loss, period, seed_row=period)
    total = avg_gain + avg_loss
    return pl.when(total.abs() < TA_ZERO).then(0.0).otherwise(100.0 * avg_gain / total)


class Macd(NamedTuple):
    """The three MACD outputs."""

    line: pl.Expr
    signal: pl.Expr
    histogram: pl.Expr


def macd(plan: Plan, close: pl.Expr, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """TA-Lib MACD. Both EMAs start at row slow-1 (the fast one seeded with the mean of its last
    `fast` closes there, as TA-Lib does); the signal EMA starts `signal - 1` rows later."""
    key = f"{_key(close)},{fast},{slow}"
    start = slow - 1
    fast_ema = ema(plan, f"_macd_fast({key})", close, fast, seed_row=start)
    slow_ema = ema(plan, f"_macd_slow({key})", close, slow, seed_row=start)
    line = plan.add(f"_macd_line({key})", fast_ema - slow_ema)
    signal_line = ema(plan, f"_macd_signal({key},{signal})", line, signal, start + signal - 1)
    return Macd(line, signal_line, line - signal_line)


def atr(plan: Plan, high: pl.Expr, low: pl.Expr, close: pl.Expr, period: int = 14) -> pl.Expr:
    """TA-Lib ATR: Wilder average of the true range, seeded with the mean of TR rows 1..n."""
    key = _key(high, low, close)
    tr = plan.add(f"_true_range({key})", true_range(high, low, close))
    return wilder(plan, f"_atr({key},{period})", tr, period, seed_row=period)


class Bands(NamedTuple):
    """Bollinger bands."""

    upper: pl.Expr
    middle: pl.Expr
    lower: pl.Expr


def bollinger(plan: Plan, close: pl.Expr, period: int = 20, width: float = 2.0) -> Bands:
    """TA-Lib BBANDS with an SMA middle band and the population standard deviation."""
    key = f"{_key(close)},{period}"
    middle = plan.add(f"_sma({key})", rolling_mean(close, period))
    deviation = plan.add(f"_pstd({key})", rolling_std(close, period, ddof=0))
    return Bands(middle + width * deviation, middle, middle - width * deviation)


def bollinger_percent_b(
    plan: Plan, close: pl.Expr, period: int = 20, width: float = 2.0
) -> pl.Expr:
    """Bollinger %b = (close - lower) / (upper - lower); null when the band has no width."""
    bands = bollinger(plan, close, period, width)
    band_width = bands.upper - bands.lower
    return pl.when(band_width > TA_ZERO * bands.middle.abs()).then(
        (close - bands.lower) / band_width
    )


class DirectionalMovement(NamedTuple):
    """Wilder's directional system."""

    plus_di: pl.Expr
    minus_di: pl.Expr
    adx: pl.Expr


def directional_movement(
    plan: Plan, high: pl.Expr, low: pl.Expr, close: pl.Expr, period: int = 14
) -> DirectionalMovement:
    """TA-Lib PLUS_DI/MINUS_DI (from row n) and ADX (from row 2n-1).

    TA-Lib seeds the running sums of +DM, -DM and TR with rows 1..n-1 at row n-1 and then applies
    S = S - S/n + x; that is n times a Wilder average seeded with sum/n, and the n cancels in DI.
    """
    key = _key(high, low, close)
    row = row_number()
    up_move = plan.add(f"_up_move({_key(high)})", change(high))
    down_move = plan.add(f"_down_move({_key(low)})", -change(low))
    plus_dm = pl.when((up_move > down_move) & (up_move > 0)).then(up_move).otherwise(0.0)
    minus_dm = pl.when((down_move > up_move) & (down_move > 0)).then(down_move).otherwise(0.0)
    tr = plan.add(f"_true_range({key})", true_range(high, low, close))

    def smoothed(label: str, values: pl.Expr) -> pl.Expr:
        seed = rolling_sum(values, period - 1) / period
        name = f"_dm_smoothed_{label}({key},{period})"
        return seeded_ewm(plan, name, values, 1.0 / period, period - 1, seed)

    smoothed_tr = smoothed("tr", tr)
    smoothed_plus = smoothed("plus", pl.when(row > 0).then(plus_dm))
    smoothed_minus = smoothed("minus", pl.when(row > 0).then(minus_dm))
    tr_ok = (smoothed_tr * period).abs() >= TA_ZERO
    plus_di = plan.add(
        f"_plus_di({key},{period})",
        pl.when(row < period).then(None).when(tr_ok).then(100.0 * smoothed_plus / smoothed_tr),
    )
    minus_di = plan.add(
        f"_minus_di({key},{period})",
        pl.when(row < period).then(None).when(tr_ok).then(100.0 * smoothed_minus / smoothed_tr),
    )
    di_sum = plus_di + minus_di
    dx = plan.add(
        f"_dx({key},{period})",
        pl.when(di_sum.abs() >= TA_ZERO).then(100.0 * (minus_di - plus_di).abs() / di_sum),
    )
    # TA-Lib skips an undefined DX: it adds nothing to the seed sum and leaves ADX unchanged.
    seed_row = 2 * period - 1
    seed = rolling_sum(dx.fill_null(0.0), period) / period
    adx = seeded_ewm(plan, f"_adx({key},{period})", dx, 1.0 / period, seed_row, seed, gaps=True)
    return DirectionalMovement(
        pl.when(row >= period).then(plus_di.fill_null(0.0)),
        pl.when(row >= period).then(minus_di.fill_null(0.0)),
        pl.when(row >= seed_row).then(adx.forward_fill()),
    )


def cci(plan: Plan, high: pl.Expr, low: pl.Expr, close: pl.Expr, period: int = 20) -> pl.Expr:
    """TA-Lib CCI: (TP - SMA(TP)) / (0.015 * mean deviation), 0 when either part is 0."""
    typical = typical_price(plan, high, low, close)
    key = f"{_key(high, low, close)},{period}"
    average = plan.add(f"_cci_average({key})", rolling_mean(typical, period))
    distance = typical - average
    deviation = plan.add(
        f"_cci_deviation({key})", mean_absolute_deviation(typical, average, period)
    )
    return (
        pl.when((distance != 0.0) & (deviation != 0.0))
        .then(distance / (0.015 * deviation))
        .otherwise(pl.when(deviation.is_not_null()).then(0.0))
    )


def _range(plan: Plan, high: pl.Expr, low: pl.Expr, period: int) -> tuple[pl.Expr, pl.Expr]:
    highest = plan.add(f"_highest({_key(high)},{period})", rolling_max(high, period))
    lowest = plan.add(f"_lowest({_key(low)},{period})", rolling_min(low, period))
    return highest, lowest


class Stochastic(NamedTuple):
    """Fast stochastic oscillator."""

    k: pl.Expr
    d: pl.Expr


def stochastic_fast(
    plan: Plan,
    high: pl.Expr,
    low: pl.Expr,
    close: pl.Expr,
    k_period: int = 14,
    d_period: int = 3,
) -> Stochastic:
    """TA-Lib STOCHF with an SMA %D: %K = 100 * (close - lowest low) / (highest high - lowest
    low) over k rows (0 when the range is 0), %D = SMA(%K, d)."""
    highest, lowest = _range(plan, high, low, k_period)
    scale = (highest - lowest) / 100.0
    k = plan.add(
        f"_stoch_k({_key(high, low, close)},{k_period})",
        pl.when(scale != 0.0)
        .then((close - lowest) / scale)
        .otherwise(pl.when(scale.is_not_null()).then(0.0)),
    )
    # %K takes few distinct values (ratios of cent prices), so symbols tie on %D: a sum of the
    # last d values, unlike a running sum, has no rounding left from earlier rows, so a month
    # recomputed from warm-up history ties (and ranks) exactly as the full history does.
    return Stochastic(k, sum(lag(k, i) for i in range(d_period)) / d_period)


def williams_r(
    plan: Plan, high: pl.Expr, low: pl.Expr, close: pl.Expr, period: int = 14
) -> pl.Expr:
    """TA-Lib WILLR: -100 * (highest high - close) / (highest high - lowest low), 0 if flat."""
    highest, lowest = _range(plan, high, low, period)
    scale = (highest - lowest) / -100.0
    return (
        pl.when(scale != 0.0)
        .then((highest - close) / scale)
        .otherwise(pl.when(scale.is_not_null()).then(0.0))
    )


def aroon_oscillator(plan: Plan, high: pl.Expr, low: pl.Expr, period: int = 25) -> pl.Expr:
    """TA-Lib AROONOSC: 100/n * (rows since lowest low - rows since highest high) over n+1
    rows; ties go to the most recent extreme, as in TA-Lib."""
    window = period + 1
    since_high = plan.add(
        f"_since_high({_key(high)},{window})", rows_since_extreme(high, window, highest=True)
    )
    since_low = plan.add(
        f"_since_low({_key(low)},{window})", rows_since_extreme(low, window, highest=False)
    )
    return (100.0 / period) * (since_low - since_high)


def money_flow_index(
    plan: Plan, high: pl.Expr, low: pl.Expr, close: pl.Expr, volume: pl.Expr, period: int = 14
) -> pl.Expr:
    """TA-Lib MFI: 100 * positive / (positive + negative) money flow over n rows, where a row's
    flow TP * volume counts by the sign of TP's change; 0 when the total is below 1."""
    typical = typical_price(plan, high, low, close)
    key = f"{_key(high, low, close, volume)},{period}"
    typical_change = change(typical)
    flow = typical * volume
    known = typical_change.is_not_null()
    # polars' (h + l + c) / 3 can differ from TA-Lib's in the last bit, which turns an exact tie
    # (common with cent prices) into a +-2e-15 "change"; below 1e-12 of the price is a tie.
    tie = typical_change.abs() <= 1e-12 * typical.abs()
    positive = pl.when((typical_change > 0) & ~tie).then(flow).otherwise(pl.when(known).then(0.0))
    negative = pl.when((typical_change < 0) & ~tie).then(flow).otherwise(pl.when(known).then(0.0))
    positive_sum = plan.add(f"_mfi_positive({key})", rolling_sum(positive, period))
    total = plan.add(f"_mfi_total({key})", positive_sum + rolling_sum(negative, period))
    return pl.when(total < 1.0).then(0.0).otherwise(100.0 * positive_sum / total)


def signed_volume(close: pl.Expr, volume: pl.Expr) -> pl.Expr:
    """Volume signed by the direction of the close (0 when unchanged); the first row counts +."""
    direction = pl.when(row_number() == 0).then(1.0).otherwise(change(close).sign())
    return direction * volume


def on_balance_volume(close: pl.Expr, volume: pl.Expr) -> pl.Expr:
    """TA-Lib OBV: running sum of signed volume, starting at the first row's volume."""
    return signed_volume(close, volume).cum_sum().over("symbol")
