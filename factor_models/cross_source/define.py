"""How a cross-source factor is declared: an expression over the stock frame, which carries per
(date, symbol) the macro betas, the technical and fundamental components with their per-date
z-scores (``z:<name>``), and per date the macro factors and the regime."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
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


def zscores_by_date(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``values`` grouped by date (each date's rows contiguous, beginning at ``starts``; NaN =
    no value): each value's z-score within its date, clipped at +-Z_CLIP; NaN on dates with
    fewer than MIN_CROSS_SECTION values or none different from the others."""
    present = ~np.isnan(values)
    lengths = np.diff(starts, append=len(values))
    count = np.add.reduceat(present, starts)
    varies = np.fmax.reduceat(values, starts) > np.fmin.reduceat(values, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.add.reduceat(np.where(present, values, 0.0), starts) / count
        deviation = np.where(present, values - np.repeat(mean, lengths), 0.0)
        std = np.sqrt(np.add.reduceat(np.square(deviation), starts) / (count - 1))
        z = np.clip(deviation / np.repeat(std, lengths), -Z_CLIP, Z_CLIP)
    scored = np.repeat((count >= MIN_CROSS_SECTION) & varies, lengths)
    return np.where(present & scored, z, np.nan)


def with_zscores(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """`frame` (one row per date and symbol, any order) with ``z:<column>``: each column's
    cross-sectional z on its date (`zscores_by_date`; nulls and NaN are no value)."""
    days = frame["date"].to_physical().to_numpy()
    order = None if np.all(days[1:] >= days[:-1]) else np.argsort(days, kind="stable")
    if order is not None:
        days = days[order]
    starts = np.flatnonzero(np.diff(days, prepend=days[:1] - 1))
    scores = []
    for column in columns:
        value = pl.col(column).cast(pl.Float64)
        array = frame.select(pl.when(value.is_finite()).then(value)).to_series().to_numpy()
        if frame.height == 0:
            z = array
        elif order is None:
            z = zscores_by_date(array, starts)
        else:
            z = np.empty_like(array)
            z[order] = zscores_by_date(array[order], starts)
        scores.append(pl.Series(f"z:{column}", z, nan_to_null=True))
    return frame.with_columns(scores)


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
