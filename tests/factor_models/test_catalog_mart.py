"""One catalog: the registry, the generated reference page and marts.dim_factor list the same
factors in the same order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from factor_mart.warehouse import connect
from factor_models.catalog import DIM_FACTOR_SCHEMA, catalog_frame
from tests.orchestration.factor_sample import duckdb_sample

PAGE = Path(__file__).parents[2] / "docs" / "factors.md"
ROW = re.compile(r"^\| `([a-z0-9_]+)` \|", re.MULTILINE)


@pytest.fixture(scope="module")
def dim_factor():
    with connect(duckdb_sample(), read_only=True) as wh:
        return wh.query("select * from marts.dim_factor")


def test_catalog_page_and_dim_factor_list_the_same_factors(dim_factor):
    catalog = catalog_frame()["factor"].to_list()
    assert len(catalog) == len(set(catalog)) >= 100
    assert ROW.findall(PAGE.read_text()) == catalog
    assert sorted(dim_factor["factor"].to_list()) == sorted(catalog)


def test_dim_factor_carries_every_catalog_field_and_the_redundancy_columns(dim_factor):
    assert dim_factor.columns == [*DIM_FACTOR_SCHEMA, "redundant_with", "mean_rank_corr"]
    catalog = catalog_frame()
    stored = catalog.select("factor").join(dim_factor, on="factor", how="left")
    for column in ("family", "formula", "lookback_days", "compute"):
        assert stored[column].to_list() == catalog[column].to_list(), column
    marked = dim_factor.drop_nulls("redundant_with")
    order = {name: i for i, name in enumerate(catalog["factor"])}
    assert marked.height > 0
    for row in marked.iter_rows(named=True):  # only ever an earlier factor, above 0.95
        assert order[row["redundant_with"]] < order[row["factor"]]
        assert abs(row["mean_rank_corr"]) > 0.95
