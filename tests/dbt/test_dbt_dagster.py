"""The dbt project seen by Dagster: assets per model, checks per dbt test, one dbt build."""

from __future__ import annotations

import os

import dagster as dg
import pytest
from conftest import query

from factor_mart.settings import Settings
from orchestration.defs.dbt.definitions import build
from orchestration.defs.dbt.resources import dbt_project
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


def test_every_model_is_in_the_one_unpartitioned_dbt_build(asset_graph):
    # The incremental marts (prices by symbol and date, the macro panel by date) recompute what
    # their new loads change in the same dbt run as the models they come from: one dbt start a
    # day (a split rescales a symbol's whole history, a late vintage the panel from its date).
    models = [k for k in asset_graph.get_all_asset_keys()
              if k.path[0] in ("staging", "intermediate", "marts", "reference")
              and asset_graph.get(k).is_materializable
              and asset_graph.get(k).assets_def.node_def.name == "dbt_models"]
    for name in ("dim_security", "fct_prices_daily", "fct_macro_asof"):
        assert dg.AssetKey(["marts", name]) in models
    assert all(asset_graph.get(k).partitions_def is None for k in models)


MACRO_PANEL = [dg.AssetKey(["intermediate", "int_macro__recompute"]),
               dg.AssetKey(["marts", "fct_macro_asof"]),
               dg.AssetKey(["intermediate", "int_macro__processed_states"])]


def test_dagster_materializes_the_macro_panel_with_its_checks(duckdb_warehouse):
    defs = definitions(duckdb_warehouse)
    job = defs.resolve_implicit_global_asset_job_def()
    last = query(duckdb_warehouse, "select max(trading_date) as d from marts.fct_macro_asof"
                 ).item()
    query(duckdb_warehouse, f"delete from marts.fct_macro_asof where trading_date = '{last}'")
    # A row before the missing day: the run recomputes from that day on and keeps it.
    outside = "where series_id = 'GDP' and trading_date = '2024-04-01'"
    kept = query(duckdb_warehouse, f"select days_since_vintage from marts.fct_macro_asof "
                                   f"{outside}").item()
    query(duckdb_warehouse, f"update marts.fct_macro_asof set days_since_vintage = -1 {outside}")
    call_folders = set((dbt_project().project_dir / "target").glob("dbt-*"))
    try:
        result = job.execute_in_process(asset_selection=MACRO_PANEL,
                                        instance=dg.DagsterInstance.ephemeral())
        assert query(duckdb_warehouse, f"select days_since_vintage from marts.fct_macro_asof "
                                       f"{outside}").item() == -1
    finally:
        query(duckdb_warehouse, f"update marts.fct_macro_asof set days_since_vintage = {kept} "
                                f"{outside}")
    assert result.success
    # The run's dbt call left no folder of compiled SQL behind.
    assert set((dbt_project().project_dir / "target").glob("dbt-*")) == call_folders
    materialized = [e.asset_key for e in result.get_asset_materialization_events()]
    assert sorted(materialized) == sorted(MACRO_PANEL)
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
    restored = query(duckdb_warehouse, "select count(*) as n from marts.fct_macro_asof "
                                       f"where trading_date = '{last}'")
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
