"""Compute the cross-source family: one row per (date, symbol) of the bars."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl

from factor_models.catalog import Factor, by_family, get
from factor_models.cross_source.betas import BETAS, first_pair_dates, known_betas
from factor_models.cross_source.define import (
    FUNDAMENTAL_COMPONENTS,
    GROWTH_CONSISTENCY_SESSIONS,
    TECHNICAL_COMPONENTS,
    with_zscores,
    z,
)
from factor_models.inputs import FactorInputs
from factor_models.macro import compute_macro_panel
from factor_models.macro.panel import validated_macro
from factor_models.regime import compute_regime
from factor_models.technical import compute_technical, validated_bars

KEY = ("date", "symbol")
CREDIT_Z_SESSIONS = 252
# Rows of a symbol's own history before a date that `stock_series` reads for it, besides the
# returns of the betas' pairs (see `first_pair_dates`): growth consistency's window.
SERIES_HISTORY_ROWS = GROWTH_CONSISTENCY_SESSIONS - 1
# The one fundamental component `stock_series` reads before ``start`` (growth consistency's
# input); the others only on the dates wanted.
HISTORY_COMPONENTS = ("revenue_growth_yoy",)


def recent_rows(bars: pl.DataFrame, start: date, rows: int) -> np.ndarray | None:
    """Per bar (sorted by symbol, date): is it on or after ``start`` or among the symbol's last
    ``rows`` bars before it? None when every bar is."""
    position = pl.int_range(pl.len()).over("symbol")
    before = (pl.col("date") < start).sum().cast(pl.Int64).over("symbol")
    recent = bars.select(position >= before - rows).to_series().to_numpy()
    return None if recent.all() else recent


def _selected(factors: Sequence[str] | None) -> list[Factor]:
    if factors is None:
        return by_family("cross_source")
    chosen = [get(name) for name in factors]
    wrong = [f.name for f in chosen if f.family != "cross_source"]
    if wrong:
        raise ValueError(f"not cross_source factors: {wrong}")
    return chosen


def _components(frame: pl.DataFrame | None, names: tuple[str, ...]) -> pl.DataFrame | None:
    """The key and the named columns of a family's wide frame; absent columns become null."""
    if frame is None:
        return None
    return frame.select(
        pl.col("date").cast(pl.Date), pl.col("symbol").cast(pl.String),
        *(pl.col(n).cast(pl.Float64) if n in frame.columns else pl.lit(None, pl.Float64).alias(n)
          for n in names))


def _sign(values: pl.Expr) -> pl.Expr:
    return pl.when(values.is_not_null()).then(values.sign().cast(pl.Float64))


def macro_conditions(macro_wide: pl.DataFrame) -> pl.DataFrame:
    """Per-date conditions the interactions use, from as-of macro factors and the regime."""
    spread = pl.col("credit_spread_hy")
    mean = spread.rolling_mean(CREDIT_Z_SESSIONS, min_samples=CREDIT_Z_SESSIONS)
    std = spread.rolling_std(CREDIT_Z_SESSIONS, min_samples=CREDIT_Z_SESSIONS)
    regime = compute_regime(macro_wide)
    return macro_wide.sort("date").select(
        "date", "stress",
        credit_z=pl.when(std > 0).then((spread - mean) / std),
        dollar_sign=_sign(pl.col("dollar_chg_63d")),
    ).join(regime, on="date", how="left").select(
        "date", "stress", "credit_z", "dollar_sign", "tightening", "curve_sign", "stressed",
        slowdown=pl.when(pl.col("regime").is_not_null())
        .then(pl.col("regime").is_in(["slowdown", "stagflation"]).cast(pl.Float64)),
        inflation_sign=_sign(pl.col("inflation_signal")),
        cycle=-_sign(pl.col("growth_signal")),
    )


def stock_series(inputs: FactorInputs, start: date | None = None) -> pl.DataFrame:
    """Every (date, symbol) of the bars, sorted by symbol, date, with what reads only the
    symbol's own history: the components, the macro betas and growth consistency. Symbols are
    independent here, so a universe can be computed a group of symbols at a time.

    With ``start``, only values from ``start`` on are wanted: the rows are the bars from
    ``start`` and the SERIES_HISTORY_ROWS before it of each symbol (the earlier bars give the
    betas' returns only), and ``inputs.computed`` needs to cover just those rows (its
    fundamental frame before ``start`` only HISTORY_COMPONENTS).
    """
    bars = validated_bars(inputs.bars)
    same_symbol = pl.col("symbol") == pl.col("symbol").shift(1)
    returns = bars.select("symbol", "date", ret=pl.when(same_symbol).then(
        pl.col("close") / pl.col("close").shift(1) - 1.0))
    macro = validated_macro(inputs.macro)
    grid, since = returns.select("date", "symbol"), None
    if start is not None:
        recent = recent_rows(bars, start, SERIES_HISTORY_ROWS)
        grid = grid if recent is None else grid.filter(recent)
        since = first_pair_dates(macro, start)
    technical = _components(inputs.computed.get("technical"), TECHNICAL_COMPONENTS)
    if technical is None:
        technical = compute_technical(bars, TECHNICAL_COMPONENTS)
    fundamental = _components(inputs.computed.get("fundamental"), FUNDAMENTAL_COMPONENTS)
    stock = grid.join(technical, on=KEY, how="left", maintain_order="left")
    if fundamental is None:
        stock = stock.with_columns(pl.lit(None, pl.Float64).alias(n)
                                   for n in FUNDAMENTAL_COMPONENTS)
    else:
        stock = stock.join(fundamental, on=KEY, how="left", maintain_order="left")
    growth = pl.col("revenue_growth_yoy")
    window = {"window_size": GROWTH_CONSISTENCY_SESSIONS,
              "min_samples": GROWTH_CONSISTENCY_SESSIONS // 2}
    growth_std = growth.rolling_std(**window).over("symbol")
    return (
        known_betas(stock, macro, returns, BETAS, since)
        .with_columns(growth_consistency=pl.when(growth_std > 0).then(
            growth.rolling_mean(**window).over("symbol") / growth_std))
    )


def scored_frame(series: pl.DataFrame, conditions: pl.DataFrame) -> pl.DataFrame:
    """`stock_series` rows (of every symbol on their dates: any dates, any order) with the
    components' per-date z-scores, the composite scores and the date's macro `conditions`."""
    scored = [*TECHNICAL_COMPONENTS, *FUNDAMENTAL_COMPONENTS, "growth_consistency",
              *(b.name for b in BETAS)]
    stock = with_zscores(series, scored).with_columns(
        quality=pl.mean_horizontal(z("gross_profitability"), z("roe_ttm"), -z("accruals_ttm")),
        value=pl.mean_horizontal(z("bm"), z("ep_ttm")),
    )
    stock = with_zscores(stock, ["quality", "value"]).with_columns(
        (-z("amihud_21d")).alias("z:liquidity"))
    return stock.join(conditions, on="date", how="left", maintain_order="left")


def stock_frame(inputs: FactorInputs) -> pl.DataFrame:
    """Every (date, symbol) of the bars with the components, their z-scores and the macro
    conditions of the date."""
    macro = inputs.computed.get("macro")
    if macro is None:
        macro = compute_macro_panel(validated_macro(inputs.macro))
    return scored_frame(stock_series(inputs), macro_conditions(macro))


def cross_source_values(frame: pl.DataFrame, factors: Sequence[str] | None = None
                        ) -> pl.DataFrame:
    """(date, symbol, one Float64 column per cross-source factor) of a `scored_frame`, in its
    row order."""
    outputs = {f.name: f.compute() for f in _selected(factors)}
    return frame.select(*KEY, *(e.cast(pl.Float64).alias(name) for name, e in outputs.items()))


def compute_cross_source(inputs: FactorInputs, factors: Sequence[str] | None = None
                         ) -> pl.DataFrame:
    """Wide frame (date, symbol, one Float64 column per cross-source factor), rows sorted by
    symbol, date. Uses ``inputs.bars``, ``inputs.macro`` (or ``inputs.computed["macro"]``),
    ``inputs.computed["technical"]`` (computed from the bars when absent) and
    ``inputs.computed["fundamental"]`` (its factors are null when absent; so is any factor on a
    missing column)."""
    return cross_source_values(stock_frame(inputs), factors).sort("symbol", "date")
