"""The registry, its dim_factor frame and the generated Markdown page."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from factor_models import catalog
from factor_models.catalog import Factor, by_family, catalog_frame, catalog_markdown, get

TECHNICAL = [f.name for f in by_family("technical")]


def _factor(**changes) -> Factor:
    return dataclasses.replace(get("rsi_14"), **changes)


def test_lookups():
    assert get("mom_12_1").family == "technical"
    assert get("mom_12_1").compute_path == "factor_models.technical.returns:mom_12_1"
    assert get("ret_21d").compute_path == "factor_models.technical.returns:trailing_return(21)"
    assert all(f.family == "technical" for f in by_family("technical"))
    assert {f.name for family in catalog.FAMILIES for f in by_family(family)} == set(
        catalog.load_all()
    )
    with pytest.raises(KeyError, match="unknown factor 'nope'.*mom_12_1"):
        get("nope")
    with pytest.raises(ValueError, match="unknown family"):
        by_family("astrology")


def test_register_refuses_duplicates_and_leaves_the_registry_alone():
    before = dict(catalog.FACTORS)
    with pytest.raises(ValueError, match="'rsi_14' is already registered"):
        catalog.register(get("rsi_14"))
    assert before == catalog.FACTORS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "RSI 14"}, "snake_case"),
        ({"family": "vibes"}, "family"),
        ({"direction": 2}, "direction"),
        ({"lookback": -1}, "lookback"),
        ({"cadence": "hourly"}, "cadence"),
        ({"formula": " "}, "formula"),
        ({"inputs": ()}, "inputs"),
    ],
)
def test_malformed_entries_are_rejected_by_name(changes, message):
    with pytest.raises(ValueError, match=f"factor '.*': .*{message}"):
        catalog.register(_factor(**changes))


def test_catalog_frame_has_one_dim_factor_row_per_factor():
    frame = catalog_frame()
    assert frame.schema == pl.Schema(catalog.DIM_FACTOR_SCHEMA)
    assert frame["factor"].to_list() == list(catalog.load_all())
    assert frame.select(pl.exclude("higher_is_better")).null_count().sum_horizontal().item() == 0
    row = frame.filter(pl.col("factor") == "mom_12_1").row(0, named=True)
    assert row["formula"] == "close[t-21] / close[t-252] - 1"
    assert (row["direction"], row["higher_is_better"], row["lookback_days"]) == (1, True, 252)
    assert row["sources"] == "ibkr" and row["cadence"] == "daily"
    assert frame.filter(pl.col("factor") == "beta_mkt_252d")["inputs"].item() == (
        "close, market_return"
    )


def test_markdown_page_lists_every_factor_once():
    page = catalog_markdown()
    assert page.startswith("# Factor reference")
    assert f"## Technical ({len(TECHNICAL)})" in page
    for name in catalog.load_all():
        assert page.count(f"| `{name}` |") == 1
    # pipes in formulas are escaped so the table keeps its columns
    cci = next(line for line in page.splitlines() if "`cci_20`" in line)
    assert "mean \\|TP - SMA20(TP)\\|" in cci
    assert cci.replace("\\|", "").count("|") == 9


@pytest.mark.parametrize("name", TECHNICAL)
def test_lookback_is_the_first_row_with_a_value(name, technical_values):
    aapl = technical_values.filter(pl.col("symbol") == "AAPL")[name]
    first = aapl.is_not_null().arg_true()[0]
    assert first == get(name).lookback
