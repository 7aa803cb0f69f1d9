"""Prepare $DAGSTER_HOME with the instance config that matches the environment."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from factor_mart.settings import PROJECT_ROOT


def prepare_dagster_home() -> Path:
    """Use $DAGSTER_HOME or ./.dagster_home; SQLite storage unless a Dagster DSN is set."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    template = ("dagster.postgres.yaml" if os.environ.get("FACTOR_MART_DAGSTER_POSTGRES_DSN")
                else "dagster.yaml")
    shutil.copyfile(PROJECT_ROOT / template, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
