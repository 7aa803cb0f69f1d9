"""Factor values: a factor's cross-section on a date; a symbol's history of chosen factors."""

from __future__ import annotations

import re
from datetime import date as Date  # noqa: N812 (the parameter is called `date`)
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.catalog_source import catalog, factor_row, families
from api.deps import (
    BULK_RESPONSES,
    ERROR_RESPONSES,
    FACTOR_PATTERN,
    SYMBOL_PATTERN,
    AsOfParam,
    Format,
    FormatParam,
    IsoDate,
    SettingsDep,
    StoreDep,
    date_range,
    guard,
    knowledge_time,
    render_columns,
    require_table,
    snapshot_for,
    split_list,
)
from api.errors import ApiError
from api.schemas import CrossSection, History

router = APIRouter(prefix="/v1", tags=["factor_values"], responses=ERROR_RESPONSES,
                   dependencies=[Depends(guard("factor_values"))])
STOCK_LEVEL = {"technical", "fundamental", "cross_source"}


def _check_known_after(as_of, day: Date, field: str) -> None:
    known = knowledge_time(as_of)
    if known is not None and day > known.date():
        raise ApiError(422, "after_as_of", f"{field} {day} is after as_of {known.date()}: values "
                       "for it were not known then", field)


@router.get("/factors/{factor}/cross-section", response_model=CrossSection,
            responses=BULK_RESPONSES)
def cross_section(
    store: StoreDep,
    factor: Annotated[str, Path(pattern=FACTOR_PATTERN, max_length=64)],
    date: Annotated[IsoDate | None, Query(description="trading date; default the latest")] = None,
    as_of: AsOfParam = None,
    format: FormatParam = Format.json,
):
    """Every symbol's raw value, z-score, percentile rank and sector-neutral z on one date."""
    snapshot = snapshot_for(store, as_of)
    family = families(snapshot).get(factor) or factor_row(catalog(snapshot), factor)["family"]
    if family not in STOCK_LEVEL:
        raise ApiError(422, "not_stock_level", f"{factor} is a {family} factor with no "
                       "cross-section; use /v1/macro/series", "factor")
    require_table(snapshot, "fct_factor_values")
    if date is None:
        date = snapshot.query("SELECT max(date) AS d FROM {m}.fct_factor_values "
                              "WHERE factor = ?", [factor])["d"][0]
        if date is None:
            raise ApiError(404, "no_values", f"no values for {factor} in version "
                           f"{snapshot.version.version}", "factor")
    _check_known_after(as_of, date, "date")
    columns = snapshot.columns(
        "SELECT symbol, raw, z, rank, sector_z FROM {m}.fct_factor_values "
        "WHERE factor = ? AND date = ? ORDER BY symbol", [factor, date])
    if not columns["symbol"]:
        before = snapshot.query("SELECT max(date) AS d FROM {m}.fct_factor_values "
                                "WHERE factor = ? AND date <= ?", [factor, date])["d"][0]
        hint = f"; the latest earlier date is {before}" if before else ""
        raise ApiError(404, "no_values", f"no values for {factor} on {date}{hint}", "date")
    return render_columns(columns, format, {
        "factor": factor, "date": date.isoformat(), "version": snapshot.version.version,
        "count": len(columns["symbol"])}, f"{factor}-{date}")


@router.get("/symbols/{symbol}/factors", response_model=History, responses=BULK_RESPONSES)
def symbol_history(
    store: StoreDep,
    settings: SettingsDep,
    symbol: Annotated[str, Path(pattern=SYMBOL_PATTERN, max_length=16)],
    factors: Annotated[str | None, Query(description="comma-separated; default every factor",
                                         max_length=2000)] = None,
    start: Annotated[IsoDate | None, Query(description="default: a year before end")] = None,
    end: Annotated[IsoDate | None, Query(description="default: the latest date")] = None,
    as_of: AsOfParam = None,
    format: FormatParam = Format.json,
):
    """One symbol's factor values over a date range."""
    symbol = symbol.upper()
    snapshot = snapshot_for(store, as_of)
    require_table(snapshot, "fct_factor_values")
    wanted = split_list(factors, re.compile(FACTOR_PATTERN).match, "factor", "factors")
    known = families(snapshot)
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ApiError(404, "unknown_factor", f"unknown factor(s): {', '.join(unknown)}",
                       "factors")
    start, end = date_range(start, end, snapshot, settings)
    _check_known_after(as_of, end, "end")
    # factor = ANY(list), not IN (?, ...): DuckDB plans a long IN list as a join.
    factor_filter = "AND factor = ANY(?)" if wanted else ""
    columns = snapshot.columns(
        "SELECT date, factor, raw, z, rank, sector_z FROM {m}.fct_factor_values "
        f"WHERE symbol = ? AND date BETWEEN ? AND ? {factor_filter} ORDER BY date, factor",
        [symbol, start, end, *([wanted] if wanted else [])])
    if not columns["date"] and snapshot.query(
            "SELECT 1 AS x FROM {m}.fct_factor_values WHERE symbol = ? LIMIT 1",
            [symbol]).is_empty():
        raise ApiError(404, "unknown_symbol", f"no factor values for symbol {symbol!r}",
                       "symbol")
    return render_columns(columns, format, {
        "symbol": symbol, "factors": wanted or sorted(set(columns["factor"])),
        "start": start.isoformat(), "end": end.isoformat(), "version": snapshot.version.version,
        "count": len(columns["date"])}, f"{symbol}-factors")
