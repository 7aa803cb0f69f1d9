"""Redundancy flags, coverage rows and the coverage-collapse rule, on hand-built frames."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import polars as pl
import pytest

from orchestration.defs.factors.checks import collapsed
from orchestration.defs.factors.compute import _passes, _value_rows
from orchestration.defs.factors.quality import (
    MIN_PAIRS,
    coverage,
    mean_correlations,
    month_end_sessions,
    non_finite_scores,
    rank_correlations,
    redundant_with,
    spearman_pairwise,
)

DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(6)]
SYMBOLS = [f"S{i}" for i in range(12)]


def flags(columns: dict[str, np.ndarray]) -> pl.DataFrame:
    """dim_factor's redundancy columns for factors given as arrays shaped days x symbols, each
    day a month end, through the stored per-day correlations."""
    names = list(columns)
    cube = np.stack([columns[name] for name in names], axis=1)  # days x factors x symbols
    pairs = rank_correlations(pl.Series(DAYS, dtype=pl.Date), names, cube)
    assert pairs.height == len(DAYS) * len(names) * (len(names) - 1) // 2
    return redundant_with(mean_correlations(pairs, names), names)


def test_a_near_copy_is_marked_with_the_earlier_factor_only():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(len(DAYS), len(SYMBOLS)))
    marked = {r["factor"]: (r["redundant_with"], r["mean_rank_corr"])
              for r in flags({
                  "ret_21d": base,
                  "other": rng.normal(size=base.shape),
                  "ret_21d_copy": base + rng.normal(scale=1e-3, size=base.shape),
                  "mirror": -base,
              }).iter_rows(named=True)}
    assert marked["ret_21d"] == (None, None)  # the earlier of a pair keeps no mark
    assert marked["other"] == (None, None)
    assert marked["ret_21d_copy"][0] == "ret_21d"
    assert marked["ret_21d_copy"][1] == pytest.approx(1.0, abs=0.01)
    # -base ties ret_21d and its copy at |corr| ~ 1; the strongest earlier one is chosen.
    assert marked["mirror"][0] in {"ret_21d", "ret_21d_copy"}
    assert marked["mirror"][1] == pytest.approx(-1.0, abs=0.01)


def test_correlation_below_the_threshold_is_not_marked():
    rng = np.random.default_rng(5)
    base = rng.normal(size=(len(DAYS), len(SYMBOLS)))
    noisy = base + rng.normal(scale=0.6, size=base.shape)  # rank correlation ~0.85
    assert flags({"a": base, "b": noisy})["redundant_with"].to_list() == [None, None]


def test_the_mean_is_over_the_days_a_pair_is_defined():
    pairs = pl.DataFrame({"factor_a": ["a", "a", "a", "b"], "factor_b": ["b", "b", "c", "c"],
                          "rank_corr": [0.5, 0.7, None, -0.2]})
    correlation = mean_correlations(pairs, ["a", "b", "c"])
    assert correlation[0, 1] == correlation[1, 0] == pytest.approx(0.6)
    assert np.isnan(correlation[0, 2]) and correlation[2, 1] == pytest.approx(-0.2)


def test_month_ends_are_the_last_session_with_values_of_each_month():
    dates = pl.Series([date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1),
                       date(2024, 2, 29), date(2024, 3, 1)], dtype=pl.Date)
    alive = np.array([True, True, True, False, True])  # nothing on 29 February
    assert month_end_sessions(dates, alive).tolist() == [1, 2, 4]


def test_pairwise_spearman_equals_pandas_with_missing_values_and_ties():
    rng = np.random.default_rng(9)
    values = rng.normal(size=(60, 7))
    values[:, 1] = np.round(values[:, 0] + rng.normal(scale=0.3, size=60), 1)  # ties
    values[rng.random(60) < 0.3, 2] = np.nan  # its own pattern
    values[:20, 3:5] = np.nan  # a pattern shared by two columns
    values[:57, 5] = np.nan  # three names only: too few pairs
    values[:, 6] = 1.0  # constant: no correlation
    ours = spearman_pairwise(values)
    theirs = pd.DataFrame(values).corr(method="spearman", min_periods=MIN_PAIRS).to_numpy()
    off_diagonal = ~np.eye(7, dtype=bool)
    np.testing.assert_allclose(ours[off_diagonal], theirs[off_diagonal], rtol=1e-12,
                               atol=1e-14, equal_nan=True)
    assert np.isnan(ours[5, 0]) and np.isnan(ours[6, 0]) and abs(ours[1, 0]) > 0.8


def test_pairwise_spearman_equals_pandas_across_many_presence_patterns():
    # Month-end-like: nested lookbacks (a later listing misses the longer windows), scattered
    # gaps, ties that straddle the rows a pair drops, a NaN with its sign bit set, columns
    # sharing a pattern and a pattern shared by no other column.
    rng = np.random.default_rng(11)
    rows, columns = 200, 24
    listed = rng.integers(0, 100, rows)
    lookback = rng.choice([0, 20, 60], columns)
    values = rng.normal(size=(rows, columns))
    values[listed[:, None] > 100 - lookback[None, :]] = np.nan
    values[:, :6][rng.random((rows, 6)) < 0.1] = np.nan
    values[:, 6:10] = np.round(values[:, 6:10], 0)  # heavy ties
    values[3, 11] = np.copysign(np.nan, -1.0)
    ours = spearman_pairwise(values)
    theirs = pd.DataFrame(values).corr(method="spearman", min_periods=MIN_PAIRS).to_numpy()
    assert len({tuple(c) for c in np.isnan(values).T}) > 5
    off_diagonal = ~np.eye(columns, dtype=bool)
    np.testing.assert_allclose(ours[off_diagonal], theirs[off_diagonal], rtol=1e-12,
                               atol=1e-14, equal_nan=True)
    np.testing.assert_array_equal(ours, ours.T)


def test_pairwise_spearman_of_no_rows_or_columns_is_empty_or_undefined():
    assert spearman_pairwise(np.empty((10, 0))).shape == (0, 0)
    assert np.isnan(spearman_pairwise(np.empty((0, 3)))).all()


def test_coverage_divides_symbols_with_a_value_by_the_universe():
    dates = pl.Series("date", DAYS[:2], pl.Date)
    symbols = np.array([[2, 1], [1, 0]])  # (date, factor): names with a value
    rows = coverage(dates, ["f", "g"], symbols, np.array([4, 2])).rows()
    assert rows == [(DAYS[0], "f", 2, 4, 0.5), (DAYS[1], "f", 1, 2, 0.5),
                    (DAYS[0], "g", 1, 4, 0.25), (DAYS[1], "g", 0, 2, 0.0)]


def test_coverage_collapse_compares_the_latest_day_with_its_trailing_median():
    history = pl.DataFrame({
        "date": DAYS * 2,
        "factor": ["steady"] * 6 + ["dropped"] * 6,
        "coverage": [0.9, 0.9, 0.8, 0.9, 0.9, 0.5] + [0.9, 0.9, 0.8, 0.9, 0.9, 0.4],
    })
    assert collapsed(history)["factor"].to_list() == ["dropped"]  # 0.4 < 0.5 x 0.9


def test_session_chunks_tile_the_window_in_whole_months():
    from orchestration.defs.factors.compute import session_chunks

    sessions = pl.Series("date", [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1),
                                  date(2024, 2, 29), date(2024, 3, 1)], pl.Date)
    # As many whole months as fit in the sessions, at least one (March alone: February and
    # March together have three sessions).
    assert list(session_chunks(sessions, date(2024, 1, 1), date(2024, 3, 31), 2)) == [
        (date(2024, 1, 1), date(2024, 1, 31), 0, 2), (date(2024, 2, 1), date(2024, 2, 29), 2, 4),
        (date(2024, 3, 1), date(2024, 3, 31), 4, 5)]
    assert list(session_chunks(sessions, date(2024, 1, 1), date(2024, 3, 31), 4)) == [
        (date(2024, 1, 1), date(2024, 2, 29), 0, 4), (date(2024, 3, 1), date(2024, 3, 31), 4, 5)]
    # A month longer than the chunk is not split.
    assert list(session_chunks(sessions, date(2024, 1, 1), date(2024, 3, 31), 1))[0] == (
        date(2024, 1, 1), date(2024, 1, 31), 0, 2)
    # A window without sessions is still one chunk, so its old rows are replaced.
    assert list(session_chunks(sessions.clear(), date(2024, 2, 1), date(2024, 2, 3), 2)) == [
        (date(2024, 2, 1), date(2024, 2, 3), 0, 0)]


def test_non_finite_scores_are_counted_per_factor_and_null_is_no_score():
    values = pl.DataFrame({"factor": ["a", "a", "b", "c", "c"],
                           "z": [0.5, None, float("inf"), float("nan"), 1.0],
                           "sector_z": [None, 0.1, 0.2, 0.3, float("-inf")],
                           "rank": [0.5, None, 0.2, 0.1, 0.9]})
    assert non_finite_scores(values) == {"b": 1, "c": 2}


def test_value_rows_are_the_cells_with_a_value_in_order_with_their_infinite_scores_counted():
    rng = np.random.default_rng(5)
    shape = (3, 4, 6)  # sessions x factors x symbols
    raw = rng.normal(size=shape)
    raw[rng.random(shape) < 0.3] = np.nan
    z, rank, sector_z = (rng.normal(size=shape) for _ in range(3))
    sector_z[rng.random(shape) < 0.3] = np.nan
    z[0, 1] = np.inf
    rank[2, 3] = -np.inf
    dates = pl.Series(DAYS[:3], dtype=pl.Date)
    names = pl.Series(["a", "b", "c", "d"], dtype=pl.Enum(["a", "b", "c", "d"]))
    tickers = pl.Series(SYMBOLS[:6], dtype=pl.Enum(SYMBOLS[:6]))
    day, symbol, factor = np.nonzero(~np.isnan(raw.transpose(0, 2, 1)))  # date, symbol, factor
    values, bad = _value_rows(dates, names, tickers, len(day), raw, z, rank, sector_z)
    expected = pl.DataFrame({
        "date": dates.gather(day), "symbol": tickers.gather(symbol),
        "factor": names.gather(factor), "raw": raw[day, factor, symbol],
        **{name: pl.Series(score[day, factor, symbol], nan_to_null=True)
           for name, score in (("z", z), ("rank", rank), ("sector_z", sector_z))}})
    assert values.equals(expected)
    assert bad == non_finite_scores(values) and set(bad) == {"b", "d"}


def test_symbol_passes_hold_about_a_row_budget_of_whole_symbols():
    runs = pl.DataFrame({"symbol": list("abcde"), "first": [0, 3, 6, 9, 19],
                         "rows": [3, 3, 3, 10, 1]})
    passes = [group["symbol"].to_list() for group in _passes(runs, 6)]
    # Up to 6 bars a pass; a symbol with more than that is a pass of its own.
    assert passes == [["a", "b"], ["c"], ["d"], ["e"]]
    assert [g["symbol"].to_list() for g in _passes(runs, 100)] == [list("abcde")]
