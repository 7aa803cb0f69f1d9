"""The factor catalog a snapshot carries (marts.dim_factor), or the code's registry before one."""

from __future__ import annotations

import polars as pl

from api.errors import ApiError
from api.mart import Snapshot
from factor_models.catalog import catalog_frame

LIST_COLUMNS = ("sources", "inputs", "redundant_with")


def catalog(snapshot: Snapshot | None) -> pl.DataFrame:
    if snapshot is not None and snapshot.has_table("dim_factor"):
        return snapshot.store.cached(snapshot.version, "dim_factor", lambda: snapshot.query(
            "SELECT * FROM {m}.dim_factor ORDER BY factor"))
    return catalog_frame().sort("factor")


def families(snapshot: Snapshot | None) -> dict[str, str]:
    """factor -> family, looked up on every factor-value request (once per version)."""
    def build() -> dict[str, str]:
        frame = catalog(snapshot)
        return dict(zip(frame["factor"].to_list(), frame["family"].to_list(), strict=True))

    if snapshot is None:
        return build()
    return snapshot.store.cached(snapshot.version, "families", build)


def records(frame: pl.DataFrame) -> list[dict]:
    """Catalog rows with the ', '-joined list columns split back into lists."""
    rows = []
    for row in frame.iter_rows(named=True):
        for column in LIST_COLUMNS:
            value = row.get(column)
            if isinstance(value, str):
                row[column] = [v.strip() for v in value.split(",") if v.strip()]
            elif value is None:
                row[column] = []
        rows.append(row)
    return rows


def factor_row(frame: pl.DataFrame, name: str) -> dict:
    """One factor's catalog entry; 404 naming the factor when it is not in the catalog."""
    match = frame.filter(pl.col("factor") == name)
    if match.is_empty():
        raise ApiError(404, "unknown_factor",
                       f"unknown factor {name!r}; GET /v1/factors lists the {frame.height} known",
                       "factor")
    return records(match)[0]
