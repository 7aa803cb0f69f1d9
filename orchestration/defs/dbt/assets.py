"""The dbt project as one unpartitioned @dbt_assets: one `dbt build` a run."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.parse_cache import reuse_partial_parse
from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import TRANSLATOR
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource


class DbtBuildConfig(dg.Config):
    """Run config of the unpartitioned dbt build."""

    full_refresh: bool = False  # rebuild the incremental models from scratch


def build_args(full_refresh: bool = False) -> list[str]:
    """`dbt build` arguments: unit tests stay in CI (they test SQL, not the day's data).

    Dagster reads each result from dbt's structured log on stdout (in the run's compute logs)
    and nodes from the manifest it loaded, so the build skips what only files would hold:
    manifest.json and run_results.json, and the debug lines of every node in dbt.log (its
    warnings and errors stay). Alone, the day's build at 1,000 symbols took ~1 s and ~0.6 s
    less for each."""
    return ["build", "--exclude-resource-type", "unit_test", "--no-write-json",
            "--log-level-file", "warn"] + (["--full-refresh"] if full_refresh else [])


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


@dbt_assets(manifest=dbt_project().manifest_path, project=dbt_project(),
            dagster_dbt_translator=TRANSLATOR, name="dbt_models", pool=POOL)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
               warehouse: WarehouseResource, config: DbtBuildConfig) -> Iterator[Any]:
    """Seeds, staging, intermediate and mart models, with their dbt tests as checks. The
    fundamentals are incremental by filer, the prices (fct_prices_daily included) by symbol and
    date, the macro panel (fct_macro_asof) by date: a run recomputes what its new loads change,
    and its tests check the rows it wrote. One dbt process a run: a second one (the macro panel
    was a monthly asset of its own) cost ~4.5 s of dbt start-up a day for 0.3 s of SQL."""
    # profiles.yml reads the backend, DuckDB path and PostgreSQL parts from the environment,
    # so every run against a warehouse reuses the same saved parse.
    env = warehouse.settings().dbt_env()
    with reuse_partial_parse(dbt_project().project_dir, env) as target_path:
        with _environment(env):
            invocation = dbt.cli(build_args(config.full_refresh), context=context,
                                 target_path=target_path)
        yield from invocation.stream()
