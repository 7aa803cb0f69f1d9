"""How a factor's cross-section moves from one date to the next, and how many names it covers."""

from __future__ import annotations

import polars as pl

from factor_models.evaluation.quantiles import QUANTILES, assign_quantiles


def _with_previous_date(frame: pl.DataFrame, calendar: pl.Series | None) -> pl.DataFrame:
    """Add ``previous_date``: the session before ``date`` on the calendar (default: every date
    in ``frame``), so a factor missing a session compares across the gap as null, not as 1 day."""
    dates = (calendar if calendar is not None else frame["date"]).unique().sort()
    steps = pl.DataFrame({"date": dates, "previous_date": dates.shift(1)})
    return frame.join(steps, on="date", how="left")


def turnover(values: pl.DataFrame, quantiles: int = QUANTILES,
             calendar: pl.Series | None = None) -> pl.DataFrame:
    """Per (factor, date, quantile): the share of the bucket's names that were not in the same
    bucket on the previous session (alphalens' ``quantile_turnover`` with period 1).

    Buckets are drawn from the factor alone (date by date), so turnover does not depend on labels.
    Dates whose bucket was empty on the previous session have no value.
    """
    bucketed = assign_quantiles(values.select("factor", "date", "symbol", "value"),
                                ("factor", "date"), quantiles).drop_nulls("quantile")
    stepped = _with_previous_date(bucketed, calendar)
    before = bucketed.select("factor", "symbol", previous_date="date",
                             previous_quantile="quantile")
    earlier_buckets = bucketed.select("factor", "quantile", previous_date="date").unique()
    return (
        stepped.join(before, on=["factor", "symbol", "previous_date"], how="left")
        .join(earlier_buckets, on=["factor", "quantile", "previous_date"], how="semi")
        .group_by("factor", "date", "quantile")
        .agg(turnover=(pl.col("previous_quantile").ne_missing(pl.col("quantile"))).mean())
        .sort("factor", "quantile", "date")
    )


def rank_autocorrelation(values: pl.DataFrame,
                         calendar: pl.Series | None = None) -> pl.DataFrame:
    """Per (factor, date): correlation between names' ranks on the date and on the previous
    session, over names present on both (alphalens' ``factor_rank_autocorrelation``, period 1).

    Ranks are taken within each date's full cross-section before pairing, as alphalens does.
    """
    ranked = values.select(
        "factor", "date", "symbol", rank=pl.col("value").rank("average").over("factor", "date"))
    before = ranked.select("factor", "symbol", previous_date="date", previous_rank="rank")
    return (
        _with_previous_date(ranked, calendar)
        .join(before, on=["factor", "symbol", "previous_date"])
        .group_by("factor", "date")
        .agg(rank_autocorr=pl.corr("rank", "previous_rank"))
        .with_columns(pl.col("rank_autocorr").fill_nan(None))
        .sort("factor", "date")
    )


def coverage(values: pl.DataFrame, universe: pl.DataFrame) -> pl.DataFrame:
    """Per (factor, date): names with a finite value, names in the universe that day (symbols
    with a bar, from ``universe`` date, symbol) and their ratio."""
    names = universe.group_by("date").agg(universe=pl.col("symbol").n_unique().cast(pl.Int32))
    return (
        values.filter(pl.col("value").is_finite())
        .group_by("factor", "date")
        .agg(symbols=pl.len().cast(pl.Int32))
        .join(names, on="date", how="left")
        .with_columns(coverage=pl.col("symbols") / pl.col("universe"))
        .sort("factor", "date")
    )
