"""Normalisation against hand-computed cross-sections."""

from datetime import date

import numpy as np
import polars as pl
import pytest

from factor_models.normalize import normalize

D1, D2 = date(2024, 1, 2), date(2024, 1, 3)


def _long(values: dict[str, float], day=D1, factor="f") -> pl.DataFrame:
    return pl.DataFrame({"date": [day] * len(values), "symbol": list(values),
                         "factor": [factor] * len(values), "value": list(values.values())})


def test_z_and_rank_match_a_hand_computed_cross_section():
    values = {f"S{i}": float(v) for i, v in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])}
    out = normalize(_long(values)).sort("raw")
    raw = np.arange(1.0, 11.0)
    low, high = np.quantile(raw, [0.01, 0.99])  # numpy's default is linear interpolation
    clipped = raw.clip(low, high)
    expected_z = (clipped - clipped.mean()) / clipped.std(ddof=1)
    np.testing.assert_allclose(out["z"].to_numpy(), expected_z, rtol=1e-12)
    np.testing.assert_allclose(out["rank"].to_numpy(), np.arange(1, 11) / 10, rtol=1e-12)


def test_an_outlier_is_winsorised_before_the_z_score():
    values = {f"S{i}": float(i) for i in range(999)} | {"BIG": 1e9}
    out = normalize(_long(values))
    big = out.filter(pl.col("symbol") == "BIG")["z"][0]
    assert big < 2.0  # clipped to the 99th percentile, not a 10-sigma point
    assert out.filter(pl.col("symbol") == "BIG")["raw"][0] == 1e9  # raw is kept


def test_dates_and_factors_are_scored_separately():
    a = _long({f"S{i}": float(i) for i in range(6)}, D1)
    b = _long({f"S{i}": float(100 - i) for i in range(6)}, D2)
    out = normalize(pl.concat([a, b]))
    first = out.filter((pl.col("date") == D1) & (pl.col("symbol") == "S5"))["rank"][0]
    second = out.filter((pl.col("date") == D2) & (pl.col("symbol") == "S5"))["rank"][0]
    assert (first, second) == (1.0, pytest.approx(1 / 6))


def test_sector_neutral_z_uses_the_sector_only():
    values = {"A1": 1.0, "A2": 2.0, "A3": 3.0, "B1": 10.0, "B2": 20.0, "B3": 30.0}
    securities = pl.DataFrame({"symbol": list(values), "sector": ["A"] * 3 + ["B"] * 3})
    out = normalize(_long(values), securities).sort("symbol")
    # Within each sector the winsorised values are close to (1,2,3) scaled: z ~ (-1, 0, 1).
    np.testing.assert_allclose(out["sector_z"].to_numpy(), [-1, 0, 1, -1, 0, 1], atol=0.03)


def test_small_cross_sections_get_no_score():
    out = normalize(_long({"A": 1.0, "B": 2.0, "C": 3.0}))
    assert out["z"].null_count() == 3 and out["raw"].to_list() == [1.0, 2.0, 3.0]
