"""Price returns, momentum and short-term reversal."""

from __future__ import annotations

import polars as pl

from factor_models.technical.define import CLOSE, technical_factor
from factor_models.technical.kernels import Plan, lag

JEGADEESH_TITMAN = (
    "Jegadeesh & Titman (1993), Returns to buying winners and selling losers, Journal of Finance"
)


def trailing_return(days: int) -> pl.Expr:
    """Total return over the last `days` rows."""
    return CLOSE / lag(CLOSE, days) - 1.0


def _define_trailing_return(days: int, direction: int, reference: str) -> None:
    def build(plan: Plan) -> pl.Expr:
        return trailing_return(days)

    build.__qualname__ = f"trailing_return({days})"
    horizon = "short-term reversal" if direction < 0 else "momentum"
    span = "trading day" if days == 1 else f"{days} trading days"
    technical_factor(
        f"ret_{days}d",
        description=f"Total return over the last {span} ({horizon} horizon).",
        formula=f"close[t] / close[t-{days}] - 1 (adjusted closes)",
        unit="fraction",
        direction=direction,
        lookback=days,
        reference=reference,
    )(build)


for _days, _direction, _reference in [
    (1, -1, "Lehmann (1990), Fads, martingales, and market efficiency, QJE"),
    (5, -1, "Lehmann (1990), Fads, martingales, and market efficiency, QJE"),
    (21, -1, "Jegadeesh (1990), Evidence of predictable behavior of security returns, JF"),
    (63, 1, JEGADEESH_TITMAN),
    (126, 1, JEGADEESH_TITMAN),
    (252, 1, JEGADEESH_TITMAN),
]:
    _define_trailing_return(_days, _direction, _reference)


@technical_factor(
    "mom_12_1",
    description="12-1 momentum: the return from 12 months ago to 1 month ago, skipping the "
    "most recent month.",
    formula="close[t-21] / close[t-252] - 1",
    unit="fraction",
    direction=1,
    lookback=252,
    reference=JEGADEESH_TITMAN + "; Carhart (1997), JF (UMD)",
)
def mom_12_1(plan: Plan) -> pl.Expr:
    """12-1 momentum."""
    return lag(CLOSE, 21) / lag(CLOSE, 252) - 1.0


@technical_factor(
    "mom_6_1",
    description="6-1 momentum: the return from 6 months ago to 1 month ago.",
    formula="close[t-21] / close[t-126] - 1",
    unit="fraction",
    direction=1,
    lookback=126,
    reference=JEGADEESH_TITMAN,
)
def mom_6_1(plan: Plan) -> pl.Expr:
    """6-1 momentum."""
    return lag(CLOSE, 21) / lag(CLOSE, 126) - 1.0


@technical_factor(
    "strev_21d",
    description="Short-term reversal: minus the last month's return, so higher means a "
    "bigger recent loser.",
    formula="-(close[t] / close[t-21] - 1)",
    unit="fraction",
    direction=1,
    lookback=21,
    reference="Jegadeesh (1990), Evidence of predictable behavior of security returns, JF",
)
def strev_21d(plan: Plan) -> pl.Expr:
    """Short-term reversal."""
    return -trailing_return(21)
