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


class QuantileReturn(BaseModel):
    quantile: int = Field(description="1 is the lowest factor bucket")
    mean_return: float | None = Field(description="mean forward return, demeaned per date")
    se: float | None = Field(description="standard error of the mean")


class EvaluationSummary(BaseModel):
    horizon: int = Field(description="forward-return horizon in sessions")
    dates: int | None = Field(description="dates with an IC")
    ic_mean: float | None = Field(description="mean rank IC")
    ic_std: float | None
    ic_ir: float | None = Field(description="ic_mean / ic_std")
    t_stat: float | None
    t_stat_overlap: float | None = Field(description="t_stat / sqrt(horizon) (overlapping labels)")
    hit_rate: float | None = Field(description="share of dates with rank IC > 0")
    pearson_ic_mean: float | None
    mean_names: float | None
    ic_decay: float | None = Field(description="ic_mean as a share of the shortest horizon's")
    turnover: float | None
    rank_autocorr: float | None
    coverage: float | None
    mean_symbols: float | None
    first_date: date | None
    last_date: date | None
    spread: float | None = Field(description="top minus bottom quantile mean return")
    spread_se: float | None
    quantiles: list[QuantileReturn]


class IcPoint(BaseModel):
    date: date
    horizon: int
    rank_ic: float | None
    pearson_ic: float | None
    n: int | None = Field(description="names in the cross-section")


class SectorEvaluation(BaseModel):
    sector: str
    horizon: int
    dates: int | None
    ic_mean: float | None
    ic_std: float | None
    ic_ir: float | None
    t_stat: float | None
    hit_rate: float | None
    mean_names: float | None


class FactorEvaluation(BaseModel):
    factor: str
    family: str
    direction: int = Field(description="+1 higher is better, -1 lower is better, 0 neutral")
    version: int
    horizons: list[int]
    start: date = Field(description="first date of the IC series window")
    end: date = Field(description="last date of the IC series window")
    count: int = Field(description="summary rows (one per horizon)")
    summary: list[EvaluationSummary]
    ic_count: int
    ic: list[IcPoint]
    sector_count: int
    sectors: list[SectorEvaluation]


class LeaderboardRow(BaseModel):
    rank: int
    factor: str
    family: str | None
    direction: int | None
    score: float | None = Field(description="IC IR signed by direction (|IC IR| when neutral)")
    ic_ir: float | None
    ic_mean: float | None
    t_stat: float | None
    hit_rate: float | None
    spread: float | None
    turnover: float | None
    coverage: float | None
    dates: int | None


class Leaderboard(BaseModel):
    horizon: int
    family: str | None
    version: int
    count: int
    items: list[LeaderboardRow]
