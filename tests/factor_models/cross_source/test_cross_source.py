"""Cross-source factors: betas against numpy least squares, interactions against per-date
z-scores computed by hand, missing inputs, and the catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import polars as pl
import pytest

from factor_models.catalog import by_family
from factor_models.cross_source import compute_cross_source, stock_frame, stock_series
from factor_models.cross_source.define import Z_CLIP

DAY = date(2017, 8, 31)


@pytest.fixture(scope="module")
def values(cross_inputs):
    return compute_cross_source(cross_inputs)


@pytest.fixture(scope="module")
def frame(cross_inputs):
    return stock_frame(cross_inputs)


def test_there_are_at_least_30_cross_source_factors():
    assert len(by_family("cross_source")) >= 30


def lstsq_beta(inputs, symbol: str, series_id: str, window: int, log: bool) -> float:
    """Slope with intercept over the last `window` (return, change) pairs known on DAY."""
    series = inputs.macro.filter(pl.col("series_id") == series_id)
    known = series.filter(pl.col("date") == DAY)["observation_date"].item()
    prints = series.sort("date").unique("observation_date", keep="first", maintain_order=True)
    level = prints["value"].to_numpy()
    steps = np.diff(np.log(level)) if log else np.diff(level)
    changes = pl.DataFrame({"date": prints["observation_date"][1:], "x": steps})
    bars = inputs.bars.filter(pl.col("symbol") == symbol).sort("date")
    returns = bars.select("date", y=pl.col("close") / pl.col("close").shift(1) - 1).drop_nulls()
    pairs = returns.join(changes, on="date").filter(pl.col("date") <= known).sort("date")
    pairs = pairs.tail(window)
    assert pairs.height == window
    design = np.column_stack([np.ones(window), pairs["x"].to_numpy()])
    return np.linalg.lstsq(design, pairs["y"].to_numpy(), rcond=None)[0][1]


@pytest.mark.parametrize(("name", "series_id", "window", "log"), [
    ("beta_dgs10_252d", "DGS10", 252, False), ("beta_dgs10_63d", "DGS10", 63, False),
    ("beta_dollar_252d", "DTWEXBGS", 252, True), ("beta_breakeven_63d", "T10YIE", 63, False),
    ("beta_credit_252d", "BAMLH0A0HYM2", 252, False),
])
@pytest.mark.parametrize("symbol", ["S0", "S7"])
def test_betas_match_least_squares(values, cross_inputs, name, series_id, window, log, symbol):
    ours = values.filter(pl.col("symbol") == symbol, pl.col("date") == DAY)[name].item()
    assert ours == pytest.approx(lstsq_beta(cross_inputs, symbol, series_id, window, log),
                                 rel=1e-8, abs=1e-10)


def test_rate_betas_recover_the_loadings(values):
    # Returns were built as 0.05 * (i - 3.5) / 3.5 * dDGS10 + noise: S0 -0.05, S7 +0.05.
    betas = values.filter(pl.col("date") == DAY).sort("symbol")["beta_dgs10_252d"].to_numpy()
    assert betas[0] < -0.02 and betas[-1] > 0.02
    assert np.corrcoef(betas, np.arange(8))[0, 1] > 0.8


def hand_z(values: np.ndarray) -> np.ndarray:
    return np.clip((values - values.mean()) / values.std(ddof=1), -Z_CLIP, Z_CLIP)


def test_interactions_multiply_per_date_z_scores(values, cross_inputs):
    technical = cross_inputs.computed["technical"].filter(pl.col("date") == DAY).sort("symbol")
    fundamental = cross_inputs.computed["fundamental"].filter(pl.col("date") == DAY).sort("symbol")
    ours = values.filter(pl.col("date") == DAY).sort("symbol")
    expected = hand_z(fundamental["eps_growth_yoy"].to_numpy()) * hand_z(
        technical["mom_12_1"].to_numpy())
    np.testing.assert_allclose(ours["earnmom_x_pricemom"].to_numpy(), expected, rtol=1e-12)
    parts = np.column_stack([hand_z(fundamental[c].to_numpy()) * sign for c, sign in
                             (("gross_profitability", 1), ("roe_ttm", 1), ("accruals_ttm", -1))])
    quality = hand_z(parts.mean(axis=1))
    value = hand_z(np.column_stack([hand_z(fundamental["bm"].to_numpy()),
                                    hand_z(fundamental["ep_ttm"].to_numpy())]).mean(axis=1))
    reversal = hand_z(technical["strev_21d"].to_numpy())
    np.testing.assert_allclose(ours["value_x_reversal"].to_numpy(), value * reversal, rtol=1e-12)
    # 2017-08: the fed funds rate is up ~0.75 pp on six months earlier: tightening.
    np.testing.assert_allclose(ours["quality_in_tightening"].to_numpy(), quality, rtol=1e-12)


def test_macro_conditions_come_from_the_regime(frame):
    row = frame.filter(pl.col("date") == DAY).row(0, named=True)
    assert row["tightening"] == 1.0
    assert row["stress"] < 0 and row["stressed"] == 0.0
    assert row["cycle"] in (-1.0, 1.0) and row["curve_sign"] in (0.0, 1.0)


def test_missing_fundamentals_give_null_factors_not_errors(cross_inputs):
    partial = cross_inputs.computed["fundamental"].drop("piotroski_f")
    some = compute_cross_source(replace(cross_inputs, computed={
        **cross_inputs.computed, "fundamental": partial}), ["fscore_x_momentum",
                                                            "earnmom_x_pricemom"])
    assert some["fscore_x_momentum"].null_count() == some.height
    assert some["earnmom_x_pricemom"].drop_nulls().len() > 0
    none = compute_cross_source(replace(cross_inputs, computed={}),
                                ["value_x_momentum", "beta_dgs10_252d", "momentum_in_calm"])
    assert none["value_x_momentum"].null_count() == none.height
    assert none["beta_dgs10_252d"].drop_nulls().len() > 0
    assert none["momentum_in_calm"].drop_nulls().len() > 0


def test_every_factor_has_values(values):
    empty = [c for c in values.columns[2:] if values[c].drop_nulls().len() == 0]
    assert not empty


def test_series_from_a_start_equal_the_full_history_from_that_start(cross_inputs):
    # A month's run reads only the rows the series need before its start (growth consistency's
    # window, and for the betas the pairs of their windows): the values from the start on are
    # those of the whole history, and the rows read are fewer.
    start = date(2018, 11, 1)
    full = stock_series(cross_inputs).filter(pl.col("date") >= start)
    since = stock_series(cross_inputs, start)
    assert since.height < stock_series(cross_inputs).height
    ours = since.filter(pl.col("date") >= start)
    assert ours.select("date", "symbol").equals(full.select("date", "symbol"))
    for name in ("beta_dgs10_252d", "beta_dollar_63d", "growth_consistency"):
        assert full[name].null_count() < full.height, name
        np.testing.assert_allclose(ours[name].to_numpy(), full[name].to_numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)
