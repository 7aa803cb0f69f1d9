"""Explicit response schemas; lists are wrapped with a count and the mart version they came from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    status: int
    code: str = Field(description="stable machine-readable reason, e.g. unknown_factor")
    message: str = Field(description="what was wrong, naming the parameter or value")
    field: str | None = Field(default=None, description="the offending parameter, if one")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class FactorOut(BaseModel):
    factor: str
    family: str
    sources: list[str]
    description: str
    formula: str
    unit: str
    direction: int = Field(description="+1 higher is better, -1 lower is better, 0 neutral")
    higher_is_better: bool | None = None
    lookback_days: int | None = None
    cadence: str | None = None
    reference: str | None = None
    inputs: list[str] = Field(default_factory=list)
    compute: str | None = None
    redundant_with: list[str] = Field(default_factory=list)


class FactorList(BaseModel):
    count: int
    version: int | None = Field(description="mart version the catalog came from (None: code)")
    items: list[FactorOut]


class CrossSectionRow(BaseModel):
    symbol: str
    raw: float | None
    z: float | None
    rank: float | None
    sector_z: float | None


class CrossSection(BaseModel):
    factor: str
    date: date
    version: int
    count: int
    values: list[CrossSectionRow]


class HistoryRow(BaseModel):
    date: date
    factor: str
    raw: float | None
    z: float | None
    rank: float | None
    sector_z: float | None


class History(BaseModel):
    symbol: str
    factors: list[str]
    start: date
    end: date
    version: int
    count: int
    values: list[HistoryRow]


class MacroRow(BaseModel):
    date: date
    factor: str
    value: float | None


class MacroSeries(BaseModel):
    factors: list[str]
    start: date
    end: date
    version: int
    count: int
    values: list[MacroRow]


class RegimeHistory(BaseModel):
    start: date
    end: date
    version: int
    count: int
    values: list[dict[str, Any]] = Field(description="date, regime and the signals behind it")


class VersionOut(BaseModel):
    version: int
    published_at: datetime
    min_date: date | None
    max_date: date | None
    row_counts: dict[str, int]
    freshness: dict[str, str | None]
    retained: bool = Field(description="still readable (reachable with as_of)")


class VersionList(BaseModel):
    count: int
    items: list[VersionOut]


class SourceFreshness(BaseModel):
    latest: date | None
    age_days: int | None


class Health(BaseModel):
    status: str = Field(description="ok, or degraded when the warehouse or a version is missing")
    warehouse_reachable: bool
    latest_version: int | None
    published_at: datetime | None
    freshness: dict[str, SourceFreshness]
    detail: str | None = None
