"""Macro factor series and the regime history."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import (
    BULK_RESPONSES,
    ERROR_RESPONSES,
    FACTOR_PATTERN,
    AsOfParam,
    Format,
    FormatParam,
    IsoDate,
    SettingsDep,
    StoreDep,
    date_range,
    guard,
    knowledge_time,
    render,
    require_table,
    snapshot_for,
    split_list,
    without_nan,
)
from api.errors import ApiError
from api.schemas import MacroSeries, RegimeHistory

router = APIRouter(prefix="/v1/macro", tags=["macro"], responses=ERROR_RESPONSES,
                   dependencies=[Depends(guard("macro"))])

StartParam = Annotated[IsoDate | None, Query(description="default: a year before end")]
EndParam = Annotated[IsoDate | None, Query(description="default: the latest date")]


def _window(start, end, as_of, snapshot, settings):
    start, end = date_range(start, end, snapshot, settings)
    known = knowledge_time(as_of)
    if known is not None and end > known.date():
        raise ApiError(422, "after_as_of", f"end {end} is after as_of {known.date()}", "end")
    return start, end


@router.get("/series", response_model=MacroSeries, responses=BULK_RESPONSES)
def macro_series(store: StoreDep, settings: SettingsDep,
                 factors: Annotated[str | None, Query(description="comma-separated; default all",
                                                      max_length=2000)] = None,
                 start: StartParam = None, end: EndParam = None, as_of: AsOfParam = None,
                 format: FormatParam = Format.json):
    """Macro-family factor values per trading date."""
    snapshot = snapshot_for(store, as_of)
    require_table(snapshot, "fct_macro_series")
    wanted = split_list(factors, re.compile(FACTOR_PATTERN).match, "factor", "factors")
    known = set(snapshot.query("SELECT DISTINCT factor FROM {m}.fct_macro_series")["factor"])
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ApiError(404, "unknown_factor", f"unknown macro factor(s): {', '.join(unknown)}; "
                       f"known: {', '.join(sorted(known))}", "factors")
    start, end = _window(start, end, as_of, snapshot, settings)
    factor_filter = f"AND factor IN ({', '.join('?' * len(wanted))})" if wanted else ""
    frame = without_nan(snapshot.query(
        "SELECT date, factor, value FROM {m}.fct_macro_series "
        f"WHERE date BETWEEN ? AND ? {factor_filter} ORDER BY date, factor",
        [start, end, *wanted]))
    return render(frame, format, lambda: MacroSeries(
        factors=wanted or sorted(known), start=start, end=end,
        version=snapshot.version.version, count=frame.height, values=frame.to_dicts()),
        "macro-series")


@router.get("/regimes", response_model=RegimeHistory, responses=BULK_RESPONSES)
def regimes(store: StoreDep, settings: SettingsDep, start: StartParam = None,
            end: EndParam = None, as_of: AsOfParam = None, format: FormatParam = Format.json):
    """The macro regime per date, with the signals behind it."""
    snapshot = snapshot_for(store, as_of)
    require_table(snapshot, "fct_macro_regime")
    start, end = _window(start, end, as_of, snapshot, settings)
    frame = without_nan(snapshot.query(
        "SELECT * FROM {m}.fct_macro_regime WHERE date BETWEEN ? AND ? ORDER BY date",
        [start, end]))
    return render(frame, format, lambda: RegimeHistory(
        start=start, end=end, version=snapshot.version.version, count=frame.height,
        values=frame.to_dicts()), "macro-regimes")
