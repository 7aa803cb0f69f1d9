"""Shared dependencies: settings, the mart store, route guards, common parameters, formats."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated

import orjson
import polars as pl
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator

from api.errors import ApiError
from api.mart import MartStore, Snapshot
from api.security import token_from
from factor_mart.settings import Settings

FACTOR_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
SYMBOL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,15}$"


class Format(StrEnum):
    json = "json"
    csv = "csv"
    parquet = "parquet"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> MartStore:
    return request.app.state.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[MartStore, Depends(get_store)]
FormatParam = Annotated[Format, Query(description="json (default), csv or parquet")]
def _iso(value: object) -> object:
    """Only ISO 8601 text (pydantic alone would read "0" as a Unix timestamp)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].+)?", value):
        raise ValueError("expected an ISO 8601 date (YYYY-MM-DD) or date-time")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso)]
AsOfParam = Annotated[Annotated[datetime | date, BeforeValidator(_iso)] | None, Query(
    description="knowledge time (UTC): answer from the mart version that was current then; "
                "a bare date means the end of that day")]


def guard(group: str) -> Callable[[Request], None]:
    """A dependency that authenticates (when `group` is not public) and rate-limits."""

    def check(request: Request) -> None:
        state = request.app.state
        client = request.client.host if request.client else "-"
        token = token_from(request.headers, request.query_params)
        principal = state.auth.authorise(group, token, client)
        request.scope.setdefault("state", {})["principal"] = principal.id
        state.limiter.check(principal)

    return check


def knowledge_time(as_of: datetime | date | None) -> datetime | None:
    """`as_of` as naive UTC; a date means the end of that day."""
    if as_of is None:
        return None
    if not isinstance(as_of, datetime):
        return datetime.combine(as_of, time.max)
    if as_of.tzinfo is not None:
        return as_of.astimezone(UTC).replace(tzinfo=None)
    return as_of


def snapshot_for(store: MartStore, as_of: datetime | date | None) -> Snapshot:
    return store.as_of(knowledge_time(as_of))


def date_range(start: date | None, end: date | None, snapshot: Snapshot, settings: Settings,
               default_days: int = 365) -> tuple[date, date]:
    """A checked [start, end] window; defaults end at the version's last date."""
    end = end or snapshot.version.max_date or date.today()
    start = start or end - timedelta(days=default_days)
    if start > end:
        raise ApiError(422, "reversed_range", f"start {start} is after end {end}", "start")
    if (end - start).days > settings.api_max_range_days:
        raise ApiError(422, "range_too_large",
                       f"{start}..{end} spans {(end - start).days} days; the limit is "
                       f"{settings.api_max_range_days}", "end")
    return start, end


def split_list(value: str | None, pattern_check: Callable[[str], bool], what: str,
               field: str, limit: int = 100) -> list[str]:
    """A comma-separated parameter as a list, each item checked."""
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if len(items) > limit:
        raise ApiError(422, "too_many_values", f"at most {limit} {what}s per request", field)
    bad = [v for v in items if not pattern_check(v)]
    if bad:
        raise ApiError(422, "invalid_parameter", f"malformed {what} name(s): {bad}", field)
    return list(dict.fromkeys(items))


def render(frame: pl.DataFrame, fmt: Format, body: Callable[[], object], filename: str) -> object:
    """JSON (the schema'd body), or the rows as CSV / Parquet for bulk reads."""
    if fmt is Format.json:
        return body()
    buffer = io.BytesIO()
    if fmt is Format.csv:
        lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
        frame.with_columns(pl.col(lists).list.join(", ")).write_csv(buffer)
        media = "text/csv"
    else:
        frame.write_parquet(buffer)
        media = "application/vnd.apache.parquet"
    return Response(buffer.getvalue(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt.value}"'})


def render_columns(columns: dict[str, list], fmt: Format, header: dict, filename: str,
                   key: str = "values") -> Response:
    """`header` plus the rows under `key` as JSON (NaN as null), or CSV / Parquet: the rows
    go from the query's column lists to JSON in one orjson call, with no DataFrame."""
    if fmt is not Format.json:
        return render(without_nan(pl.DataFrame(columns, strict=False)), fmt, lambda: None,
                      filename)
    names = list(columns)
    rows = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    return Response(orjson.dumps(header | {key: rows}), media_type="application/json")


BULK_RESPONSES = {200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
                        "description": "JSON by default; CSV or Parquet with format="}}


def _error(description: str) -> dict:
    from api.schemas import ErrorResponse

    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES = {
    401: _error("missing, unknown or revoked credentials"),
    404: _error("unknown factor, symbol or date"),
    410: _error("the version current at as_of is no longer retained"),
    422: _error("malformed parameter, reversed or too large range, unknown format"),
    429: _error("rate limited; see Retry-After"),
    503: _error("no mart version published yet"),
}


def without_nan(frame: pl.DataFrame) -> pl.DataFrame:
    """NaN is not JSON: float NaNs become nulls."""
    floats = [c for c, t in frame.schema.items() if t in (pl.Float32, pl.Float64)]
    return frame.with_columns(pl.col(floats).fill_nan(None)) if floats else frame


def require_table(snapshot: Snapshot, table: str) -> None:
    if not snapshot.has_table(table):
        raise ApiError(503, "table_not_published",
                       f"mart version {snapshot.version.version} has no {table} table yet")
