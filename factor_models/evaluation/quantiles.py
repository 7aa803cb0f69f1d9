"""Quantile buckets per date and the mean forward return of each bucket."""

from __future__ import annotations

import polars as pl

QUANTILES = 5


def assign_quantiles(frame: pl.DataFrame, by: tuple[str, ...],
                     quantiles: int = QUANTILES) -> pl.DataFrame:
    """``frame`` with ``quantile`` (1 = lowest value .. ``quantiles``) per group ``by``.

    Same buckets as ``pandas.qcut(value, quantiles)``: edges are the linearly interpolated
    quantiles of the group's values, a value equal to an edge falls in the lower bucket, and a
    group whose edges are not all distinct (too many ties) gets no buckets (null), as alphalens
    drops such dates.
    """
    value = pl.col("value")
    edges = [value.quantile(k / quantiles, "linear").over(by) for k in range(quantiles + 1)]
    bucket = pl.sum_horizontal(*((value > edge).cast(pl.Int8) for edge in edges[1:-1])) + 1
    distinct = pl.all_horizontal(*(hi > lo for lo, hi in zip(edges, edges[1:], strict=False)))
    return frame.with_columns(quantile=pl.when(distinct).then(bucket).cast(pl.Int8))


def quantile_returns(panel: pl.DataFrame, quantiles: int = QUANTILES,
                     demeaned: bool = True) -> pl.DataFrame:
    """Mean forward return per (factor, horizon, date, quantile).

    ``demeaned`` subtracts the date's mean label over every bucketed name first (a long-short
    view; alphalens' default), which leaves the top-minus-bottom spread unchanged.
    """
    by = ("factor", "horizon", "date")
    bucketed = assign_quantiles(panel, by, quantiles).filter(pl.col("quantile").is_not_null())
    label = pl.col("forward_return")
    if demeaned:
        bucketed = bucketed.with_columns(label - label.mean().over(by))
    return (
        bucketed.group_by(*by, "quantile")
        .agg(mean_return=label.mean(), names=pl.len().cast(pl.Int32))
        .sort(*by, "quantile")
    )


def quantile_summary(daily: pl.DataFrame) -> pl.DataFrame:
    """Per (factor, horizon, quantile): mean of the daily bucket returns and its standard
    error (std across dates / sqrt(dates)), as alphalens' ``mean_return_by_quantile``."""
    mean = pl.col("mean_return")
    return (
        daily.group_by("factor", "horizon", "quantile")
        .agg(mean_return=mean.mean(), std_error=mean.std(ddof=1) / mean.len().sqrt(),
             dates=mean.len().cast(pl.Int32))
        .sort("factor", "horizon", "quantile")
    )


def spread(daily: pl.DataFrame, quantiles: int = QUANTILES) -> pl.DataFrame:
    """Top-minus-bottom bucket return per (factor, horizon): mean over dates of
    ``q_top - q_bottom`` and its standard error from the daily spread series.

    The standard error comes from the spread's own dispersion, so the two legs' correlation is
    accounted for (alphalens instead combines the legs' errors as if independent, and halves
    both numbers to a 100%-gross book).
    """
    legs = daily.filter(pl.col("quantile").is_in([1, quantiles]))
    wide = legs.pivot(on="quantile", index=["factor", "horizon", "date"],
                      values="mean_return")
    top, bottom = str(quantiles), "1"
    if top not in wide.columns or bottom not in wide.columns:
        return pl.DataFrame(schema={"factor": pl.String, "horizon": pl.Int16,
                                    "spread": pl.Float64, "spread_se": pl.Float64,
                                    "spread_dates": pl.Int32})
    each = (pl.col(top) - pl.col(bottom)).drop_nulls()
    return (
        wide.group_by("factor", "horizon")
        .agg(spread=each.mean(), spread_se=each.std(ddof=1) / each.len().sqrt(),
             spread_dates=each.len().cast(pl.Int32))
        .sort("factor", "horizon")
    )
