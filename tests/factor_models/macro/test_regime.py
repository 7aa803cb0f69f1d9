"""The regime rule on a hand-made macro panel."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from factor_models.regime import MIN_TREND_SESSIONS, compute_regime

N = 400
DAYS = [date(2020, 1, 1) + timedelta(days=i) for i in range(N)]


def panel(**overrides: list[float | None]) -> pl.DataFrame:
    """Flat inputs (growth 2%, core inflation 2%, no policy move, 1 pp slope, no stress)."""
    base = {"indpro_yoy": [0.02] * N, "core_cpi_yoy": [0.02] * N,
            "fedfunds_chg_126d": [0.0] * N, "curve_10y2y": [1.0] * N, "stress": [-0.5] * N}
    return pl.DataFrame({"date": DAYS, **base, **overrides})


def step(before: float, after: float, at: int = 300) -> list[float]:
    return [before] * at + [after] * (N - at)


def test_quadrants_follow_growth_and_inflation_against_their_trailing_median():
    growth = step(0.02, 0.04)                            # above its 3-year median from row 300
    inflation = step(0.02, 0.01, at=350)                 # below it from row 350
    regime = compute_regime(panel(indpro_yoy=growth, core_cpi_yoy=inflation))
    # From row 300 the growth signal is 0.04 minus the median of the rows so far, still 0.02.
    assert regime["growth_signal"][320] == pytest.approx(0.02)
    assert regime["regime"][MIN_TREND_SESSIONS - 2] is None   # not enough history
    assert regime["regime"][299] == "slowdown"           # both exactly at trend: not "up"
    assert regime["inflation_signal"][320] == 0.0     # at trend: "down"
    assert regime["regime"][320] == "goldilocks"
    assert regime["regime"][360] == "goldilocks"
    hot = compute_regime(panel(indpro_yoy=growth, core_cpi_yoy=step(0.02, 0.03)))
    assert hot["regime"][320] == "overheating"
    stag = compute_regime(panel(indpro_yoy=step(0.02, 0.0), core_cpi_yoy=step(0.02, 0.03)))
    assert stag["regime"][320] == "stagflation"
    assert stag["inflation_signal"][320] == pytest.approx(0.01)


def test_policy_curve_and_stress_flags():
    regime = compute_regime(panel(
        fedfunds_chg_126d=[0.5, -0.5, 0.25, None] + [0.0] * (N - 4),
        curve_10y2y=[-0.1, 0.0, 0.49, 0.5] + [1.0] * (N - 4),
        stress=[0.1, 0.0, -0.1, None] + [0.0] * (N - 4)))
    assert regime["policy"].head(4).to_list() == ["tightening", "easing", "neutral", None]
    assert regime["tightening"].head(4).to_list() == [1.0, 0.0, 0.0, None]
    assert regime["curve_regime"].head(4).to_list() == ["inverted", "flat", "flat", "steep"]
    assert regime["curve_sign"].head(4).to_list() == [-1.0, 0.0, 0.0, 1.0]
    assert regime["stressed"].head(4).to_list() == [1.0, 0.0, 0.0, None]


def test_missing_inputs_are_named():
    with pytest.raises(ValueError, match=r"\['stress'\]"):
        compute_regime(panel().drop("stress"))


def test_the_sample_gets_all_four_quadrants(macro_wide):
    regime = compute_regime(macro_wide)
    labels = set(regime["regime"].drop_nulls())
    assert labels == {"goldilocks", "overheating", "stagflation", "slowdown"}
