"""Our evaluation against alphalens-reloaded on 12-1 momentum over real S&P bars.

alphalens drops a (date, asset) row when any horizon's forward return is missing; we evaluate
each horizon on every row it has. So both sides are fed the rows complete in all horizons, and
the test first checks that those are exactly the rows alphalens keeps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from factor_models.evaluation import (
    by_sector,
    evaluate,
    ic_series,
    ic_summary,
    join_labels,
    quantile_returns,
    quantile_summary,
    rank_autocorrelation,
    spread,
    turnover,
)

al = pytest.importorskip("alphalens")

HORIZONS = (1, 5, 21)
TOLERANCE = 1e-6


def _column(h: int) -> str:
    return f"{h}D"


@pytest.fixture(scope="module")
def clean_values(momentum: pl.DataFrame, sp500_labels: pl.DataFrame) -> pl.DataFrame:
    complete = (sp500_labels.group_by("date", "symbol").agg(pl.len())
                .filter(pl.col("len") == len(HORIZONS)).drop("len"))
    return momentum.join(complete, on=["date", "symbol"])


def _groups(symbols: list[str]) -> dict[str, str]:
    return {s: f"G{i % 4}" for i, s in enumerate(sorted(symbols))}


@pytest.fixture(scope="module")
def reference(momentum: pl.DataFrame, sp500_bars: pl.DataFrame):
    """alphalens' clean factor data (quantiles=5, periods 1/5/21, no z-score filter), grouped."""
    factor = momentum.to_pandas().assign(date=lambda f: pd.to_datetime(f["date"]))
    factor = factor.set_index(["date", "symbol"])["value"].rename_axis(["date", "asset"])
    prices = sp500_bars.to_pandas().assign(date=lambda f: pd.to_datetime(f["date"]))
    prices = prices.pivot(index="date", columns="symbol", values="close")
    return al.utils.get_clean_factor_and_forward_returns(
        factor, prices, groupby=_groups(momentum["symbol"].unique().to_list()),
        quantiles=5, periods=HORIZONS, filter_zscore=None, max_loss=0.35)


def _frame(series: pd.Series | pd.DataFrame) -> pl.DataFrame:
    return pl.from_pandas(series.reset_index())


def test_same_rows_as_alphalens(reference, clean_values):
    theirs = _frame(reference["factor"]).rename({"asset": "symbol"})
    mine = clean_values.select("date", "symbol", "value")
    assert theirs.height == mine.height
    joined = mine.join(theirs.with_columns(pl.col("date").cast(pl.Date)), on=["date", "symbol"])
    assert joined.height == mine.height
    assert (joined["value"] == joined["factor"]).all()


def test_forward_returns_match(reference, clean_values, sp500_labels):
    ours = clean_values.select("date", "symbol").join(sp500_labels, on=["date", "symbol"])
    theirs = (_frame(reference[[_column(h) for h in HORIZONS]])
              .with_columns(pl.col("date").cast(pl.Date)).sort("date", "asset"))
    for h in HORIZONS:
        mine = ours.filter(pl.col("horizon") == h).sort("date", "symbol")["forward_return"]
        np.testing.assert_allclose(mine.to_numpy(), theirs[_column(h)].to_numpy(),
                                   rtol=0, atol=1e-12)


def test_ic_per_date_and_mean(reference, clean_values, sp500_labels):
    ic = ic_series(join_labels(clean_values, sp500_labels))
    theirs = al.performance.factor_information_coefficient(reference)
    summary = ic_summary(ic)
    for h in HORIZONS:
        mine = ic.filter(pl.col("horizon") == h)
        assert mine.height == len(theirs) > 150
        np.testing.assert_allclose(mine["rank_ic"].to_numpy(), theirs[_column(h)].to_numpy(),
                                   rtol=0, atol=TOLERANCE)
        row = summary.filter(pl.col("horizon") == h).row(0, named=True)
        assert row["ic_mean"] == pytest.approx(theirs[_column(h)].mean(), abs=TOLERANCE)
        assert row["ic_std"] == pytest.approx(theirs[_column(h)].std(), abs=TOLERANCE)


def test_quantile_mean_returns_and_errors(reference, clean_values, sp500_labels):
    daily = quantile_returns(join_labels(clean_values, sp500_labels))
    mine = quantile_summary(daily)
    mean, std_error = al.performance.mean_return_by_quantile(reference)
    for h in HORIZONS:
        rows = mine.filter(pl.col("horizon") == h).sort("quantile")
        assert rows["quantile"].to_list() == [1, 2, 3, 4, 5]
        np.testing.assert_allclose(rows["mean_return"].to_numpy(),
                                   mean[_column(h)].to_numpy(), rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(rows["std_error"].to_numpy(),
                                   std_error[_column(h)].to_numpy(), rtol=0, atol=TOLERANCE)


def test_spread_is_twice_alphalens_half_book_spread(reference, clean_values, sp500_labels):
    daily = quantile_returns(join_labels(clean_values, sp500_labels))
    mine = spread(daily)
    by_date, _ = al.performance.mean_return_by_quantile(reference, by_date=True)
    half, _ = al.performance.compute_mean_returns_spread(by_date, 5, 1)
    for h in HORIZONS:
        row = mine.filter(pl.col("horizon") == h).row(0, named=True)
        assert row["spread"] == pytest.approx(2 * half[_column(h)].mean(), abs=TOLERANCE)
        assert row["spread_se"] == pytest.approx(
            2 * half[_column(h)].std() / np.sqrt(half[_column(h)].count()), abs=TOLERANCE)


def test_turnover_and_rank_autocorrelation(reference, clean_values, sp500_bars):
    calendar = sp500_bars["date"]
    mine = turnover(clean_values, calendar=calendar)
    for q in range(1, 6):
        theirs = al.performance.quantile_turnover(reference["factor_quantile"], q).dropna()
        rows = mine.filter(pl.col("quantile") == q).sort("date")
        assert rows.height == len(theirs) > 150
        np.testing.assert_allclose(rows["turnover"].to_numpy(), theirs.to_numpy(),
                                   rtol=0, atol=TOLERANCE)
    autocorr = rank_autocorrelation(clean_values, calendar).drop_nulls()
    theirs = al.performance.factor_rank_autocorrelation(reference).dropna()
    assert autocorr.height == len(theirs)
    np.testing.assert_allclose(autocorr["rank_autocorr"].to_numpy(), theirs.to_numpy(),
                               rtol=0, atol=TOLERANCE)


def test_sector_ic_matches_by_group(reference, clean_values, sp500_labels):
    groups = _groups(clean_values["symbol"].unique().to_list())
    securities = pl.DataFrame({"symbol": list(groups), "sector": list(groups.values())})
    daily, _ = by_sector(join_labels(clean_values, sp500_labels), securities, min_names=2)
    theirs = _frame(al.performance.factor_information_coefficient(reference, by_group=True))
    for h in HORIZONS:
        mine = daily.filter(pl.col("horizon") == h).sort("date", "sector")
        expected = theirs.sort("date", "group")
        assert mine.height == expected.height
        np.testing.assert_allclose(mine["rank_ic"].to_numpy(),
                                   expected[_column(h)].to_numpy(), rtol=0, atol=TOLERANCE)


def test_evaluate_engine_matches_alphalens(reference, clean_values, sp500_labels, sp500_bars):
    """The dense engine the assets use gives alphalens' numbers too."""
    groups = _groups(clean_values["symbol"].unique().to_list())
    securities = pl.DataFrame({"symbol": list(groups), "sector": list(groups.values())})
    result = evaluate(clean_values, sp500_labels, sp500_bars.select("date", "symbol"),
                      securities, {"mom_12_1": 1})
    theirs = al.performance.factor_information_coefficient(reference)
    mean, std_error = al.performance.mean_return_by_quantile(reference)
    by_date, _ = al.performance.mean_return_by_quantile(reference, by_date=True)
    half, _ = al.performance.compute_mean_returns_spread(by_date, 5, 1)
    autocorr = al.performance.factor_rank_autocorrelation(reference).mean()
    turnovers = [al.performance.quantile_turnover(reference["factor_quantile"], q).mean()
                 for q in (1, 5)]
    by_group = _frame(al.performance.factor_information_coefficient(reference, by_group=True))
    for h in HORIZONS:
        ic = result.ic.filter(pl.col("horizon") == h)
        np.testing.assert_allclose(ic["rank_ic"].to_numpy(), theirs[_column(h)].to_numpy(),
                                   rtol=0, atol=TOLERANCE)
        row = result.summary.filter(pl.col("horizon") == h).row(0, named=True)
        assert row["ic_mean"] == pytest.approx(theirs[_column(h)].mean(), abs=TOLERANCE)
        mine = [row[f"q{q}_return"] for q in range(1, 6)]
        np.testing.assert_allclose(mine, mean[_column(h)].to_numpy(), rtol=0, atol=TOLERANCE)
        mine = [row[f"q{q}_return_se"] for q in range(1, 6)]
        np.testing.assert_allclose(mine, std_error[_column(h)].to_numpy(), rtol=0,
                                   atol=TOLERANCE)
        assert row["spread"] == pytest.approx(2 * half[_column(h)].mean(), abs=TOLERANCE)
        assert row["rank_autocorr"] == pytest.approx(autocorr, abs=TOLERANCE)
        assert row["turnover"] == pytest.approx(np.mean(turnovers), abs=TOLERANCE)
        sector = result.sector.filter(pl.col("horizon") == h).sort("sector")
        expected = by_group.group_by("group").agg(pl.col(_column(h)).mean()).sort("group")
        np.testing.assert_allclose(sector["ic_mean"].to_numpy(),
                                   expected[_column(h)].to_numpy(), rtol=0, atol=TOLERANCE)
