"""Building blocks for technical expressions over a long frame sorted by (symbol, date).

Expressions run over the whole column at once rather than `.over("symbol")`: at 2.5 M rows a
window expression costs ~0.2 s each in grouping and scattering, and a factor set needs about a
hundred. Symbols are kept apart by `ROW`, the row's position within its symbol: every lag or
rolling window that would reach into the previous symbol is null, and recursive averages are
restarted at each symbol's seed row (see `seeded_ewm`). The price of the shared pass is rounding:
running sums and restarts carry ~1e-16 relative error from earlier symbols' rows, so a value can
differ in its last bits with the symbols around it (tests allow 1e-9 relative).

Intermediate columns go through a `Plan` so each is computed once (see there).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

ROW = "_row"

# TA-Lib treats |x| < 1e-8 as zero (its TA_IS_ZERO macro); matching it keeps flat spells equal.
TA_ZERO = 1e-8

_CHUNK_ROWS = 1 << 18


def with_row_numbers(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Add `ROW` (0-based position within the symbol; the whole frame if it has no symbol)."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    if "symbol" not in frame.collect_schema().names():
        return frame.with_columns(index.alias(ROW))
    symbol = pl.col("symbol")
    first_row = pl.when(symbol.ne_missing(symbol.shift(1))).then(index).forward_fill()
    return frame.with_columns((index - first_row).alias(ROW))


def row_number() -> pl.Expr:
    """0-based position of the row within its symbol."""
    return pl.col(ROW)


def lag(values: pl.Expr, periods: int = 1) -> pl.Expr:
    """The value `periods` rows earlier in the same symbol (null at the symbol's start)."""
    return pl.when(row_number() >= periods).then(values.shift(periods))


def change(values: pl.Expr) -> pl.Expr:
    """Difference from the previous row of the same symbol."""
    return values - lag(values)


def _within(window: int, rolled: pl.Expr) -> pl.Expr:
    return pl.when(row_number() >= window - 1).then(rolled)


def rolling_sum(values: pl.Expr, window: int) -> pl.Expr:
    """Sum of the last `window` rows of the symbol (null if any is missing)."""
    return _within(window, values.rolling_sum(window))


def rolling_mean(values: pl.Expr, window: int) -> pl.Expr:
    """Mean of the last `window` rows of the symbol (null if any is missing)."""
    return _within(window, values.rolling_mean(window))


def rolling_max(values: pl.Expr, window: int) -> pl.Expr:
    """Max of the last `window` rows of the symbol."""
    return _within(window, values.rolling_max(window))


def rolling_min(values: pl.Expr, window: int) -> pl.Expr:
    """Min of the last `window` rows of the symbol."""
    return _within(window, values.rolling_min(window))


def rolling_std(values: pl.Expr, window: int, ddof: int) -> pl.Expr:
    """Standard deviation of the last `window` rows of the symbol."""
    return _within(window, values.rolling_std(window, ddof=ddof))


def rolling_skew(values: pl.Expr, window: int) -> pl.Expr:
    """Biased (Fisher-Pearson) skewness of the last `window` rows of the symbol."""
    return _within(window, values.rolling_skew(window, bias=True))


class Plan:
    """Named intermediate columns computed in dependency stages, so each is evaluated once.

    Polars expressions are trees: reusing a sub-expression copies it, and recursive averages of
    averages (ADX, the MACD signal) would grow exponentially. `add` stores an expression under a
    name and returns `pl.col(name)`; `apply` adds the columns stage by stage (a column's stage is
    one more than the latest stage it reads).
    """

    def __init__(self, given: tuple[str, ...] = ()) -> None:
        self._expressions: dict[str, pl.Expr] = {}
        self._stages: dict[str, int] = {}
        self._given = frozenset(given)

    def add(self, name: str, expression: pl.Expr) -> pl.Expr:
        """Register `expression` as column `name` and return a reference to it; a name already
        registered is reused, so names must encode every input and parameter. A name in
        `given` is a column the input frame already carries: it is read, not computed."""
        if name in self._expressions or name in self._given:
            return pl.col(name)
        reads = [self._stages[c] for c in expression.meta.root_names() if c in self._stages]
        self._stages[name] = 1 + max(reads, default=0)
        self._expressions[name] = expression
        return pl.col(name)

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """`frame` with every intermediate column added."""
        for stage in sorted(set(self._stages.values())):
            frame = frame.with_columns(
                expression.alias(name)
                for name, expression in self._expressions.items()
                if self._stages[name] == stage
            )
        return frame


def evaluate(frame: pl.DataFrame, build: Callable[[Plan], pl.Expr]) -> pl.Series:
    """One expression built by `build(plan)` over `frame` (sorted by symbol, date), e.g.
    `evaluate(bars, lambda plan: indicators.rsi(plan, pl.col("close")))`."""
    plan = Plan()
    expression = build(plan).alias("value")
    return plan.apply(with_row_numbers(frame.lazy())).select(expression).collect()["value"]


def seeded_ewm(
    plan: Plan,
    name: str,
    values: pl.Expr,
    alpha: float,
    seed_row: int,
    seed: pl.Expr,
    *,
    gaps: bool = False,
) -> pl.Expr:
    """Column `name`: y[t] = y[t-1] + alpha * (x[t] - y[t-1]) started at `seed_row` of each
    symbol with y = `seed` (null before), the way TA-Lib starts EMA and Wilder averages.

    `values` must have no nulls after the seed row unless `gaps` is set; with `gaps`, a null
    leaves the state unchanged and stays null (TA-Lib skips an undefined ADX input that way).

    One ewm runs over all symbols: on entering a symbol it still carries the previous symbol's
    state, which adds (1-alpha)^k * (F[seed] - seed) after k updates; that term is known at the
    seed row and is subtracted, so each symbol restarts (to rounding) from its own seed.
    """
    row = row_number()
    at_seed = row == seed_row
    started = plan.add(
        f"{name}:input", pl.when(at_seed).then(seed).when(row > seed_row).then(values)
    )
    carried = plan.add(
        f"{name}:carried",
        started.ewm_mean(alpha=alpha, adjust=False, ignore_nulls=gaps, min_samples=1),
    )
    if gaps:
        updates = plan.add(f"{name}:updates", started.is_not_null().cast(pl.Int64).cum_sum())
        since_seed = updates - pl.when(at_seed).then(updates).forward_fill()
    else:
        since_seed = row - seed_row
    offset = pl.when(at_seed).then(carried - started).forward_fill()
    decay = pl.lit(1.0 - alpha).pow(since_seed.cast(pl.Float64))
    return plan.add(name, pl.when(row >= seed_row).then(carried - offset * decay))


def ema(
    plan: Plan, name: str, values: pl.Expr, period: int, seed_row: int | None = None
) -> pl.Expr:
    """TA-Lib EMA: alpha = 2/(n+1), seeded with the mean of the n values ending at `seed_row`."""
    start = period - 1 if seed_row is None else seed_row
    seed = rolling_mean(values, period)
    return seeded_ewm(plan, name, values, 2.0 / (period + 1), start, seed)


def wilder(plan: Plan, name: str, values: pl.Expr, period: int, seed_row: int) -> pl.Expr:
    """Wilder's average: alpha = 1/n, seeded with the mean of the n values ending at `seed_row`."""
    return seeded_ewm(plan, name, values, 1.0 / period, seed_row, rolling_mean(values, period))


def true_range(high: pl.Expr, low: pl.Expr, close: pl.Expr) -> pl.Expr:
    """TA-Lib TRANGE: max(high, prior close) - min(low, prior close); null on the first row."""
    prior_close = lag(close)
    return pl.when(prior_close.is_not_null()).then(
        pl.max_horizontal(high, prior_close) - pl.min_horizontal(low, prior_close)
    )


def _numpy_window(values: pl.Expr, window: int, statistic) -> pl.Expr:
    """`statistic(array)` -> one value per complete window (row window-1 on), as a column."""

    def apply(series: pl.Series) -> pl.Series:
        array = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
        out = np.full(len(array), np.nan)
        if len(array) >= window:
            out[window - 1 :] = statistic(array)
        return pl.Series(out, nan_to_null=True)

    return _within(window, values.map_batches(apply, return_dtype=pl.Float64))


def rows_since_extreme(values: pl.Expr, window: int, *, highest: bool) -> pl.Expr:
    """Rows since the most recent max (or min) of the last `window` rows, today counting 0."""

    def most_recent(array: np.ndarray) -> np.ndarray:
        # Windows over the reversed array list each row's history newest first, contiguously,
        # so argmax/argmin (first occurrence) finds the most recent extreme.
        newest_first = array[::-1].copy()
        result = np.empty(len(array) - window + 1)
        for start in range(0, len(result), _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, len(result))
            windows = sliding_window_view(newest_first[start : stop + window - 1], window)
            result[start:stop] = windows.argmax(axis=1) if highest else windows.argmin(axis=1)
        return result[::-1]

    return _numpy_window(values, window, most_recent)


def mean_absolute_deviation(values: pl.Expr, mean: pl.Expr, window: int) -> pl.Expr:
    """Mean |x[t-k] - mean[t]| over k < window, given the rolling `mean` (CCI's deviation)."""

    def deviation(columns: list[pl.Series]) -> pl.Series:
        array, means = (c.cast(pl.Float64).fill_null(np.nan).to_numpy() for c in columns)
        n = len(array)
        out = np.full(n, np.nan)
        if n >= window:
            # One pass per lag keeps memory at a few columns.
            total, term = np.zeros(n - window + 1), np.empty(n - window + 1)
            for lag_rows in range(window):
                np.subtract(
                    array[window - 1 - lag_rows : n - lag_rows], means[window - 1 :], out=term
                )
                total += np.abs(term, out=term)
            out[window - 1 :] = total / window
        return pl.Series(out, nan_to_null=True)

    return _within(window, pl.map_batches([values, mean], deviation, return_dtype=pl.Float64))
