"""One call that evaluates a set of factors, and the leaderboard the API serves."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from factor_models.evaluation.dense import MIN_NAMES, Grid, Labels, sort_order
from factor_models.evaluation.ic import decay, ic_summary
from factor_models.evaluation.kernel import evaluate_rows
from factor_models.evaluation.quantiles import QUANTILES

WORKERS = min(2, os.cpu_count() or 1)  # threads evaluating factors at once

IC_SCHEMA = {"date": pl.Date, "factor": pl.String, "horizon": pl.Int16, "rank_ic": pl.Float64,
             "pearson_ic": pl.Float64, "n": pl.Int32}
SECTOR_IC_SCHEMA = {"factor": pl.String, "horizon": pl.Int16, "sector": pl.String,
                    "date": pl.Date, "rank_ic": pl.Float64, "pearson_ic": pl.Float64,
                    "n": pl.Int32}
SECTOR_KEYS = ("factor", "horizon", "sector")


@dataclass(frozen=True)
class Evaluation:
    """Per-date ICs (fct_factor_ic), the summary per factor and horizon (fct_factor_eval) and
    the summary per sector (fct_factor_eval_sector)."""

    ic: pl.DataFrame
    summary: pl.DataFrame
    sector: pl.DataFrame


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


class FactorStats:
    """One factor's per-date statistics on the labels' grid, filled a block of dates at a time
    (``add``) and summarised at the end (``result``)."""

    def __init__(self, name: str, labels: Labels, quantiles: int = QUANTILES) -> None:
        self.name, self.labels, self.quantiles = name, labels, quantiles
        horizons, (dates, _) = len(labels.horizons), labels.grid.shape
        sectors = len(labels.grid.sectors)
        self.rank_ic = np.full((horizons, dates), np.nan)
        self.pearson_ic = np.full((horizons, dates), np.nan)
        self.names = np.zeros((horizons, dates), np.int64)
        self.quantile_means = np.full((horizons, dates, quantiles), np.nan)
        self.turnover = np.full((dates, 2), np.nan)  # bottom and top buckets
        self.autocorr = np.full(dates, np.nan)
        self.symbols = np.zeros(dates, np.int64)
        self.sector_ic = np.full((horizons, sectors, dates), np.nan)
        self.sector_names = np.zeros((horizons, sectors, dates), np.int64)

    def add(self, values: np.ndarray, pearson: np.ndarray, base: int, seeded: bool) -> None:
        """The statistics of grid rows ``base ..`` from the factor's ``values`` on them (and
        ``pearson``, the values its Pearson IC uses). ``seeded``: row 0 is the row before the
        block, there only to give turnover and autocorrelation their previous date."""
        labels = self.labels
        evaluate_rows(values, pearson, sort_order(values), base, int(seeded), labels.values,
                      labels.order, labels.count, labels.ranks, labels.sector_ranks,
                      labels.grid.sector_of,
                      len(labels.grid.sectors), self.quantiles, self.rank_ic, self.pearson_ic,
                      self.names, self.quantile_means, self.turnover, self.autocorr,
                      self.symbols, self.sector_ic, self.sector_names)

    def result(self, universe_size: np.ndarray) -> tuple[list[dict], pl.DataFrame,
                                                         pl.DataFrame]:
        """Summary rows (one per horizon), per-date ICs and the per-sector IC summary."""
        grid, horizons = self.labels.grid, self.labels.horizons
        symbols = self.symbols
        dates = np.flatnonzero(symbols > 0)
        common = {
            "turnover": _nanmean(self.turnover),
            "rank_autocorr": _nanmean(self.autocorr),
            "coverage": _nanmean(symbols[dates] / np.maximum(universe_size[dates], 1)),
            "mean_symbols": float(symbols[dates].mean()) if dates.size else None,
            "first_date": grid.dates[int(dates[0])] if dates.size else None,
            "last_date": grid.dates[int(dates[-1])] if dates.size else None,
        }
        rows = []
        for i, h in enumerate(horizons):
            means = self.quantile_means[i]
            row = {"factor": self.name, "horizon": h, **common}
            for q in range(self.quantiles):
                row[f"q{q + 1}_return"], row[f"q{q + 1}_return_se"], _ = _mean_se(means[:, q])
            row["spread"], row["spread_se"], _ = _mean_se(means[:, -1] - means[:, 0])
            rows.append(row)
        horizon = np.array(horizons, np.int16)
        kept = self.names >= MIN_NAMES  # (horizon, date)
        h, t = np.nonzero(kept)
        ic = pl.DataFrame({
            "date": grid.dates.gather(t), "factor": pl.repeat(self.name, t.size, eager=True),
            "horizon": horizon[h], "rank_ic": self.rank_ic[kept],
            "pearson_ic": self.pearson_ic[kept], "n": self.names[kept]})
        kept = self.sector_names >= MIN_NAMES  # (horizon, sector, date)
        h, s, t = np.nonzero(kept)
        sector = pl.DataFrame({
            "factor": pl.repeat(self.name, t.size, eager=True), "horizon": horizon[h],
            "sector": pl.Series(grid.sectors, dtype=pl.String).gather(s),
            "date": grid.dates.gather(t), "rank_ic": self.sector_ic[kept],
            "pearson_ic": pl.repeat(None, t.size, dtype=pl.Float64, eager=True),
            "n": self.sector_names[kept]})
        return rows, _ic_frame(ic, IC_SCHEMA), ic_summary(_ic_frame(sector, SECTOR_IC_SCHEMA),
                                                          by=SECTOR_KEYS)


def _ic_frame(frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    return frame.select(list(schema)).cast(schema).with_columns(
        pl.col("rank_ic", "pearson_ic").fill_nan(None))


def universe_sizes(grid: Grid, universe: pl.DataFrame) -> np.ndarray:
    """Names with a bar on each grid date (the coverage denominator)."""
    return (
        pl.DataFrame({"date": grid.dates})
        .join(universe.group_by("date").agg(n=pl.col("symbol").n_unique()), on="date",
              how="left")["n"].fill_null(0).to_numpy()
    )


def summarise(results: list[tuple[list[dict], pl.DataFrame, pl.DataFrame]],
              directions: dict[str, int] | None) -> Evaluation:
    """One Evaluation from every factor's ``FactorStats.result``."""
    rows = [row for factor_rows, _, _ in results for row in factor_rows]
    ic = pl.concat([r[1] for r in results]) if results else pl.DataFrame(schema=IC_SCHEMA)
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
    sector = (pl.concat([r[2] for r in results]) if results
              else ic_summary(pl.DataFrame(schema=SECTOR_IC_SCHEMA), by=SECTOR_KEYS))
    sector = sector.sort(SECTOR_KEYS)
    return Evaluation(ic=ic.select(list(IC_SCHEMA)), summary=full.sort("factor", "horizon"),
                      sector=sector)


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
        labels = Labels.from_frame(Grid.build(universe, securities), labels)
    grid = labels.grid
    universe_size = universe_sizes(grid, universe)
    pearson_on = "z" if "z" in values.columns else "value"

    def one(group: tuple[tuple[str], pl.DataFrame]):
        (name,), frame = group
        stats = FactorStats(name, labels, quantiles)
        value = grid.dense(frame, "value")
        stats.add(value, value if pearson_on == "value" else grid.dense(frame, pearson_on), 0,
                  seeded=False)
        return stats.result(universe_size)

    # The kernel releases the GIL: factors run side by side on threads.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, values.group_by("factor", maintain_order=True)))
    return summarise(results, directions)


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
