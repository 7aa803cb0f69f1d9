"""Factor evaluation: one factor's IC summary, IC series and sectors; the factor leaderboard."""

from __future__ import annotations

import re
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Path, Query

from api.catalog_source import catalog, factor_row
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
    without_nan,
)
from api.errors import ApiError
from api.mart import Snapshot
from api.routes.catalog import Family
from api.schemas import ErrorResponse, FactorEvaluation, Leaderboard, LeaderboardRow
from factor_models.evaluation import leaderboard as rank_factors

RESPONSES = {**ERROR_RESPONSES,
             400: {"model": ErrorResponse, "description": "a horizon with no evaluation"}}
router = APIRouter(prefix="/v1", tags=["evaluation"], responses=RESPONSES,
                   dependencies=[Depends(guard("evaluation"))])

QUANTILE_COLUMN = re.compile(r"^q(\d+)_return$")
SECTOR_COLUMNS = ("sector", "horizon", "dates", "ic_mean", "ic_std", "ic_ir", "t_stat",
                  "hit_rate", "mean_names")
LEADERBOARD_COLUMNS = list(LeaderboardRow.model_fields)
HorizonParam = Annotated[int | None, Query(description="forward-return horizon in sessions "
                                                       "(e.g. 1, 5, 21); default every one")]


def _evaluations(snapshot: Snapshot) -> pl.DataFrame:
    """fct_factor_eval of the snapshot (small: one row per factor and horizon), read once."""
    require_table(snapshot, "fct_factor_eval")
    return snapshot.store.cached(snapshot.version, "fct_factor_eval", lambda: without_nan(
        snapshot.query("SELECT * FROM {m}.fct_factor_eval ORDER BY factor, horizon")))


def _check_horizon(horizon: int | None, known: list[int], what: str) -> list[int]:
    if horizon is None:
        return known
    if horizon not in known:
        raise ApiError(400, "unknown_horizon", f"no evaluation at horizon {horizon} for {what}; "
                       f"known horizons: {', '.join(map(str, known))}", "horizon")
    return [horizon]


def _summary(rows: pl.DataFrame) -> list[dict]:
    """Summary rows with the q<i>_return / q<i>_return_se columns gathered into `quantiles`."""
    quantiles = sorted(int(m.group(1)) for c in rows.columns if (m := QUANTILE_COLUMN.match(c)))
    out = []
    for row in rows.iter_rows(named=True):
        row["quantiles"] = [{"quantile": q, "mean_return": row.get(f"q{q}_return"),
                             "se": row.get(f"q{q}_return_se")} for q in quantiles]
        out.append(row)
    return out


def _ic_window(snapshot, settings, factor, horizons, start, end, as_of):
    """The IC series window: default the year up to the factor's last IC date."""
    marks = ", ".join("?" * len(horizons))
    last = snapshot.query(f"SELECT max(date) AS d FROM {{m}}.fct_factor_ic WHERE factor = ? "
                          f"AND horizon IN ({marks})", [factor, *horizons])["d"][0]
    start, end = date_range(start, end or last, snapshot, settings)
    known = knowledge_time(as_of)
    if known is not None and end > known.date():
        raise ApiError(422, "after_as_of", f"end {end} is after as_of {known.date()}", "end")
    return start, end


@router.get("/factors/{factor}/evaluation", response_model=FactorEvaluation)
def factor_evaluation(
    store: StoreDep,
    settings: SettingsDep,
    factor: Annotated[str, Path(pattern=FACTOR_PATTERN, max_length=64)],
    horizon: HorizonParam = None,
    start: Annotated[IsoDate | None, Query(description="IC series start; default a year "
                                                       "before end")] = None,
    end: Annotated[IsoDate | None, Query(description="IC series end; default the factor's "
                                                     "last IC date")] = None,
    as_of: AsOfParam = None,
):
    """A factor's evaluation per horizon, its daily IC series and its IC within each sector."""
    snapshot = snapshot_for(store, as_of)
    entry = factor_row(catalog(snapshot), factor)
    rows = _evaluations(snapshot).filter(pl.col("factor") == factor)
    if rows.is_empty():
        why = (f"{entry['family']} factors are not evaluated against stock returns"
               if entry["family"] == "macro" else "the evaluation job has not covered it yet")
        raise ApiError(404, "no_evaluation", f"{factor} has no evaluation in mart version "
                       f"{snapshot.version.version}: {why}", "factor")
    horizons = _check_horizon(horizon, sorted(rows["horizon"].to_list()), factor)
    rows = rows.filter(pl.col("horizon").is_in(horizons))
    require_table(snapshot, "fct_factor_ic")
    start, end = _ic_window(snapshot, settings, factor, horizons, start, end, as_of)
    marks = ", ".join("?" * len(horizons))
    ic = without_nan(snapshot.query(
        "SELECT date, horizon, rank_ic, pearson_ic, n FROM {m}.fct_factor_ic WHERE factor = ? "
        f"AND horizon IN ({marks}) AND date BETWEEN ? AND ? ORDER BY horizon, date",
        [factor, *horizons, start, end]))
    sectors = pl.DataFrame()
    if snapshot.has_table("fct_factor_eval_sector"):
        sectors = without_nan(snapshot.query(
            f"SELECT {', '.join(SECTOR_COLUMNS)} FROM {{m}}.fct_factor_eval_sector "
            f"WHERE factor = ? AND horizon IN ({marks}) ORDER BY horizon, sector",
            [factor, *horizons]))
    return FactorEvaluation(
        factor=factor, family=entry["family"], direction=entry["direction"],
        version=snapshot.version.version, horizons=horizons, start=start, end=end,
        count=rows.height, summary=_summary(rows), ic_count=ic.height, ic=ic.to_dicts(),
        sector_count=sectors.height, sectors=sectors.to_dicts())


@router.get("/evaluation/leaderboard", response_model=Leaderboard, responses=BULK_RESPONSES)
def evaluation_leaderboard(
    store: StoreDep,
    horizon: Annotated[int, Query(description="forward-return horizon in sessions")] = 21,
    family: Annotated[Family | None, Query(description="only this factor family; ranks are "
                                                       "within it")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="top N; default all")] = None,
    as_of: AsOfParam = None,
    format: FormatParam = Format.json,
):
    """Evaluated factors ranked by IC IR signed by their catalog direction, best first."""
    snapshot = snapshot_for(store, as_of)
    evaluations = _evaluations(snapshot)
    _check_horizon(horizon, sorted(evaluations["horizon"].unique().to_list()), "any factor")
    directions = catalog(snapshot).select(
        "factor", "family", pl.col("direction").cast(pl.Int16).alias("catalog_direction"))
    rows = (
        evaluations.join(directions, on="factor", how="left")
        .with_columns(direction=pl.coalesce("catalog_direction", "direction"))
        .filter(pl.col("horizon") == horizon)
    )
    if family:
        rows = rows.filter(pl.col("family") == family)
    frame = (rank_factors(rows, horizon) if not rows.is_empty()
             else rows.with_columns(score=pl.lit(None, pl.Float64)).with_row_index("rank"))
    frame = frame.head(limit) if limit else frame
    frame = frame.select(LEADERBOARD_COLUMNS)
    return render(frame, format, lambda: Leaderboard(
        horizon=horizon, family=family, version=snapshot.version.version, count=frame.height,
        items=frame.to_dicts()), f"leaderboard-{horizon}d")
