"""The dense engine `evaluate` uses against the per-date polars functions, on data with ties,
names missing on some dates and labels missing for some names."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from factor_models.evaluation import (
    Labels,
    by_sector,
    evaluate,
    forward_returns,
    ic_series,
    ic_summary,
    join_labels,
    quantile_returns,
    quantile_summary,
    spread,
)
from factor_models.evaluation.dense import Grid
from factor_models.evaluation.report import FactorStats


@pytest.fixture(scope="module")
def awkward(sp500_bars: pl.DataFrame):
    """Coarse (tied) factor values, ~20% of names missing at random, and a hole in the labels."""
    rng = np.random.default_rng(3)
    prices = sp500_bars.select("date", "symbol", "close")
    labels = forward_returns(prices)
    hole = pl.col("symbol").is_in(["AAPL", "ADBE"]) & (pl.col("date").dt.month() == 6)
    labels = labels.filter(~hole)
    keys = prices.filter(pl.col("date").dt.year() == 2016)
    values = pl.concat([
        keys.select("date", "symbol", factor=pl.lit("coarse"),
                    value=pl.Series(rng.integers(0, 6, keys.height)).cast(pl.Float64)),
        keys.select("date", "symbol", factor=pl.lit("smooth"),
                    value=pl.Series(rng.normal(size=keys.height))),
    ]).filter(pl.Series(rng.random(2 * keys.height) > 0.2))
    sectors = prices.select(pl.col("symbol").unique().sort()).with_columns(
        sector=pl.format("S{}", pl.int_range(pl.len()) % 3))
    return values, labels, prices.select("date", "symbol"), sectors


def test_engine_matches_reference_functions(awkward):
    values, labels, universe, sectors = awkward
    result = evaluate(values, labels, universe, sectors)
    panel = join_labels(values, labels)
    ic = ic_series(panel)
    joined = result.ic.join(ic, on=["factor", "horizon", "date"], suffix="_ref")
    assert joined.height == ic.height == result.ic.height
    np.testing.assert_allclose(joined["rank_ic"], joined["rank_ic_ref"], atol=1e-12)
    np.testing.assert_allclose(joined["pearson_ic"], joined["pearson_ic_ref"], atol=1e-12)
    assert (joined["n"] == joined["n_ref"]).all()
    summary = ic_summary(ic).join(result.summary, on=["factor", "horizon"], suffix="_eng")
    np.testing.assert_allclose(summary["t_stat"], summary["t_stat_eng"], atol=1e-9)
    daily = quantile_returns(panel)
    buckets = quantile_summary(daily).join(spread(daily), on=["factor", "horizon"])
    for row in buckets.iter_rows(named=True):
        mine = result.summary.filter((pl.col("factor") == row["factor"])
                                     & (pl.col("horizon") == row["horizon"])).row(0, named=True)
        assert mine[f"q{row['quantile']}_return"] == pytest.approx(row["mean_return"], abs=1e-12)
        assert mine["spread"] == pytest.approx(row["spread"], abs=1e-12)
        assert mine["spread_se"] == pytest.approx(row["spread_se"], abs=1e-12)
    _, sector_ref = by_sector(panel, sectors)
    sector = result.sector.join(sector_ref, on=["factor", "horizon", "sector"], suffix="_ref")
    assert sector.height == sector_ref.height == 2 * 3 * 3
    np.testing.assert_allclose(sector["ic_mean"], sector["ic_mean_ref"], atol=1e-12)


def test_a_factor_too_thin_for_an_ic_keeps_its_rows(awkward):
    values, labels, universe, _ = awkward
    thin = values.filter(pl.col("symbol").is_in(["A", "AAL", "AAP"])).with_columns(
        factor=pl.lit("thin"))
    result = evaluate(thin, labels, universe)
    assert result.ic.is_empty()
    assert result.summary["horizon"].to_list() == [1, 5, 21]
    assert result.summary["ic_mean"].null_count() == 3
    assert (result.summary["coverage"] > 0).all()


def test_blocks_of_sessions_give_the_same_statistics_as_one_pass(awkward):
    """The asset evaluates a block of sessions at a time, each seeded with the session before
    it: every per-date statistic must come out exactly as in one pass over all dates."""
    values, labels, universe, sectors = awkward
    grid = Labels.from_frame(Grid.build(universe, sectors), labels)
    frame = values.filter(pl.col("factor") == "smooth")
    dense = grid.grid.dense(frame, "value")
    whole, blocked = FactorStats("smooth", grid), FactorStats("smooth", grid)
    whole.add(dense, dense, 0, seeded=False)
    size = 37  # not a divisor of the dates: the last block is short
    for first in range(0, dense.shape[0], size):
        seeded = first > 0
        base = first - int(seeded)
        block = dense[base:first + size]
        blocked.add(block, block, base, seeded)
    for name in ("rank_ic", "pearson_ic", "names", "quantile_means", "turnover", "autocorr",
                 "symbols", "sector_ic", "sector_names"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name), name)
    assert np.isfinite(whole.turnover).sum() > 400 and np.isfinite(whole.sector_ic).any()
    # Values start in 2016 (row ~252): this block's first session needs the seed's buckets.
    assert np.isfinite(blocked.turnover[7 * size]).all()
