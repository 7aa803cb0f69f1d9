"""Publish the marts as an immutable, numbered version that the API reads while builds run.

- `versions`: what a version is (`MartVersion`), recorded in `marts.mart_versions` and
  announced to the API's streams.
- `parts`: the large tables cut into parts by date, named by their content and shared by
  the versions that hold the same content, so a publish writes only what changed.
- `snapshots`: DuckDB, a version file beside the warehouse and a pointer swapped atomically.
- `schemas`: PostgreSQL, a schema per version made in one transaction.
"""

from __future__ import annotations

from factor_mart.publish.schemas import PARTS_SCHEMA, publish_postgres
from factor_mart.publish.snapshots import (
    open_snapshot,
    publish_duckdb,
    read_pointer,
    snapshot_dir,
)
from factor_mart.publish.versions import MartVersion, announce
from factor_mart.settings import Backend, Settings

__all__ = ["PARTS_SCHEMA", "MartVersion", "announce", "open_snapshot", "publish",
           "read_pointer", "snapshot_dir"]


def publish(settings: Settings | None = None) -> MartVersion:
    """Publish the current marts as the next version and announce it to the API's streams."""
    settings = settings or Settings()
    if settings.backend is Backend.postgres:
        version = publish_postgres(settings)
    else:
        version = publish_duckdb(settings)
    announce(settings, version)
    return version
