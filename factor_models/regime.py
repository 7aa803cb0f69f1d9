"""The macro regime per trading date, from as-of macro factors only.

Rule (each input is a value known at that date's close, see `factor_models.macro`):

- ``growth_signal`` = ``indpro_yoy`` minus its median over the trailing 756 sessions (three
  years; at least 252 needed), ``inflation_signal`` = ``core_cpi_yoy`` minus its trailing
  756-session median. Growth "up" when the signal is > 0, inflation "up" likewise.
- ``regime``: growth up & inflation down = ``goldilocks``; up & up = ``overheating``;
  down & up = ``stagflation``; down & down = ``slowdown`` (the growth x inflation quadrants of
  e.g. Ilmanen, *Expected Returns*, 2011, ch. 16). Null while either signal is null.
- ``policy``: ``tightening`` when the fed funds rate rose more than 25 bp over 126 sessions,
  ``easing`` when it fell more than 25 bp, else ``neutral``; ``tightening`` = 1.0 / 0.0.
- ``curve_regime``: ``inverted`` when 10y-2y < 0, ``flat`` when below 0.5 pp, else ``steep``;
  ``curve_sign`` = -1 / 0 / +1.
- ``stressed``: 1.0 when the St. Louis Fed stress index is above 0 (above-normal stress).
"""

from __future__ import annotations

import polars as pl

TREND_SESSIONS, MIN_TREND_SESSIONS = 756, 252
POLICY_MOVE = 0.25  # percentage points over 126 sessions
FLAT_CURVE = 0.5  # percentage points
REQUIRED = ("indpro_yoy", "core_cpi_yoy", "fedfunds_chg_126d", "curve_10y2y", "stress")
QUADRANTS = {(True, False): "goldilocks", (True, True): "overheating",
             (False, True): "stagflation", (False, False): "slowdown"}


def _versus_trend(column: str) -> pl.Expr:
    value = pl.col(column)
    return value - value.rolling_median(TREND_SESSIONS, min_samples=MIN_TREND_SESSIONS)


def _quadrant(growth: pl.Expr, inflation: pl.Expr) -> pl.Expr:
    label = pl.lit(None, pl.String)
    for (growth_up, inflation_up), name in QUADRANTS.items():
        label = pl.when((growth > 0) == growth_up, (inflation > 0) == inflation_up,
                        growth.is_not_null(), inflation.is_not_null()).then(pl.lit(name)
                                                                            ).otherwise(label)
    return label


def compute_regime(macro_wide: pl.DataFrame) -> pl.DataFrame:
    """(date, regime, growth_signal, inflation_signal, policy, tightening, curve_regime,
    curve_sign, stressed) from `compute_macro`'s wide frame, one row per date."""
    missing = [c for c in ("date", *REQUIRED) if c not in macro_wide.columns]
    if missing:
        raise ValueError(f"macro_wide: missing column(s) {missing} needed by the regime rule")
    change, slope, stress = pl.col("fedfunds_chg_126d"), pl.col("curve_10y2y"), pl.col("stress")
    return (
        macro_wide.sort("date")
        .with_columns(growth_signal=_versus_trend("indpro_yoy"),
                      inflation_signal=_versus_trend("core_cpi_yoy"))
        .with_columns(
            regime=_quadrant(pl.col("growth_signal"), pl.col("inflation_signal")),
            policy=pl.when(change > POLICY_MOVE).then(pl.lit("tightening"))
            .when(change < -POLICY_MOVE).then(pl.lit("easing"))
            .when(change.is_not_null()).then(pl.lit("neutral")),
            tightening=pl.when(change.is_not_null()).then((change > POLICY_MOVE).cast(pl.Float64)),
            curve_regime=pl.when(slope < 0).then(pl.lit("inverted"))
            .when(slope < FLAT_CURVE).then(pl.lit("flat"))
            .when(slope.is_not_null()).then(pl.lit("steep")),
            curve_sign=pl.when(slope < 0).then(-1.0).when(slope < FLAT_CURVE).then(0.0)
            .when(slope.is_not_null()).then(1.0),
            stressed=pl.when(stress.is_not_null()).then((stress > 0).cast(pl.Float64)),
        )
        .select("date", "regime", "growth_signal", "inflation_signal", "policy", "tightening",
                "curve_regime", "curve_sign", "stressed")
    )
