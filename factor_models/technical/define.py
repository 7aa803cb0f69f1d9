"""How a technical factor is declared: an expression builder registered in the catalog."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from factor_models.catalog import Factor, register
from factor_models.technical.kernels import Plan, lag

OPEN, HIGH, LOW, CLOSE, VOLUME = (pl.col(c) for c in ("open", "high", "low", "close", "volume"))
BAR_COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume")

# Equal-weighted mean of every symbol's daily return on the same date (see market.py).
MARKET_RETURN = "market_return"

TRADING_DAYS_PER_YEAR = 252

ExpressionBuilder = Callable[[Plan], pl.Expr]


def daily_return(plan: Plan) -> pl.Expr:
    """Simple close-to-close return from the previous bar of the same symbol."""
    return plan.add("_return", CLOSE / lag(CLOSE) - 1.0)


def technical_factor(
    name: str,
    *,
    description: str,
    formula: str,
    unit: str,
    direction: int,
    lookback: int,
    reference: str,
    inputs: tuple[str, ...] = ("close",),
) -> Callable[[ExpressionBuilder], ExpressionBuilder]:
    """Register the decorated function as a factor: given a `Plan` for its intermediate
    columns, it returns the factor's expression over the bars frame."""

    def decorate(build: ExpressionBuilder) -> ExpressionBuilder:
        register(
            Factor(
                name=name,
                family="technical",
                sources=("ibkr",),
                description=description,
                formula=formula,
                unit=unit,
                direction=direction,
                lookback=lookback,
                cadence="daily",
                reference=reference,
                inputs=inputs,
                compute=build,
            )
        )
        return build

    return decorate
