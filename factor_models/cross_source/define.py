"""How a cross-source factor is declared: an expression over the stock frame, which carries per
(date, symbol) the macro betas, the technical and fundamental components with their per-date
z-scores (``z:<name>``), and per date the macro factors and the regime."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from factor_models.catalog import Factor, register
from factor_models.normalize import MIN_CROSS_SECTION

# Components read from the other families (a missing one is a null column, never an error).
TECHNICAL_COMPONENTS = ("mom_12_1", "mom_6_1", "ret_126d", "strev_21d", "aroon_osc_25",
                        "vol_63d", "amihud_21d")
FUNDAMENTAL_COMPONENTS = ("roe_ttm", "gross_profitability", "accruals_ttm", "leverage",
                          "piotroski_f", "revenue_growth_yoy", "eps_growth_yoy", "bm", "ep_ttm")
Z_CLIP = 3.0
GROWTH_CONSISTENCY_SESSIONS = 504

ExpressionBuilder = Callable[[], pl.Expr]


def with_zscores(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """`frame` with ``z:<column>``: each column's cross-sectional z on its date, clipped at
    +-3; null on dates with fewer than MIN_CROSS_SECTION values or no dispersion. One group-by
    per date and a join, not three window expressions per column (several times faster)."""
    stats = frame.group_by("date").agg(
        *(pl.col(c).mean().alias(f"_mean:{c}") for c in columns),
        *(pl.col(c).std(ddof=1).alias(f"_std:{c}") for c in columns),
        *(pl.col(c).count().alias(f"_n:{c}") for c in columns))
    joined = frame.join(stats, on="date", how="left", maintain_order="left")
    return joined.with_columns(
        pl.when((pl.col(f"_n:{c}") >= MIN_CROSS_SECTION) & (pl.col(f"_std:{c}") > 0))
        .then(((pl.col(c) - pl.col(f"_mean:{c}")) / pl.col(f"_std:{c}")).clip(-Z_CLIP, Z_CLIP))
        .alias(f"z:{c}") for c in columns
    ).select(*frame.columns, *(f"z:{c}" for c in columns))


def z(name: str) -> pl.Expr:
    """The per-date z-score of a component (computed once in the stock frame)."""
    return pl.col(f"z:{name}")


def cross_factor(
    name: str,
    *,
    sources: tuple[str, ...],
    inputs: tuple[str, ...],
    description: str,
    formula: str,
    unit: str,
    direction: int,
    lookback: int,
    reference: str,
    cadence: str = "daily",
) -> Callable[[ExpressionBuilder], ExpressionBuilder]:
    """Register the decorated builder (no arguments -> expression over the stock frame)."""

    def decorate(build: ExpressionBuilder) -> ExpressionBuilder:
        register(Factor(
            name=name, family="cross_source", sources=sources, description=description,
            formula=formula, unit=unit, direction=direction, lookback=lookback, cadence=cadence,
            reference=reference, inputs=inputs, compute=build,
        ))
        return build

    return decorate
