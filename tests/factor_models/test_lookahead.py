"""The generated look-ahead test over every catalog factor, through the real assembly.

Inputs are read from a small synthetic universe built like the demo (sources -> dbt marts) by
the same loader the assets use; every family is computed and the stock-level ones normalised,
once on the full inputs and once on ``inputs.cut_after(D)`` for two dates D. Every value dated
up to D must be unchanged. New catalog factors are parametrised in automatically.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from factor_mart.warehouse import connect
from factor_models.catalog import FACTORS, get
from orchestration.defs.factors import compute
from orchestration.defs.factors.compute import compute_factors
from orchestration.defs.factors.families import available
from orchestration.defs.factors.loading import load_inputs
from tests.orchestration.factor_sample import duckdb_sample

available()  # import every family that exists so the catalog below is complete
CATALOG = list(FACTORS)
# Two cuts late enough that the 756-session factors have values (bars run 2022-01 .. 2025-12).
CUT_DATES = (date(2025, 3, 31), date(2025, 10, 31))
SCORES = ("raw", "z", "rank", "sector_z")
# Shared passes over all symbols carry rounding from earlier rows (see the technical
# look-ahead test); a value that used later information moves far more than this.
RTOL, ATOL = 1e-9, 1e-12


@pytest.fixture(scope="module")
def inputs():
    settings = duckdb_sample()
    with connect(settings, read_only=True) as wh:
        first = wh.query("select min(trading_date) as d from marts.dim_calendar")["d"][0]
        last = wh.query("select max(trading_date) as d from marts.fct_prices_daily")["d"][0]
        return load_inputs(wh, first, last)


@pytest.fixture(scope="module")
def full(inputs):
    return compute_factors(inputs)


@pytest.fixture(scope="module", params=CUT_DATES, ids=str)
def cut(request, inputs):
    day = request.param
    return day, compute_factors(inputs.cut_after(day))


def assert_same(ours: pl.DataFrame, theirs: pl.DataFrame, key: list[str], columns) -> None:
    """Same keys, and each column equal up to rounding (nulls in the same places)."""
    assert ours.height > 0, "the cut leaves no values to compare"
    only_full, only_cut = ours.join(theirs, on=key, how="anti"), theirs.join(ours, on=key,
                                                                              how="anti")
    assert only_full.is_empty() and only_cut.is_empty(), (
        f"rows differ: only in full {only_full.head(3).to_dicts()}, "
        f"only in cut {only_cut.head(3).to_dicts()}")
    joined = ours.join(theirs, on=key, suffix="_cut")
    for column in columns:
        a = joined[column].cast(pl.Float64).to_numpy()
        b = joined[f"{column}_cut"].cast(pl.Float64).to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{column}: null rows differ"
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=column)


def up_to(frame: pl.DataFrame, name: str, day: date) -> pl.DataFrame:
    return frame.filter(pl.col("factor") == name, pl.col("date") <= day).drop("factor")


def test_every_family_is_computed(full):
    assert not full.skipped, f"families skipped: {full.skipped}"
    assert {f.family for f in FACTORS.values()} <= set(full.families)


def test_symbol_groups_and_session_chunks_do_not_change_values(inputs, full, monkeypatch):
    # The market return spans every group; cross-sections are whole whatever the chunk.
    monkeypatch.setattr(compute, "ROWS_PER_PASS", 1)  # a symbol a pass
    first, last = inputs.bars["date"].min(), inputs.bars["date"].max()
    chunks = compute.StockFactors(inputs, first, last).chunks(40)
    chunked = pl.concat(c.values for c in chunks).cast(compute.VALUES_SCHEMA)
    assert chunked.height == full.values.height
    assert_same(full.values, chunked, ["date", "symbol", "factor"], SCORES)


@pytest.mark.parametrize("name", CATALOG)
def test_values_up_to_the_cut_do_not_change(name, full, cut):
    day, truncated = cut
    produced = full.macro_series if get(name).family == "macro" else full.values
    if produced.filter(pl.col("factor") == name).is_empty():
        # Visible in the summary: the sample lacks this factor's inputs (e.g. a tag or series).
        pytest.skip(f"{name}: no value anywhere in the sample, nothing to compare")
    if get(name).family == "macro":
        assert_same(up_to(full.macro_series, name, day), up_to(truncated.macro_series, name, day),
                    ["date"], ["value"])
    else:
        assert_same(up_to(full.values, name, day), up_to(truncated.values, name, day),
                    ["date", "symbol"], SCORES)


def test_regime_up_to_the_cut_does_not_change(full, cut):
    if full.regime is None:
        pytest.skip(f"no regime model: {full.skipped.get('regime')}")
    day, truncated = cut
    numeric = [c for c, t in full.regime.schema.items() if t.is_numeric()]
    labels = [c for c in full.regime.columns if c not in numeric and c != "date"]
    ours, theirs = (r.filter(pl.col("date") <= day) for r in (full.regime, truncated.regime))
    assert_same(ours, theirs, ["date"], numeric)
    assert ours.sort("date").select(labels).equals(theirs.sort("date").select(labels))
