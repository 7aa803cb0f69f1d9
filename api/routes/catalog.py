"""GET /v1/factors: the catalog, filterable by family and source; one factor's definition."""

from __future__ import annotations

from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Depends, Path, Query

from api.catalog_source import catalog, factor_row, records
from api.deps import (
    BULK_RESPONSES,
    ERROR_RESPONSES,
    FACTOR_PATTERN,
    Format,
    FormatParam,
    StoreDep,
    guard,
    render,
)
from api.schemas import FactorList, FactorOut

Family = Literal["technical", "fundamental", "macro", "cross_source"]  # catalog.FAMILIES
router = APIRouter(prefix="/v1/factors", tags=["catalog"], responses=ERROR_RESPONSES,
                   dependencies=[Depends(guard("catalog"))])


def _current_or_none(store):
    return store.current() if store.latest() is not None else None


@router.get("", response_model=FactorList, responses=BULK_RESPONSES)
def list_factors(
    store: StoreDep,
    family: Annotated[Family | None, Query(description="factor family")] = None,
    source: Annotated[str | None, Query(description="e.g. ibkr, edgar, fred",
                                        max_length=32)] = None,
    format: FormatParam = Format.json,
):
    """The factor catalog (from the published mart, else from the code's registry)."""
    snapshot = _current_or_none(store)
    frame = catalog(snapshot)
    if family:
        frame = frame.filter(pl.col("family") == family)
    if source:
        frame = frame.filter(pl.col("sources").str.split(", ").list.contains(source))
    items = records(frame)
    return render(frame, format, lambda: FactorList(
        count=len(items), version=snapshot.version.version if snapshot else None,
        items=items), "factors")


@router.get("/{factor}", response_model=FactorOut)
def get_factor(store: StoreDep,
               factor: Annotated[str, Path(pattern=FACTOR_PATTERN, max_length=64)]):
    """One factor's definition: formula, unit, direction, lookback, inputs, reference."""
    return factor_row(catalog(_current_or_none(store)), factor)
