"""Coverage per factor and date, and redundancy between factors (mean rank correlation)."""

from __future__ import annotations

import numpy as np
import polars as pl

REDUNDANCY_THRESHOLD = 0.95
MIN_PAIRS = 5  # fewer names with both factors on a date: that date's correlation is not used

COVERAGE_SCHEMA = {"date": pl.Date, "factor": pl.String, "symbols": pl.UInt32,
                   "universe": pl.UInt32, "coverage": pl.Float64}
REDUNDANCY_SCHEMA = {"factor": pl.String, "redundant_with": pl.String,
                     "mean_rank_corr": pl.Float64}


def coverage(values: pl.DataFrame, bars: pl.DataFrame, factors: list[str]) -> pl.DataFrame:
    """For every date with bars and every factor: symbols with a value, universe size (symbols
    with a bar that date) and their ratio; a factor with no value on a date gets 0."""
    universe = bars.group_by("date").agg(universe=pl.col("symbol").n_unique())
    counted = values.group_by("date", "factor").agg(symbols=pl.col("symbol").n_unique())
    grid = universe.join(pl.DataFrame({"factor": factors}, schema={"factor": pl.String}),
                         how="cross")
    return (
        grid.join(counted, on=["date", "factor"], how="left")
        .with_columns(pl.col("symbols").fill_null(0))
        .select(pl.col(c).cast(t) for c, t in COVERAGE_SCHEMA.items() if c != "coverage")
        .with_columns(coverage=pl.col("symbols") / pl.col("universe"))
        .sort("factor", "date")
    )


def mean_rank_correlations(ranks: pl.DataFrame, factors: list[str]) -> np.ndarray:
    """The factors x factors mean over dates of the cross-sectional Spearman correlation.

    ``ranks``: date, symbol, factor, rank. Each date's correlation re-ranks the names that have
    both factors (pairwise complete); dates with fewer than MIN_PAIRS such names are left out.
    """
    wide = (ranks.filter(pl.col("factor").is_in(factors))
            .pivot(on="factor", index=["date", "symbol"], values="rank")
            .with_columns(pl.lit(None, pl.Float64).alias(f) for f in factors
                          if f not in ranks["factor"].unique().to_list()))
    total = np.zeros((len(factors), len(factors)))
    count = np.zeros_like(total)
    for _, day in wide.group_by("date"):
        matrix = day.select(factors).to_pandas().corr(method="spearman",
                                                       min_periods=MIN_PAIRS).to_numpy()
        seen = np.isfinite(matrix)
        total[seen] += matrix[seen]
        count[seen] += 1
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def redundancy(ranks: pl.DataFrame, factors: list[str],
               threshold: float = REDUNDANCY_THRESHOLD) -> pl.DataFrame:
    """For each factor (in catalog order), the earlier factor its mean cross-sectional rank
    correlation is highest with in absolute value when that exceeds ``threshold``, else null."""
    correlation = mean_rank_correlations(ranks, factors)
    rows = []
    for i, factor in enumerate(factors):
        earlier = np.abs(np.nan_to_num(correlation[i, :i], nan=0.0))
        j = int(np.argmax(earlier)) if i else 0
        hit = i > 0 and earlier[j] > threshold
        rows.append((factor, factors[j] if hit else None,
                     float(correlation[i, j]) if hit else None))
    return pl.DataFrame(rows, schema=REDUNDANCY_SCHEMA, orient="row")
