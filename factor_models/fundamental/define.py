"""How a fundamental factor is declared: an expression over fields, registered in the catalog."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from factor_models.catalog import Factor, register
from factor_models.fundamental.fields import (
    CASH,
    LONG_TERM_DEBT,
    RAW_CLOSE,
    SHARES_OUTSTANDING,
    SHORT_TERM_BORROWINGS,
    WEIGHTED_SHARES_DILUTED,
    Field,
)

TRADING_DAYS_PER_YEAR = 252
MARKET_CAP_FIELDS = (SHARES_OUTSTANDING, WEIGHTED_SHARES_DILUTED)
ENTERPRISE_VALUE_FIELDS = (*MARKET_CAP_FIELDS, LONG_TERM_DEBT, SHORT_TERM_BORROWINGS, CASH)

ExpressionBuilder = Callable[[], pl.Expr]

# The fields each fundamental factor reads, by factor name (the engine fetches their union).
FIELDS: dict[str, tuple[Field, ...]] = {}


def fundamental_factor(
    name: str,
    *,
    description: str,
    formula: str,
    unit: str,
    direction: int,
    reference: str,
    fields: tuple[Field, ...],
    market_cap: bool = False,
    enterprise_value: bool = False,
) -> Callable[[ExpressionBuilder], ExpressionBuilder]:
    """Register the decorated function as a factor: it returns the factor's expression over the
    field columns (plus ``market_cap`` / ``enterprise_value`` when asked for)."""
    needed = list(fields)
    if market_cap or enterprise_value:
        needed += ENTERPRISE_VALUE_FIELDS if enterprise_value else MARKET_CAP_FIELDS
    needed = tuple(dict.fromkeys(needed))
    # A flow field spans a year of filings before its own period end.
    years = max(f.years_back + (f.ttm or f.period_kind == "annual") for f in needed)
    inputs = tuple(f.name for f in needed) + ((RAW_CLOSE,) if market_cap or enterprise_value
                                               else ())

    def decorate(build: ExpressionBuilder) -> ExpressionBuilder:
        register(
            Factor(
                name=name,
                family="fundamental",
                sources=("edgar", "ibkr") if RAW_CLOSE in inputs else ("edgar",),
                description=description,
                formula=formula,
                unit=unit,
                direction=direction,
                # Trading days of filings needed: a year per TTM window and per year back.
                lookback=years * TRADING_DAYS_PER_YEAR,
                cadence="quarterly",
                reference=reference,
                inputs=inputs,
                compute=build,
            )
        )
        FIELDS[name] = needed
        return build

    return decorate
