"""Information coefficients per date, their summary statistics, decay and sector breakdown."""

from __future__ import annotations

import polars as pl

KEYS = ("factor", "horizon", "date")
MIN_NAMES = 5  # a correlation over fewer names on a date is noise, not evidence


def join_labels(values: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Factor values beside their labels: one row per (factor, horizon, date, symbol).

    ``values``: date, symbol, factor, value (plus optional z, sector); ``labels``: the output of
    ``forward_returns``. Rows where either side is missing or not finite are dropped.
    """
    missing = [c for c in ("date", "symbol", "factor", "value") if c not in values.columns]
    if missing:
        raise ValueError(f"values: missing column(s) {missing}; expected date, symbol, factor, "
                         "value")
    return (
        values.filter(pl.col("value").is_finite())
        .join(labels.filter(pl.col("forward_return").is_finite()), on=["date", "symbol"])
        .select("factor", "horizon", "date", "symbol", pl.exclude("factor", "horizon", "date",
                                                                    "symbol"))
    )


def _pearson(x: pl.Expr, y: pl.Expr) -> pl.Expr:
    return pl.corr(x, y, method="pearson")


def ic_series(panel: pl.DataFrame, by: tuple[str, ...] = KEYS,
              pearson_on: str = "value", min_names: int = MIN_NAMES) -> pl.DataFrame:
    """Per group (default factor, horizon, date): rank IC (Spearman, ties averaged, as
    scipy.stats.spearmanr), Pearson IC of ``pearson_on`` with the label, and n names."""
    rank_x = pl.col("value").rank("average").over(by)
    rank_y = pl.col("forward_return").rank("average").over(by)
    return (
        panel.with_columns(_rx=rank_x, _ry=rank_y)
        .group_by(by)
        .agg(
            rank_ic=_pearson(pl.col("_rx"), pl.col("_ry")),
            pearson_ic=_pearson(pl.col(pearson_on), pl.col("forward_return")),
            n=pl.len().cast(pl.Int32),
        )
        .filter(pl.col("n") >= min_names)
        .with_columns(pl.col("rank_ic", "pearson_ic").fill_nan(None))
        .sort(by)
    )


def ic_summary(ic: pl.DataFrame, by: tuple[str, ...] = ("factor", "horizon")) -> pl.DataFrame:
    """Mean, standard deviation (ddof 1), IR (mean / std), t-stat (IR x sqrt(dates)) and hit
    rate (share of dates with rank IC > 0) of the rank IC, plus the mean Pearson IC.

    The t-stat treats dates as independent; for horizons above one day the labels overlap, so
    read it as an upper bound (``t_stat_overlap`` divides it by sqrt(horizon) when the horizon
    is among the group keys)."""
    rank_ic = pl.col("rank_ic").drop_nulls()
    summary = (
        ic.group_by(by)
        .agg(
            dates=rank_ic.len().cast(pl.Int32),
            ic_mean=rank_ic.mean(),
            ic_std=rank_ic.std(ddof=1),
            hit_rate=(rank_ic > 0).mean(),
            pearson_ic_mean=pl.col("pearson_ic").drop_nulls().mean(),
            mean_names=pl.col("n").mean(),
        )
        .with_columns(ic_ir=pl.when(pl.col("ic_std") > 0)
                      .then(pl.col("ic_mean") / pl.col("ic_std")))
        .with_columns(t_stat=pl.col("ic_ir") * pl.col("dates").cast(pl.Float64).sqrt())
    )
    if "horizon" in by:
        summary = summary.with_columns(
            t_stat_overlap=pl.col("t_stat") / pl.col("horizon").cast(pl.Float64).sqrt())
    return summary.sort(by)


def decay(summary: pl.DataFrame) -> pl.DataFrame:
    """IC decay per factor: mean rank IC per horizon and as a share of the shortest horizon's."""
    first = pl.col("ic_mean").sort_by("horizon").first().over("factor")
    return (
        summary.select("factor", "horizon", "ic_mean")
        .with_columns(ic_relative=pl.when(first != 0).then(pl.col("ic_mean") / first))
        .sort("factor", "horizon")
    )


def by_sector(panel: pl.DataFrame, securities: pl.DataFrame,
              min_names: int = MIN_NAMES) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rank IC within each sector: (per-date IC, summary per factor, horizon, sector).

    Sectors come from ``securities`` (symbol, sector); names without a sector are left out.
    """
    with_sector = panel.drop("sector", strict=False).join(
        securities.select("symbol", "sector").drop_nulls(), on="symbol")
    daily = ic_series(with_sector, by=("factor", "horizon", "sector", "date"),
                      min_names=min_names)
    return daily, ic_summary(daily, by=("factor", "horizon", "sector"))

