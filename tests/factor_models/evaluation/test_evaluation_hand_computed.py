"""Small cases worked by hand: labels, quantiles, turnover, autocorrelation, IC statistics,
spread error, redundancy clusters, the leaderboard and the charts."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date

import polars as pl
import pytest

from factor_models.evaluation import (
    assign_quantiles,
    forward_returns,
    ic_summary,
    leaderboard,
    rank_autocorrelation,
    redundancy_clusters,
    redundancy_matrix,
    spread,
    turnover,
)
from factor_models.evaluation.charts import factor_chart_svg

D = [date(2024, 1, d) for d in (2, 3, 4, 5, 8)]


def test_forward_returns_follow_the_calendar_and_fill_gaps():
    # B has no bar on D[2]: its close there is its D[1] close (alphalens' ffill).
    prices = pl.DataFrame({
        "date": D + [D[0], D[1], D[3], D[4]],
        "symbol": ["A"] * 5 + ["B"] * 4,
        "close": [10.0, 11.0, 12.1, 11.0, 13.2, 20.0, 22.0, 33.0, 30.0],
    })
    labels = forward_returns(prices, horizons=(1, 2))
    one = dict(((r["symbol"], r["date"]), r["forward_return"])
               for r in labels.filter(pl.col("horizon") == 1).iter_rows(named=True))
    assert one[("A", D[0])] == pytest.approx(0.1)
    assert one[("B", D[1])] == pytest.approx(0.0)  # D[2] is filled with D[1]'s 22
    assert one[("B", D[3])] == pytest.approx(30 / 33 - 1)
    assert ("B", D[2]) not in one  # no bar, no label
    assert ("A", D[4]) not in one  # past the calendar's end
    two = labels.filter((pl.col("horizon") == 2) & (pl.col("symbol") == "B")).sort("date")
    assert two["forward_return"].to_list() == pytest.approx([22 / 20 - 1, 33 / 22 - 1])
    assert two["date"].to_list() == [D[0], D[1]]


def test_forward_returns_name_bad_rows():
    bad = pl.DataFrame({"date": [D[0]], "symbol": ["A"], "close": [0.0]})
    with pytest.raises(ValueError, match="symbol=A"):
        forward_returns(bad)
    with pytest.raises(ValueError, match="missing column"):
        forward_returns(bad.drop("close"))
    twice = pl.DataFrame({"date": [D[0], D[1], D[1]], "symbol": ["A", "B", "B"],
                          "close": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="duplicate .*symbol=B, date=2024-01-03"):
        forward_returns(twice)


def test_quantiles_match_qcut_and_refuse_tied_edges():
    frame = pl.DataFrame({"g": [1] * 10 + [2] * 5,
                          "value": [float(v) for v in range(10)] + [1.0, 1, 1, 1, 2]})
    out = assign_quantiles(frame, ("g",))
    # qcut(range(10), 5): pairs of values per bucket.
    assert out["quantile"].to_list()[:10] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["quantile"].to_list()[10:] == [None] * 5


def test_turnover_and_autocorrelation_by_hand():
    values = pl.DataFrame({
        "factor": "f",
        "date": [D[0]] * 4 + [D[1]] * 4,
        "symbol": ["a", "b", "c", "d"] * 2,
        "value": [1.0, 2.0, 3.0, 4.0, 2.0, 1.0, 3.0, 4.0],
    })
    # Two buckets: day 1 {a,b} | {c,d}; day 2 {b,a} | {c,d}: nobody moves.
    moved = turnover(values, quantiles=2)
    assert moved["turnover"].to_list() == [0.0, 0.0]
    # Day 2 swaps a and b: ranks (1,2,3,4) -> (2,1,3,4); corr = 0.8.
    auto = rank_autocorrelation(values)
    assert auto["rank_autocorr"].to_list() == pytest.approx([0.8])
    shuffled = values.with_columns(
        value=pl.when(pl.col("date") == D[1]).then(pl.Series([4.0, 3, 2, 1] * 2))
        .otherwise(pl.col("value")))
    assert turnover(shuffled, quantiles=2)["turnover"].to_list() == [1.0, 1.0]


def test_ic_summary_statistics_by_hand():
    ic = pl.DataFrame({"factor": "f", "horizon": 1, "date": D[:4],
                       "rank_ic": [0.1, 0.3, -0.1, 0.1], "pearson_ic": [0.0] * 4, "n": 10})
    row = ic_summary(ic).row(0, named=True)
    mean, std = 0.1, math.sqrt((0 + 0.04 + 0.04 + 0) / 3)
    assert row["ic_mean"] == pytest.approx(mean)
    assert row["ic_std"] == pytest.approx(std)
    assert row["ic_ir"] == pytest.approx(mean / std)
    assert row["t_stat"] == pytest.approx(mean / std * 2)
    assert row["hit_rate"] == pytest.approx(0.75)


def test_spread_error_comes_from_the_daily_spread():
    daily = pl.DataFrame({
        "factor": "f", "horizon": 1,
        "date": [D[0], D[0], D[1], D[1], D[2], D[2]],
        "quantile": [1, 5] * 3,
        "mean_return": [0.0, 0.01, 0.01, 0.04, -0.01, 0.01],
    })
    row = spread(daily).row(0, named=True)  # daily spreads 0.01, 0.03, 0.02
    assert row["spread"] == pytest.approx(0.02)
    assert row["spread_se"] == pytest.approx(0.01 / math.sqrt(3))


def test_clusters_are_named_by_the_first_catalog_factor():
    pairs = [("x", "y", 0.95), ("y", "z", -0.93), ("x", "z", 0.5), ("w", "x", 0.2)]
    rows = [(a, b, c) for a, b, c in pairs] + [(b, a, c) for a, b, c in pairs]
    matrix = pl.DataFrame(rows, schema=["factor_a", "factor_b", "mean_rank_corr"],
                          orient="row")
    clusters = dict(redundancy_clusters(matrix, order=["w", "z", "y", "x"]).iter_rows())
    assert clusters == {"w": "w", "x": "z", "y": "z", "z": "z"}


def test_leaderboard_signs_by_direction():
    frame = pl.DataFrame({"factor": ["up", "down", "flat", "wrong"], "horizon": 5,
                          "ic_ir": [0.2, -0.3, -0.1, -0.2], "direction": [1, -1, 0, 1]})
    board = leaderboard(frame, 5)
    assert board["factor"].to_list() == ["down", "up", "flat", "wrong"]
    assert board["rank"].to_list() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="known horizons: \\[5\\]"):
        leaderboard(frame, 21)


def test_chart_is_valid_svg_with_both_panels():
    ic = pl.DataFrame({"date": D * 2, "factor": "f", "horizon": [1] * 5 + [5] * 5,
                       "rank_ic": [0.1, -0.2, 0.05, 0.3, 0.0] * 2})
    summary = pl.DataFrame({"factor": "f", "horizon": [1, 5], "ic_mean": [0.05, 0.02],
                            "t_stat": [2.5, 1.0],
                            **{f"q{q}_return": [0.001 * q, -0.002 * q] for q in range(1, 6)}})
    svg = factor_chart_svg("f", ic, summary)
    assert "1-day IC +0.050 (t +2.5)" in svg
    root = ET.fromstring(svg)
    tags = [el.tag.split("}")[1] for el in root.iter()]
    assert tags.count("polyline") == 3  # daily IC + one rolling mean per horizon
    assert tags.count("rect") == 1 + 10  # background + 5 quantiles x 2 horizons


def test_redundancy_matrix_is_the_mean_daily_spearman(sp500_bars):
    from factor_models.technical import compute_technical

    wide = compute_technical(sp500_bars, ["mom_6_1", "rsi_14", "ret_21d"]).drop_nulls()
    wide = wide.filter(pl.col("date").is_in(wide["date"].unique().sort()[:30].implode()))
    long = wide.unpivot(index=["date", "symbol"], variable_name="factor", value_name="value")
    matrix = redundancy_matrix(long)
    expected = {}
    for (_,), day in wide.group_by("date"):
        corr = day.drop("date", "symbol").to_pandas().corr(method="spearman")
        for a in corr.columns:
            for b in corr.columns:
                expected.setdefault((a, b), []).append(corr.loc[a, b])
    for a, b, value, dates in matrix.iter_rows():
        assert dates == 30
        assert value == pytest.approx(sum(expected[(a, b)]) / 30, abs=1e-12)


def test_chart_of_a_factor_without_any_rank_ic_says_so(tmp_path):
    from datetime import date

    import polars as pl

    from factor_models.evaluation.charts import _ic_panel

    ic = pl.DataFrame({"date": [date(2024, 1, 2)], "horizon": [1], "rank_ic": [None]},
                      schema={"date": pl.Date, "horizon": pl.Int64, "rank_ic": pl.Float64})
    assert any("no IC" in part for part in _ic_panel(ic, 0))
