"""Cross-sectional normalisation per date: winsorised z-score, percentile rank, sector-neutral z.

Every score uses only the same date's cross-section, so normalising never looks ahead.
"""

from __future__ import annotations

import polars as pl

WINSOR_QUANTILES = (0.01, 0.99)
MIN_CROSS_SECTION = 5  # fewer names than this on a date: no score (a z of 3 names is noise)


def _zscore(value: pl.Expr, by: list[str]) -> pl.Expr:
    mean, std = value.mean().over(by), value.std(ddof=1).over(by)
    return pl.when(std > 0).then((value - mean) / std)


def normalize(long: pl.DataFrame, securities: pl.DataFrame | None = None) -> pl.DataFrame:
    """Scores for a long frame (date, symbol, factor, value).

    Returns date, symbol, factor, raw, z (winsorised at the 1st/99th percentile of the date's
    cross-section, then standardised), rank (percentile in (0, 1], ties averaged) and sector_z
    (the winsorised value standardised within date x sector; null without a sector).
    """
    by = ["date", "factor"]
    frame = long.rename({"value": "raw"}).filter(pl.col("raw").is_finite())
    if securities is not None:
        frame = frame.join(securities.select("symbol", "sector"), on="symbol", how="left")
    else:
        frame = frame.with_columns(sector=pl.lit(None, pl.String))
    low, high = (pl.col("raw").quantile(q, "linear").over(by) for q in WINSOR_QUANTILES)
    count = pl.len().over(by)
    frame = frame.with_columns(winsorised=pl.col("raw").clip(low, high), count=count)
    sector_by = [*by, "sector"]
    return (
        frame.with_columns(
            z=_zscore(pl.col("winsorised"), by),
            rank=pl.col("raw").rank("average").over(by) / pl.col("count"),
            sector_z=pl.when(pl.col("sector").is_not_null()
                             & (pl.len().over(sector_by) >= 3))
            .then(_zscore(pl.col("winsorised"), sector_by)),
        )
        .with_columns(
            [pl.when(pl.col("count") >= MIN_CROSS_SECTION).then(pl.col(c)).alias(c)
             for c in ("z", "rank", "sector_z")]
        )
        .select("date", "symbol", "factor", "raw", "z", "rank", "sector_z")
        .sort("factor", "date", "symbol")
    )
