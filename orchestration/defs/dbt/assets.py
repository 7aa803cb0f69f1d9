"""Two @dbt_assets: the whole project in one unpartitioned asset, incremental models by day."""

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import TRANSLATOR
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource

INCREMENTAL = "config.materialized:incremental"


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
           dbt_vars: dict[str, str] | None = None) -> Iterator[Any]:
    # profiles.yml reads the backend, DuckDB path and PostgreSQL parts from the environment.
    os.environ.update(warehouse.settings().dbt_env())
    args = ["build"] + (["--vars", json.dumps(dbt_vars)] if dbt_vars else [])
    yield from dbt.cli(args, context=context).stream()


def partition_window_vars(window: dg.TimeWindow) -> dict[str, str]:
    """A run's partition window as the dbt vars min_date / max_date (inclusive dates)."""
    return {"min_date": window.start.date().isoformat(),
            "max_date": (window.end - timedelta(days=1)).date().isoformat()}


@dbt_assets(manifest=dbt_project().manifest_path, exclude=INCREMENTAL, project=dbt_project(),
            dagster_dbt_translator=TRANSLATOR, name="dbt_models", pool=POOL)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
               warehouse: WarehouseResource) -> Iterator[Any]:
    """Seeds, staging views, intermediate and mart tables, with their dbt tests as checks."""
    yield from _build(context, dbt, warehouse)


def incremental_dbt_models(partitions_def: dg.TimeWindowPartitionsDefinition
                           ) -> dg.AssetsDefinition:
    """The incremental marts, one partition per month; a backfill is one dbt run."""

    @dbt_assets(manifest=dbt_project().manifest_path, select=INCREMENTAL, project=dbt_project(),
                dagster_dbt_translator=TRANSLATOR, name="dbt_incremental_models",
                partitions_def=partitions_def, backfill_policy=dg.BackfillPolicy.single_run(),
                pool=POOL)
    def _incremental(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                     warehouse: WarehouseResource) -> Iterator[Any]:
        yield from _build(context, dbt, warehouse,
                          partition_window_vars(context.partition_time_window))

    return _incremental
