"""The dbt project and the dbt CLI resource, configured from settings."""

import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from factor_mart.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_executable() -> str:
    """The dbt installed beside this Python (a venv not on PATH), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


@cache
def dbt_project() -> DbtProject:
    """The project with a manifest ready: parsed offline (no database needed) if it is missing."""
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
                          target=settings.backend.value, dbt_executable=dbt_executable())
