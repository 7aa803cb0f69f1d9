"""GET /v1/health: warehouse reachable, latest version, data freshness per source."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import StoreDep, guard
from api.schemas import Health, SourceFreshness

router = APIRouter(prefix="/v1/health", tags=["health"], dependencies=[Depends(guard("health"))])


@router.get("", response_model=Health, responses={503: {"model": Health}})
def health(store: StoreDep):
    """200 when the latest version is readable; 503 (same body) when it is not."""
    try:
        snapshot = store.current()
        snapshot.query("SELECT count(*) AS n FROM {m}.mart_versions")
    except Exception as exc:  # health reports the failure instead of raising it
        body = Health(status="degraded", warehouse_reachable=False, latest_version=None,
                      published_at=None, freshness={}, detail=str(getattr(exc, "message", exc)))
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    today = datetime.now(UTC).date()
    freshness = {}
    for source, latest in snapshot.version.freshness.items():
        day = date.fromisoformat(latest) if latest else None
        age = (today - day).days if day else None
        freshness[source] = SourceFreshness(latest=day, age_days=age)
    version = snapshot.version
    return Health(status="ok", warehouse_reachable=True, latest_version=version.version,
                  published_at=version.published_at.replace(tzinfo=UTC),
                  freshness=freshness)
