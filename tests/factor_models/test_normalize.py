"""Normalisation against hand-computed cross-sections."""

from datetime import date

import numpy as np
import pandas as pd
import polars as pl
import pytest

from factor_models.normalize import cross_section_scores, normalize

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


def _reference_scores(raw: np.ndarray, sectors: list[tuple[int, int]]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scores of `cross_section_scores` one row at a time, from numpy's quantile and std
    and pandas' average rank (NaN where a cell has no value or no score)."""
    z, rank, sector_z = (np.full(raw.shape, np.nan) for _ in range(3))
    for i, row in enumerate(raw):
        present = ~np.isnan(row)
        values = row[present]
        if len(values) < 5:
            continue
        rank[i, present] = pd.Series(values).rank(method="average", pct=True).to_numpy()
        low, high = np.quantile(values, [0.01, 0.99])
        winsorised = np.where(present, row.clip(low, high), np.nan)
        if high > low:
            z[i] = (winsorised - values.clip(low, high).mean()) / values.clip(low, high).std(
                ddof=1)
        for first, stop in sectors:
            part = winsorised[first:stop]
            members = part[~np.isnan(part)]
            if len(members) >= 3 and members.max() > members.min():
                sector_z[i, first:stop] = (part - members.mean()) / members.std(ddof=1)
    return z, rank, sector_z


def test_dense_scores_equal_a_row_by_row_reference():
    rng = np.random.default_rng(7)
    raw = rng.standard_normal((400, 120))
    raw[rng.random(raw.shape) < 0.15] = np.nan
    raw[::5] = np.round(raw[::5] * 2)  # many ties
    raw[1::9, 4:] = np.nan  # rows with fewer than five values
    raw[2::11] = np.where(np.isnan(raw[2::11]), np.nan, 3.0)  # constant rows
    raw[3::13, :10] = -0.0  # -0.0 ties with 0.0
    raw[4::17, 7] = 1e9  # an outlier to winsorise
    sectors = [(0, 30), (30, 32), (40, 100), (100, 118)]
    scores = cross_section_scores(raw, sectors)
    present = ~np.isnan(raw)
    for score, expected in zip(scores, _reference_scores(raw, sectors), strict=True):
        np.testing.assert_allclose(np.where(present, score, np.nan), expected, rtol=1e-12,
                                   atol=1e-12)
    outside = np.ones(raw.shape[1], dtype=bool)
    outside[[c for first, stop in sectors for c in range(first, stop)]] = False
    assert np.isnan(scores[2][:, outside]).all()


def test_scores_are_written_into_the_given_arrays():
    raw = np.array([[1.0, 5.0, 2.0, np.nan, 4.0, 3.0], [2.0, 2.0, 1.0, 3.0, np.nan, 9.0]])
    out = tuple(np.zeros_like(raw) for _ in range(3))
    returned = cross_section_scores(raw, [(0, 3)], out=out)
    assert all(a is b for a, b in zip(returned, out, strict=True))
    np.testing.assert_array_equal(out[1][0, [0, 1, 2, 4, 5]], np.array([1, 5, 2, 4, 3]) / 5)
    np.testing.assert_array_equal(out[1][1, [0, 1, 2, 3, 5]], np.array([2.5, 2.5, 1, 4, 5]) / 5)
    with pytest.raises(ValueError, match="out must be"):
        cross_section_scores(raw, out=(out[0], out[1], out[2][:, :3]))
