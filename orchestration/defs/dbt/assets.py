"""Two @dbt_assets: the project in one unpartitioned asset, the date-partitioned macro panel
by month."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.parse_cache import reuse_partial_parse
from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import TRANSLATOR
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource

DATE_PARTITIONED = "tag:date_partitioned"


class DbtBuildConfig(dg.Config):
    """Run config of the unpartitioned dbt build."""

    full_refresh: bool = False  # rebuild the incremental-by-key models (fundamentals) from scratch


def build_args(full_refresh: bool = False) -> list[str]:
    """`dbt build` arguments: unit tests stay in CI (they test SQL, not the day's data)."""
    return ["build", "--exclude-resource-type", "unit_test"] + (
        ["--full-refresh"] if full_refresh else [])


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ while the dbt process starts (dagster-dbt copies the
    environment then), the previous values afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
           window: dict[str, str] | None = None, full_refresh: bool = False) -> Iterator[Any]:
    # profiles.yml reads the backend, DuckDB path and PostgreSQL parts from the environment;
    # the partition window goes the same way rather than as --vars (macros/portability/
    # partition_window.sql), so every run against a warehouse reuses the same saved parse.
    env = warehouse.settings().dbt_env()
    with reuse_partial_parse(dbt_project().project_dir, env) as target_path:
        with _environment(env | window_env(window)):
            invocation = dbt.cli(build_args(full_refresh), context=context,
                                 target_path=target_path)
        yield from invocation.stream()


def partition_window_vars(window: dg.TimeWindow) -> dict[str, str]:
    """A run's partition window as the dbt vars min_date / max_date (inclusive dates)."""
    return {"min_date": window.start.date().isoformat(),
            "max_date": (window.end - timedelta(days=1)).date().isoformat()}


def window_env(window: dict[str, str] | None) -> dict[str, str]:
    """The window as the environment variables partition_window.sql reads (empty: none)."""
    window = window or {}
    return {"FACTOR_MART_MIN_DATE": window.get("min_date", ""),
            "FACTOR_MART_MAX_DATE": window.get("max_date", "")}


@dbt_assets(manifest=dbt_project().manifest_path, exclude=DATE_PARTITIONED, project=dbt_project(),
            dagster_dbt_translator=TRANSLATOR, name="dbt_models", pool=POOL)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
               warehouse: WarehouseResource, config: DbtBuildConfig) -> Iterator[Any]:
    """Seeds, staging, intermediate and mart models, with their dbt tests as checks. The
    fundamentals are incremental by filer, the prices (fct_prices_daily included) by symbol and
    date: a run recomputes what its new loads change, and its tests check the rows it wrote."""
    yield from _build(context, dbt, warehouse, full_refresh=config.full_refresh)


def incremental_dbt_models(partitions_def: dg.TimeWindowPartitionsDefinition
                           ) -> dg.AssetsDefinition:
    """The date-partitioned marts (the macro panel), one partition per month; a backfill is one
    dbt run."""

    @dbt_assets(manifest=dbt_project().manifest_path, select=DATE_PARTITIONED,
                project=dbt_project(), dagster_dbt_translator=TRANSLATOR,
                name="dbt_incremental_models", partitions_def=partitions_def,
                backfill_policy=dg.BackfillPolicy.single_run(), pool=POOL)
    def _incremental(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                     warehouse: WarehouseResource) -> Iterator[Any]:
        yield from _build(context, dbt, warehouse,
                          partition_window_vars(context.partition_time_window))

    return _incremental
