"""Redundancy flags, coverage rows and the coverage-collapse rule, on hand-built frames."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from orchestration.defs.factors.checks import collapsed
from orchestration.defs.factors.quality import coverage, redundancy

DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(6)]
SYMBOLS = [f"S{i}" for i in range(12)]


def ranks(columns: dict[str, np.ndarray]) -> pl.DataFrame:
    """Long (date, symbol, factor, rank) from arrays shaped days x symbols."""
    rows = [(day, symbol, name, float(values[d, s]))
            for name, values in columns.items() for d, day in enumerate(DAYS)
            for s, symbol in enumerate(SYMBOLS)]
    return pl.DataFrame(rows, schema=["date", "symbol", "factor", "rank"], orient="row")


def test_a_near_copy_is_marked_with_the_earlier_factor_only():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(len(DAYS), len(SYMBOLS)))
    frame = ranks({
        "ret_21d": base,
        "other": rng.normal(size=base.shape),
        "ret_21d_copy": base + rng.normal(scale=1e-3, size=base.shape),
        "mirror": -base,
    })
    flags = redundancy(frame, ["ret_21d", "other", "ret_21d_copy", "mirror"])
    marked = {r["factor"]: (r["redundant_with"], r["mean_rank_corr"])
              for r in flags.iter_rows(named=True)}
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
    flags = redundancy(ranks({"a": base, "b": noisy}), ["a", "b"])
    assert flags["redundant_with"].to_list() == [None, None]


def test_coverage_counts_symbols_with_a_value_against_the_universe():
    bars = pl.DataFrame({"date": [DAYS[0]] * 4 + [DAYS[1]] * 2,
                         "symbol": ["A", "B", "C", "D", "A", "B"]})
    values = pl.DataFrame({"date": [DAYS[0], DAYS[0], DAYS[0], DAYS[1]],
                           "symbol": ["A", "B", "C", "A"],
                           "factor": ["f", "f", "g", "f"]})
    rows = coverage(values, bars, ["f", "g"]).rows()
    assert rows == [(DAYS[0], "f", 2, 4, 0.5), (DAYS[1], "f", 1, 2, 0.5),
                    (DAYS[0], "g", 1, 4, 0.25), (DAYS[1], "g", 0, 2, 0.0)]


def test_coverage_collapse_compares_the_latest_day_with_its_trailing_median():
    history = pl.DataFrame({
        "date": DAYS * 2,
        "factor": ["steady"] * 6 + ["dropped"] * 6,
        "coverage": [0.9, 0.9, 0.8, 0.9, 0.9, 0.5] + [0.9, 0.9, 0.8, 0.9, 0.9, 0.4],
    })
    assert collapsed(history)["factor"].to_list() == ["dropped"]  # 0.4 < 0.5 x 0.9


def test_year_chunks_cover_the_window_once():
    from orchestration.defs.factors.assets import year_chunks

    assert list(year_chunks(date(2023, 11, 1), date(2025, 2, 3))) == [
        (date(2023, 11, 1), date(2023, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 2, 3))]


def test_normalising_year_by_year_equals_normalising_at_once():
    from orchestration.defs.factors.assets import year_chunks
    from orchestration.defs.factors.compute import normalized_values

    rng = np.random.default_rng(3)
    days = [date(2023, 12, 20) + timedelta(days=i) for i in range(30)]
    symbols = [f"S{i}" for i in range(12)]
    wide = {"technical": pl.DataFrame({
        "date": [d for d in days for _ in symbols], "symbol": symbols * len(days),
        "ret_1d": rng.normal(size=len(days) * len(symbols))})}
    securities = pl.DataFrame({"symbol": symbols, "sector": ["A", "B", "C"] * 4})
    whole = normalized_values(wide, securities, days[0], days[-1])
    chunked = pl.concat([normalized_values(wide, securities, low, high)
                         for low, high in year_chunks(days[0], days[-1])])
    key = ["factor", "date", "symbol"]
    assert chunked.sort(key).equals(whole.sort(key))
