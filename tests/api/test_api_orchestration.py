"""The publish asset materializes through Dagster and a sensor follows successful builds."""

from __future__ import annotations

import dagster as dg
from serving import write_marts

from factor_mart.publish import read_pointer
from factor_mart.settings import Backend, Settings
from orchestration.defs.publish.assets import mart_versions
from orchestration.lib.resources import WarehouseResource


def test_publish_asset_materializes_a_version(tmp_path):
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "w.duckdb")
    write_marts(settings.duckdb_path)
    result = dg.materialize([mart_versions], resources={
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
