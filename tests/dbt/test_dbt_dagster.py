"""The dbt project seen by Dagster: assets per model, checks per dbt test, partitioned marts."""

from __future__ import annotations

import os

import dagster as dg
import pytest
from conftest import query

from factor_mart.settings import Settings
from orchestration.defs.dbt.assets import partition_window_vars
from orchestration.defs.dbt.definitions import build
from orchestration.defs.dbt.resources import dbt_project
from orchestration.lib.partitions import history_months
from orchestration.lib.resources import WarehouseResource

MARTS = ["dim_calendar", "dim_security", "dim_macro_series", "fct_macro_asof", "fct_prices_daily"]


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions.merge(
        build(settings),
        dg.Definitions(resources={"warehouse": WarehouseResource.from_settings(settings)}))


@pytest.fixture(scope="module")
def asset_graph():
    project = dbt_project()
    project.preparer.prepare(project)  # a fresh manifest, whatever an earlier run left
    defs = definitions(Settings())
    dg.Definitions.validate_loadable(defs)
    return defs.resolve_asset_graph()


def test_models_are_assets_grouped_by_layer_downstream_of_raw(asset_graph):
    for name in MARTS:
        assert asset_graph.get(dg.AssetKey(["marts", name])).group_name == "marts"
    staging = asset_graph.get(dg.AssetKey(["staging", "stg_ibkr__bars"]))
    assert staging.group_name == "staging"
    assert dg.AssetKey(["raw", "ib_bars"]) in staging.parent_keys
    assert asset_graph.get(dg.AssetKey(["reference", "nyse_holidays"])).group_name == "reference"


def test_dbt_tests_are_asset_checks(asset_graph):
    checks = {(c.asset_key.path[-1], c.name) for c in asset_graph.asset_check_keys}
    assert ("dim_security", "unique_dim_security_symbol") in checks
    assert ("fct_prices_daily", "relationships_fct_prices_daily_symbol__symbol__ref_dim_security_"
            ) in checks


def test_incremental_marts_are_monthly_partitions_backfilled_in_one_run(asset_graph):
    node = asset_graph.get(dg.AssetKey(["marts", "fct_macro_asof"]))
    assert isinstance(node.partitions_def, dg.MonthlyPartitionsDefinition)
    assert node.backfill_policy == dg.BackfillPolicy.single_run()
    # The prices are incremental by what landed (a split rescales a symbol's whole history), in
    # the same unpartitioned dbt run as the models they come from.
    for name in ("dim_security", "fct_prices_daily"):
        assert asset_graph.get(dg.AssetKey(["marts", name])).partitions_def is None


def test_partition_window_becomes_inclusive_dbt_vars():
    partitions = history_months(Settings(history_start="2015-01-15"))
    assert partitions.get_first_partition_key() == "2015-01-01"  # the month holding the start
    first, last = (partitions.time_window_for_partition_key(key)
                   for key in ("2015-02-01", "2015-03-01"))
    window = dg.TimeWindow(first.start, last.end)  # a 2-month backfill run: end is exclusive
    assert partition_window_vars(window) == {"min_date": "2015-02-01", "max_date": "2015-03-31"}


def test_dagster_materializes_a_partition_with_its_checks(duckdb_warehouse):
    defs = definitions(duckdb_warehouse)
    job = defs.resolve_implicit_global_asset_job_def()
    key = dg.AssetKey(["marts", "fct_macro_asof"])
    query(duckdb_warehouse, "delete from marts.fct_macro_asof where trading_date = '2024-03-05'")
    # A row outside the partition's month: the run must leave it alone (Dagster passes the
    # window to dbt in the environment).
    outside = "where series_id = 'GDP' and trading_date = '2024-04-01'"
    kept = query(duckdb_warehouse, f"select days_since_vintage from marts.fct_macro_asof "
                                   f"{outside}").item()
    query(duckdb_warehouse, f"update marts.fct_macro_asof set days_since_vintage = -1 {outside}")
    try:
        result = job.execute_in_process(
            partition_key="2024-03-01", asset_selection=[key],
            instance=dg.DagsterInstance.ephemeral())
        assert query(duckdb_warehouse, f"select days_since_vintage from marts.fct_macro_asof "
                                       f"{outside}").item() == -1
    finally:
        query(duckdb_warehouse, f"update marts.fct_macro_asof set days_since_vintage = {kept} "
                                f"{outside}")
    assert result.success
    materialized = [e.asset_key for e in result.get_asset_materialization_events()]
    assert materialized == [key]
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
    restored = query(duckdb_warehouse, "select count(*) as n from marts.fct_macro_asof "
                                       "where trading_date = '2024-03-05'")
    assert restored["n"][0] > 0


def test_a_manifest_older_than_a_model_is_stale(tmp_path):
    from orchestration.defs.dbt.resources import manifest_is_stale

    (tmp_path / "models" / "marts").mkdir(parents=True)
    model = tmp_path / "models" / "marts" / "fct_new.sql"
    model.write_text("select 1 as x")
    (tmp_path / "dbt_project.yml").write_text("name: x")
    manifest = tmp_path / "target" / "manifest.json"
    assert manifest_is_stale(tmp_path, manifest)  # missing
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (manifest.stat().st_mtime - 10,) * 2)
    os.utime(tmp_path / "dbt_project.yml", (manifest.stat().st_mtime - 10,) * 2)
    assert not manifest_is_stale(tmp_path, manifest)
    os.utime(model, (manifest.stat().st_mtime + 10,) * 2)  # a pull changed the model
    assert manifest_is_stale(tmp_path, manifest)
