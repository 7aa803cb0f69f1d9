"""GET /v1/versions: the published mart versions, newest first."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import ERROR_RESPONSES, StoreDep, guard
from api.schemas import VersionList, VersionOut

router = APIRouter(prefix="/v1/versions", tags=["versions"], responses=ERROR_RESPONSES,
                   dependencies=[Depends(guard("versions"))])


@router.get("", response_model=VersionList)
def list_versions(store: StoreDep,
                  limit: Annotated[int, Query(ge=1, le=1000, description="newest first")] = 100):
    """Published versions, with their date range, row counts and whether each is readable."""
    versions = store.versions(store.current())[:limit]
    kept = store.retained_locations()
    items = [VersionOut(version=v.version, published_at=v.published_at.replace(tzinfo=UTC),
                        min_date=v.min_date, max_date=v.max_date, row_counts=v.row_counts,
                        freshness=v.freshness,
                        retained=v.location in kept) for v in versions]
    return VersionList(count=len(items), items=items)
