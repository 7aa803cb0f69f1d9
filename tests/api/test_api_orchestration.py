"""The publish asset materializes through Dagster and a sensor follows successful builds."""

from __future__ import annotations

import dagster as dg
from serving import write_marts

from factor_mart.publish import read_pointer
from factor_mart.settings import Backend, Settings
from orchestration.defs.publish.assets import mart_versions_asset
from orchestration.lib.resources import WarehouseResource


def test_publish_asset_materializes_a_version(tmp_path):
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "w.duckdb")
    write_marts(settings.duckdb_path)
    result = dg.materialize([mart_versions_asset([])], resources={
        "warehouse": WarehouseResource.from_settings(settings)})
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["version"].value == 1
    assert read_pointer(settings).version == 1


def test_publish_job_and_sensor_are_in_the_code_location():
    from orchestration.definitions import build_definitions

    defs = build_definitions(Settings())
    assert "publish_job" in {job.name for job in defs.resolve_all_job_defs()}
    assert {s.name for s in defs.sensors} >= {"publish_after_build"}


def test_the_publish_runs_after_every_asset_writing_a_mart():
    """In the after-close run (bars, dbt, factors, publish) the publish waits for the day's
    marts: it depends on every asset writing a mart table."""
    from orchestration.definitions import build_definitions

    defs = build_definitions(Settings())
    graph = defs.resolve_asset_graph()
    publish_key = dg.AssetKey(["marts", "mart_versions"])
    upstream = graph.get(publish_key).parent_keys
    marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"} - {publish_key}
    assert upstream == marts
    assert {dg.AssetKey(["marts", t]) for t in (
        "fct_prices_daily", "fct_factor_values", "fct_macro_asof", "dim_factor")} <= upstream
    # The daily run's plan: the publish step waits for the dbt and factor steps.
    job = defs.resolve_job_def("after_close_job")
    inputs = job.graph.dependency_structure.input_to_upstream_outputs_for_node(
        "marts__mart_versions")
    assert {"dbt_models", "marts__fct_factor_values"} <= {
        output.node_name for outputs in inputs.values() for output in outputs}
