"""The dbt project and the dbt CLI resource, configured from settings."""

import os
import shutil
import sys
from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dbt.version import __version__ as DBT_CORE_VERSION
from packaging.version import Version

from factor_mart.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def _put_dbt_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH (its manifest preparer too): a venv that is not
    activated (`.venv/bin/dagster dev`) still has dbt beside its Python."""
    if shutil.which("dbt") is None and Path(sys.executable).with_name("dbt").exists():
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


# What the manifest is parsed from (target/, logs/ and dbt_packages/ are outputs).
MANIFEST_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "tests", "snapshots",
                    "analyses")


def manifest_is_stale(project_dir: Path, manifest: Path) -> bool:
    """Whether ``manifest`` is missing or older than a file it is parsed from (a pull that
    added a model, say: its nodes would be missing from the manifest Dagster reads)."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in MANIFEST_SOURCES:
        source = project_dir / name
        files = source.rglob("*") if source.is_dir() else [source] if source.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


@cache
def dbt_project() -> DbtProject:
    """The project with a manifest ready: parsed offline (no database needed) if it is missing
    or older than the project's files."""
    _put_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    if manifest_is_stale(DBT_PROJECT_DIR, project.manifest_path):
        # prepare_if_dev only acts under `dagster dev`; a fresh clone or a pull loaded any
        # other way (tests, `dagster asset materialize`, a deployment without a build step)
        # parses here.
        project.preparer.prepare(project)
    return project


class FactorMartDbtCliResource(DbtCliResource):
    """The dbt CLI without two costs dagster-dbt (1.13) pays in the Dagster process before every
    dbt call: running `dbt --version` (~1.75 s), and loading the profile, project and macros into
    a dbt adapter of its own (1-4 CPU-s) that only `fetch_row_counts` / `fetch_column_metadata`
    use, which this project does not call."""

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None

    @cached_property
    def _cli_version(self) -> Version:
        """The dbt-core imported here when the `dbt` run is the one beside this Python."""
        executable = shutil.which(self.dbt_executable)
        if executable and Path(executable).parent == Path(sys.executable).parent:
            return Version(DBT_CORE_VERSION)
        return super()._cli_version


def dbt_resource(settings: Settings) -> DbtCliResource:
    """dbt CLI against the configured backend (profiles.yml reads the rest from the env)."""
    return FactorMartDbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR),
                                    target=settings.backend.value)
