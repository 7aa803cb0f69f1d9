"""How much of a symbol's history each technical factor reads: a day's run computes each factor
on that many rows only (`orchestration.defs.factors.compute.technical_groups`), so a factor
missing from RECURSIVE would get values that differ from a full-history build."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from factor_mart.bench.technical import synthetic_bars
from factor_models.catalog import by_family
from factor_models.technical import RECURSIVE, compute_technical
from orchestration.defs.factors.compute import EMA_SETTLE_ROWS, technical_groups

TECHNICAL = {f.name: f for f in by_family("technical")}


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    """Four years a symbol: more than the longest lookback plus the settling rows."""
    return synthetic_bars(symbols=6, years=4, seed=3)


def last_values(bars: pl.DataFrame, factor: str, rows: int | None = None) -> np.ndarray:
    """Each symbol's value on its last bar, from its last ``rows`` bars (all by default)."""
    if rows is not None:
        count = pl.len().cast(pl.Int64)
        bars = bars.filter(pl.int_range(count).over("symbol") >= count.over("symbol") - rows)
    wide = compute_technical(bars, [factor])
    return wide.group_by("symbol").agg(pl.col(factor).last()).sort("symbol")[factor].to_numpy()


def test_recursive_names_only_technical_factors():
    assert RECURSIVE.issubset(TECHNICAL)


@pytest.mark.parametrize("factor", sorted(TECHNICAL.keys() - RECURSIVE))
def test_a_factor_without_a_recursive_average_reads_only_its_lookback(bars, factor):
    full = last_values(bars, factor)
    assert np.isfinite(full).all()
    np.testing.assert_allclose(last_values(bars, factor, TECHNICAL[factor].lookback + 1),
                               full, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("factor", sorted(RECURSIVE))
def test_a_recursive_average_needs_its_seed_to_fade(bars, factor):
    full = last_values(bars, factor)
    lookback = TECHNICAL[factor].lookback
    # Its lookback alone is not enough (so it belongs in RECURSIVE) ...
    short = last_values(bars, factor, lookback + 1)
    assert not np.allclose(short, full, rtol=1e-9, atol=1e-12)
    # ... the settling rows beyond it are.
    np.testing.assert_allclose(last_values(bars, factor, lookback + EMA_SETTLE_ROWS + 1),
                               full, rtol=1e-9, atol=1e-12)


def test_the_groups_cover_every_factor_once_with_the_rows_it_reads():
    groups = technical_groups()
    assert sorted(name for names in groups.values() for name in names) == sorted(TECHNICAL)
    for rows, names in groups.items():
        for name in names:
            settle = EMA_SETTLE_ROWS if name in RECURSIVE else 0
            assert TECHNICAL[name].lookback + settle <= rows
