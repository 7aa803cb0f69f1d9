"""Market-relative factors against the equal-weighted return of the universe in the input.

The market return on date t is the mean of the daily returns of every symbol with a bar on t and
on its previous bar; it uses only date-t bars, so it adds no look-ahead, but it does depend on
which symbols are in the input (removing a symbol changes these factors for the others).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from factor_models.technical.define import (
    MARKET_RETURN,
    TRADING_DAYS_PER_YEAR,
    daily_return,
    technical_factor,
)
from factor_models.technical.kernels import Plan, rolling_mean, with_row_numbers

WINDOW = 252
# market_return is derived from every symbol's close, which makes these factors universe-dependent.
UNIVERSE_INPUTS = ("close", MARKET_RETURN)


def market_return(plan: Plan) -> pl.Expr:
    """Equal-weighted mean of the daily returns of every symbol on the row's date."""
    return plan.add(MARKET_RETURN, daily_return(plan).mean().over("date"))


def market_returns(bars: pl.DataFrame) -> pl.DataFrame:
    """(date, market_return) of a universe's bars: what `compute_technical(..., market=)`
    needs to compute part of the universe at a time.

    Each date's returns are summed one after the other in symbol order (the bars' order once
    validated), so a date's value is the same bit for bit whichever window or row order the
    bars came in: a parallel group-by summed them in an order that depended on how the input
    was cut into chunks (a month's run and the full build differed in the last bits)."""
    from factor_models.technical.compute import validated_bars

    plan = Plan()
    daily = daily_return(plan)  # registered before the plan is applied
    returns = (plan.apply(with_row_numbers(validated_bars(bars).lazy()))
               .select("date", daily.alias("r")).collect())
    if returns.is_empty():
        return pl.DataFrame(schema={"date": pl.Date, MARKET_RETURN: pl.Float64})
    days = returns["date"].to_physical().to_numpy().astype(np.int64)
    first = days.min()
    values = returns["r"].fill_nan(None).to_numpy()
    present = ~np.isnan(values)
    # bincount adds the weights in input order: sequential sums per day, without a sort.
    sums = np.bincount(days - first, weights=np.where(present, values, 0.0))
    counts = np.bincount(days - first, weights=present)
    bars_on = np.bincount(days - first) > 0
    with np.errstate(invalid="ignore"):
        means = sums[bars_on] / counts[bars_on]
    return pl.DataFrame({
        "date": pl.Series(np.flatnonzero(bars_on) + first).cast(pl.Int32).cast(pl.Date),
        MARKET_RETURN: pl.Series(means, nan_to_null=True)})


def _moments(plan: Plan, window: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Population covariance of stock and market returns, market variance and stock variance
    over the last `window` rows (null unless every pair is present)."""
    stock, market = daily_return(plan), market_return(plan)
    pair_ok = stock.is_not_null() & market.is_not_null()
    x = plan.add(f"_beta_x({window})", pl.when(pair_ok).then(market))
    y = plan.add(f"_beta_y({window})", pl.when(pair_ok).then(stock))
    mean_x, mean_y = rolling_mean(x, window), rolling_mean(y, window)
    covariance = plan.add(f"_cov({window})", rolling_mean(x * y, window) - mean_x * mean_y)
    market_variance = plan.add(f"_var_x({window})", rolling_mean(x * x, window) - mean_x * mean_x)
    stock_variance = plan.add(f"_var_y({window})", rolling_mean(y * y, window) - mean_y * mean_y)
    return covariance, market_variance, stock_variance


@technical_factor(
    "beta_mkt_252d",
    description="CAPM beta over 252 trading days against the equal-weighted universe return.",
    formula="OLS slope of r_i on r_m over t-251..t: cov(r_i, r_m) / var(r_m); r_m = mean of "
    "all symbols' r on the date",
    unit="dimensionless",
    direction=-1,
    lookback=WINDOW,
    reference="Frazzini & Pedersen (2014), Betting against beta, Journal of Financial Economics",
    inputs=UNIVERSE_INPUTS,
)
def beta_mkt_252d(plan: Plan) -> pl.Expr:
    """Market beta."""
    covariance, market_variance, _ = _moments(plan, WINDOW)
    return pl.when(market_variance > 0).then(covariance / market_variance)


@technical_factor(
    "idio_vol_252d",
    description="Idiosyncratic volatility: annualised standard deviation of the residuals of "
    "the 252-day market regression.",
    formula="sqrt(SSR / (n - 2) * 252), SSR = n * (var(r_i) - cov(r_i, r_m)^2 / var(r_m)) "
    "(population moments), n = 252",
    unit="fraction per year",
    direction=-1,
    lookback=WINDOW,
    reference="Ang, Hodrick, Xing & Zhang (2006), The cross-section of volatility and expected "
    "returns, Journal of Finance",
    inputs=UNIVERSE_INPUTS,
)
def idio_vol_252d(plan: Plan) -> pl.Expr:
    """Idiosyncratic volatility."""
    covariance, market_variance, stock_variance = _moments(plan, WINDOW)
    n = float(WINDOW)
    residual_variance = stock_variance - covariance.pow(2) / market_variance
    ssr = (n * residual_variance).clip(lower_bound=0.0)
    annualised = (ssr / (n - 2.0) * TRADING_DAYS_PER_YEAR).sqrt()
    return pl.when(market_variance > 0).then(annualised)
