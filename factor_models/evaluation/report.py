"""One call that evaluates a set of factors, and the leaderboard the API serves."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from factor_models.evaluation.dense import (
    MIN_NAMES,
    Grid,
    Ordered,
    bucket_means,
    bucket_turnover,
    buckets,
    row_corr,
)
from factor_models.evaluation.ic import decay, ic_summary
from factor_models.evaluation.quantiles import QUANTILES

WORKERS = min(2, os.cpu_count() or 1)  # threads evaluating factors at once

IC_SCHEMA = {"date": pl.Date, "factor": pl.String, "horizon": pl.Int16, "rank_ic": pl.Float64,
             "pearson_ic": pl.Float64, "n": pl.Int32}
SECTOR_IC_SCHEMA = {"factor": pl.String, "horizon": pl.Int16, "sector": pl.String,
                    "date": pl.Date, "rank_ic": pl.Float64, "pearson_ic": pl.Float64,
                    "n": pl.Int32}


@dataclass(frozen=True)
class Evaluation:
    """Per-date ICs (fct_factor_ic), the summary per factor and horizon (fct_factor_eval) and
    the summary per sector (fct_factor_eval_sector)."""

    ic: pl.DataFrame
    summary: pl.DataFrame
    sector: pl.DataFrame


class Labels:
    """Label grids per horizon, sorted once for every factor evaluated against them."""

    def __init__(self, grid: Grid, labels: pl.DataFrame) -> None:
        self.grid = grid
        self.horizons = sorted(labels["horizon"].unique().to_list())
        self.values = {h: grid.dense(labels.filter(pl.col("horizon") == h), "forward_return")
                       for h in self.horizons}
        self.present = {h: np.isfinite(v) for h, v in self.values.items()}
        self.ordered = {h: Ordered(v) for h, v in self.values.items()}
        self.own = {h: self.ordered[h].subset(self.present[h]) for h in self.horizons}
        self.by_sector = {}
        for h, v in self.values.items():
            for s, a, b in grid.sector_bounds:
                ordered = Ordered(v[:, a:b])
                self.by_sector[(h, s)] = (ordered, ordered.subset(self.present[h][:, a:b]))

    def ranks(self, h: int, mask: np.ndarray, sector: tuple[str, int, int] | None = None
              ) -> np.ndarray:
        """Ranks of horizon ``h``'s labels within ``mask`` (all names, or one sector's)."""
        if sector is None:
            return self.ordered[h].subset_like(mask, self.present[h], self.own[h]).ranks
        name, a, b = sector
        ordered, own = self.by_sector[(h, name)]
        return ordered.subset_like(mask, self.present[h][:, a:b], own).ranks


def _mean_se(series: np.ndarray) -> tuple[float, float, int]:
    kept = series[np.isfinite(series)]
    if kept.size == 0:
        return np.nan, np.nan, 0
    se = kept.std(ddof=1) / np.sqrt(kept.size) if kept.size > 1 else np.nan
    return float(kept.mean()), float(se), int(kept.size)


def _nanmean(values: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(values))


def _frame_ic(name: str, grid: Grid, parts: list, sector: bool) -> pl.DataFrame:
    frames = []
    for part in parts:
        if sector:
            h, sector_name, kept, rank_ic, n = part
            extra = {"sector": sector_name}
        else:
            h, kept, rank_ic, pearson_ic, n = part
            extra = {"pearson_ic": pearson_ic}
        frames.append(pl.DataFrame({
            "factor": name, "horizon": h, "date": grid.dates.gather(kept), "rank_ic": rank_ic,
            "n": n, **extra}, strict=False))
    schema = SECTOR_IC_SCHEMA if sector else IC_SCHEMA
    if not frames:
        return pl.DataFrame(schema=schema)
    out = pl.concat(frames, how="diagonal_relaxed")
    if sector:
        out = out.with_columns(pearson_ic=pl.lit(None, pl.Float64))
    return out.select(list(schema)).cast(schema).with_columns(
        pl.col("rank_ic", "pearson_ic").fill_nan(None))


def _evaluate_factor(name: str, frame: pl.DataFrame, labels: Labels, universe_size: np.ndarray,
                     pearson_on: str, quantiles: int
                     ) -> tuple[list[dict], pl.DataFrame, pl.DataFrame]:
    """Summary rows (one per horizon), per-date ICs and per-date sector ICs of one factor."""
    grid = labels.grid
    value = grid.dense(frame, "value")
    pearson_values = value if pearson_on == "value" else grid.dense(frame, pearson_on)
    present = np.isfinite(value)
    ordered = Ordered(value)
    own = ordered.subset(present)
    own_buckets = buckets(value, present, own.quantile_edges(quantiles))
    turnover = bucket_turnover(own_buckets, quantiles)[:, [0, quantiles - 1]]
    autocorr, _ = row_corr(own.ranks[1:], own.ranks[:-1], present[1:] & present[:-1])
    symbols = present.sum(axis=1)
    dates = np.flatnonzero(symbols > 0)
    common = {
        "turnover": _nanmean(turnover),
        "rank_autocorr": _nanmean(autocorr),
        "coverage": _nanmean(symbols[dates] / np.maximum(universe_size[dates], 1)),
        "mean_symbols": float(symbols[dates].mean()) if dates.size else None,
        "first_date": grid.dates[int(dates[0])] if dates.size else None,
        "last_date": grid.dates[int(dates[-1])] if dates.size else None,
    }
    sectors = {}
    for sector, a, b in grid.sector_bounds:
        sector_ordered = Ordered(value[:, a:b])
        sectors[sector] = (sector_ordered, sector_ordered.subset(present[:, a:b]))
    rows, ic_parts, sector_parts = [], [], []
    for h in labels.horizons:
        label = labels.values[h]
        mask = present & labels.present[h]
        ranked = ordered.subset_like(mask, present, own)
        rank_ic, n = row_corr(ranked.ranks, labels.ranks(h, mask), mask)
        pearson_ic, _ = row_corr(pearson_values, label, mask & np.isfinite(pearson_values))
        kept = np.flatnonzero(n >= MIN_NAMES)
        ic_parts.append((h, kept, rank_ic[kept], pearson_ic[kept], n[kept]))
        means = bucket_means(label, buckets(value, mask, ranked.quantile_edges(quantiles)),
                             quantiles)
        row = {"factor": name, "horizon": h, **common}
        for q in range(quantiles):
            row[f"q{q + 1}_return"], row[f"q{q + 1}_return_se"], _ = _mean_se(means[:, q])
        row["spread"], row["spread_se"], _ = _mean_se(means[:, -1] - means[:, 0])
        rows.append(row)
        for bounds in grid.sector_bounds:
            sector, a, b = bounds
            inside = mask[:, a:b]
            sector_ordered, sector_own = sectors[sector]
            s_ranks = sector_ordered.subset_like(inside, present[:, a:b], sector_own).ranks
            s_ic, s_n = row_corr(s_ranks, labels.ranks(h, inside, bounds), inside)
            s_kept = np.flatnonzero(s_n >= MIN_NAMES)
            sector_parts.append((h, sector, s_kept, s_ic[s_kept], s_n[s_kept]))
    return rows, _frame_ic(name, grid, ic_parts, False), _frame_ic(name, grid, sector_parts,
                                                                   True)


def evaluate(values: pl.DataFrame, labels: pl.DataFrame | Labels, universe: pl.DataFrame,
             securities: pl.DataFrame | None = None, directions: dict[str, int] | None = None,
             quantiles: int = QUANTILES, workers: int = WORKERS) -> Evaluation:
    """Evaluate every factor in ``values`` (date, symbol, factor, value[, z]) against the
    labels (``forward_returns`` output, or a ``Labels`` built once and reused across calls).

    Rank IC, quantiles, turnover and autocorrelation use ``value``; the Pearson IC uses ``z``
    (the winsorised score, so one outlier cannot dominate a date) when present. ``universe``
    (date, symbol: every name with a bar) gives the session calendar and the coverage
    denominator; ``securities`` (symbol, sector) the sectors. Quantile returns are demeaned by
    the date's mean label (alphalens' default); turnover is the mean of the top and bottom
    buckets'; rank autocorrelation and coverage are means over dates.
    """
    missing = [c for c in ("date", "symbol", "factor", "value") if c not in values.columns]
    if missing:
        raise ValueError(f"values: missing column(s) {missing}; expected date, symbol, factor, "
                         "value")
    if not isinstance(labels, Labels):
        labels = Labels(Grid.build(universe, securities), labels)
    grid = labels.grid
    universe_size = (
        pl.DataFrame({"date": grid.dates})
        .join(universe.group_by("date").agg(n=pl.col("symbol").n_unique()), on="date",
              how="left")["n"].fill_null(0).to_numpy()
    )
    pearson_on = "z" if "z" in values.columns else "value"
    rows, ics, sector_ics = [], [], []
    groups = values.group_by("factor", maintain_order=True)
    # numpy releases the GIL in its sorts and reductions: factors run side by side on threads.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for factor_rows, ic, sector_ic in pool.map(
                lambda group: _evaluate_factor(group[0][0], group[1], labels, universe_size,
                                               pearson_on, quantiles), groups):
            rows += factor_rows
            ics.append(ic)
            sector_ics.append(sector_ic)
    ic = pl.concat(ics) if ics else pl.DataFrame(schema=IC_SCHEMA)
    sector_ic = pl.concat(sector_ics) if sector_ics else pl.DataFrame(schema=SECTOR_IC_SCHEMA)
    summary = ic_summary(ic)
    direction = pl.DataFrame(
        {"factor": list((directions or {}).keys()),
         "direction": list((directions or {}).values())},
        schema={"factor": pl.String, "direction": pl.Int8})
    stats = pl.DataFrame(rows).with_columns(pl.col("horizon").cast(pl.Int16))
    # Every factor keeps its rows, even with no date of enough names for an IC.
    full = (
        stats.select("factor", "horizon")
        .join(summary, on=["factor", "horizon"], how="left")
        .join(decay(summary).select("factor", "horizon", ic_decay="ic_relative"),
              on=["factor", "horizon"], how="left")
        .join(stats, on=["factor", "horizon"], how="left")
        .join(direction, on="factor", how="left")
        .with_columns(pl.col(pl.Float64).fill_nan(None))
    )
    sector = ic_summary(sector_ic, by=("factor", "horizon", "sector"))
    return Evaluation(ic=ic.select(list(IC_SCHEMA)), summary=full.sort("factor", "horizon"),
                      sector=sector)


def leaderboard(eval_frame: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """Factors ranked for one horizon by IC IR signed by the catalog direction (a factor that
    works the way the catalog says scores high; a neutral factor scores by |IR|).

    ``eval_frame`` has fct_factor_eval's columns. Returns ``rank`` first, best factor on top.
    """
    rows = eval_frame.filter(pl.col("horizon") == horizon)
    if rows.is_empty():
        known = sorted(eval_frame["horizon"].unique().to_list())
        raise ValueError(f"no evaluation for horizon {horizon}; known horizons: {known}")
    sign = pl.col("direction").fill_null(0).cast(pl.Float64)
    score = pl.when(sign != 0).then(pl.col("ic_ir") * sign).otherwise(pl.col("ic_ir").abs())
    return (
        rows.with_columns(score=score)
        .sort(["score", "factor"], descending=[True, False], nulls_last=True)
        .with_row_index("rank", offset=1)
    )
