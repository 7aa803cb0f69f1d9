"""The evaluation assets materialized by Dagster on a small real sample, on both backends, and
the asset graph keeping labels downstream of every factor."""

from __future__ import annotations

import dagster as dg
import numpy as np
import polars as pl
import pytest

from factor_mart.warehouse import connect
from factor_mart.warehouse.tables import replace_table
from factor_models.catalog import catalog_frame
from factor_models.evaluation import evaluate, forward_returns
from factor_models.normalize import normalize
from factor_models.technical import compute_technical
from factor_models.technical.compute import to_long
from orchestration.defs.evaluation.assets import (
    BLOCK_SESSIONS,
    LABELS,
    charts_folder,
    factor_evaluation,
    fct_factor_redundancy,
    fct_forward_returns,
)
from orchestration.defs.evaluation.checks import EVALUATION_CHECKS
from orchestration.lib.resources import WarehouseResource

FACTORS = ["mom_12_1", "mom_6_1", "rsi_14", "ret_21d"]


def _seed_marts(settings, bars: pl.DataFrame) -> pl.DataFrame:
    """The mart tables the evaluation reads, as dbt and the factor assets would write them."""
    securities = bars.select(pl.col("symbol").unique().sort()).with_columns(
        sector=pl.format("S{}", pl.int_range(pl.len()) % 3))
    values = normalize(to_long(compute_technical(bars, FACTORS)), securities)
    with connect(settings) as wh:
        replace_table(wh, "marts.fct_prices_daily", bars.select(
            "symbol", trading_date="date", adjusted_close="close"))
        replace_table(wh, "marts.dim_security", securities)
        replace_table(wh, "marts.fct_factor_values", values)
        replace_table(wh, "marts.dim_factor", catalog_frame())
    return values


def test_materialize_evaluation(backend_settings, sp500_bars, tmp_path):
    # Charts go beside the configured DuckDB path on either backend: keep it in tmp_path.
    settings = backend_settings.model_copy(update={"duckdb_path": tmp_path / "wh.duckdb"})
    values = _seed_marts(settings, sp500_bars)
    warehouse = WarehouseResource.from_settings(settings)
    result = dg.materialize(
        [fct_forward_returns, factor_evaluation, fct_factor_redundancy, *EVALUATION_CHECKS],
        resources={"warehouse": warehouse})
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["coverage_not_collapsed"] is True
    assert set(checks) == {"coverage_not_collapsed", "ic_sign_matches_direction"}
    with connect(settings) as wh:
        evaluation = wh.query("SELECT * FROM marts.fct_factor_eval ORDER BY factor, horizon")
        ic = wh.query("SELECT * FROM marts.fct_factor_ic")
        labels = wh.query("SELECT horizon, count(*) AS n FROM marts.fct_forward_returns "
                          "GROUP BY horizon ORDER BY horizon")
        sector = wh.query("SELECT DISTINCT sector FROM marts.fct_factor_eval_sector")
        redundancy = wh.query("SELECT * FROM marts.fct_factor_redundancy")
    assert labels["horizon"].to_list() == [1, 5, 21]
    assert evaluation["factor"].unique().sort().to_list() == sorted(FACTORS)
    assert evaluation.height == len(FACTORS) * 3
    assert evaluation["direction"].null_count() == 0
    assert (evaluation["coverage"] > 0.5).all() and (evaluation["coverage"] <= 1).all()
    assert set(ic.columns) >= {"date", "factor", "horizon", "rank_ic", "pearson_ic", "n"}
    assert sorted(sector["sector"].to_list()) == ["S0", "S1", "S2"]
    assert redundancy.height == len(FACTORS) ** 2
    diagonal = redundancy.filter(pl.col("factor_a") == pl.col("factor_b"))
    assert diagonal["mean_rank_corr"].to_list() == pytest.approx([1.0] * len(FACTORS))
    charts = sorted(p.name for p in charts_folder(warehouse).glob("*.svg"))
    assert charts == sorted(f"{f}.svg" for f in FACTORS)
    # Read from the warehouse a block of sessions at a time, the asset gives what `evaluate`
    # gives on the same rows in memory.
    securities = sp500_bars.select(pl.col("symbol").unique().sort()).with_columns(
        sector=pl.format("S{}", pl.int_range(pl.len()) % 3))
    expected = evaluate(values.rename({"raw": "value"}),
                        forward_returns(sp500_bars.select("date", "symbol", "close")),
                        sp500_bars.select("date", "symbol"), securities)
    assert sp500_bars["date"].n_unique() > BLOCK_SESSIONS  # more than one block
    numbers = [c for c, t in expected.summary.schema.items() if t == pl.Float64]
    mine = evaluation.sort("factor", "horizon")
    for column in numbers:
        np.testing.assert_allclose(mine[column].cast(pl.Float64).to_numpy(),
                                   expected.summary[column].to_numpy(), rtol=0, atol=1e-12,
                                   err_msg=column)
    assert ic.height == expected.ic.height


def test_labels_feed_only_the_evaluation():
    """Look-ahead guard: nothing outside the evaluation group reads the labels, so no factor
    can be computed from forward returns; only the publish, which copies every mart table into
    a version, comes after them."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    downstream = dg.AssetSelection.assets(LABELS).downstream().resolve(graph)
    outside = {key for key in downstream if graph.get(key).group_name != "evaluation"}
    assert outside == {dg.AssetKey(["marts", "mart_versions"])}
    assert len(downstream) > 1 + len(outside)
    factor_values = dg.AssetKey(["marts", "fct_factor_values"])
    if graph.has(factor_values):
        upstream = dg.AssetSelection.assets(factor_values).upstream().resolve(graph)
        assert LABELS not in upstream


def test_checks_flag_flipped_ic_and_collapsed_coverage(duckdb_settings):
    from orchestration.defs.evaluation.checks import (
        coverage_not_collapsed,
        ic_sign_matches_direction,
    )

    days = [f"2024-01-0{d}" for d in (2, 3, 4)]
    values = pl.DataFrame({  # "thin" falls from 10 names to 2 on the last day
        "date": [d for d in days for _ in range(10)] + days[:2] * 10 + [days[2]] * 2,
        "symbol": [f"s{i}" for _ in days for i in range(10)]
                  + [f"s{i}" for i in range(10) for _ in range(2)] + ["s0", "s1"],
        "factor": ["full"] * 30 + ["thin"] * 22,
        "raw": 1.0,
    }).with_columns(pl.col("date").str.to_date())
    evaluation = pl.DataFrame({"factor": ["full", "thin"], "horizon": [5, 5],
                               "ic_mean": [-0.05, 0.04], "t_stat": [-3.1, 1.0]})
    dim = pl.DataFrame({"factor": ["full", "thin"], "direction": [1, -1]})
    with connect(duckdb_settings) as wh:
        replace_table(wh, "marts.fct_factor_values", values)
        replace_table(wh, "marts.fct_factor_eval", evaluation)
        replace_table(wh, "marts.dim_factor", dim)
    warehouse = WarehouseResource.from_settings(duckdb_settings)
    flipped = ic_sign_matches_direction(warehouse=warehouse)
    assert not flipped.passed and flipped.severity == dg.AssetCheckSeverity.WARN
    assert [r["factor"] for r in flipped.metadata["flipped"].data] == ["full"]
    collapsed = coverage_not_collapsed(warehouse=warehouse)
    assert not collapsed.passed
    assert list(collapsed.metadata["collapsed"].data) == ["thin"]
