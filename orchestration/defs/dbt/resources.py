"""The dbt project and the dbt CLI resource, configured from settings."""

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from factor_mart.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def _put_dbt_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH (its manifest preparer too): a venv that is not
    activated (`.venv/bin/dagster dev`) still has dbt beside its Python."""
    if shutil.which("dbt") is None and Path(sys.executable).with_name("dbt").exists():
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


@cache
def dbt_project() -> DbtProject:
    """The project with a manifest ready: parsed offline (no database needed) if it is missing."""
    _put_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        # prepare_if_dev only acts under `dagster dev`; a fresh clone loaded any other way
        # (tests, `dagster asset materialize`, a deployment without a build step) parses here.
        project.preparer.prepare(project)
    return project


def dbt_resource(settings: Settings) -> DbtCliResource:
    """dbt CLI against the configured backend (profiles.yml reads the rest from the env)."""
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR),
                          target=settings.backend.value)
