"""Checks on the factor mart: nothing dated after the latest bar, and coverage that has not
collapsed against its own recent history. (Finite scores are checked by the asset on the rows
it writes: a scan of the whole table cost more than the day's computation.)"""


import dagster as dg
import polars as pl

from orchestration.defs.factors.assets import VALUES
from orchestration.lib.resources import WarehouseResource

COLLAPSE_RATIO = 0.5  # today's coverage below half its trailing median: warn
TRAILING_SESSIONS = 63


@dg.asset_check(asset=VALUES, name="no_dates_after_latest_bar",
                description="No factor value is dated after the latest adjusted bar.")
def no_dates_after_latest_bar(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as wh:
        # The latest bar as a value, not a subquery: PostgreSQL then finds the later dates
        # through the BRIN index instead of scanning the table (6.8 s at 250 x 10).
        latest = wh.query("select max(trading_date) as d from marts.fct_prices_daily")["d"][0]
        found = 0 if latest is None else wh.query(
            "select count(*) as n from marts.fct_factor_values "
            f"where date > {wh.placeholder}", [latest])["n"][0]
    return dg.AssetCheckResult(passed=found == 0, metadata={"future_rows": int(found)})


def collapsed(history: pl.DataFrame) -> pl.DataFrame:
    """Factors whose coverage on the latest date is below COLLAPSE_RATIO x the median of the
    previous sessions (history: date, factor, coverage)."""
    latest = history["date"].max()
    trailing = (history.filter(pl.col("date") < latest).group_by("factor")
                .agg(trailing_median=pl.col("coverage").median()))
    return (history.filter(pl.col("date") == latest)
            .join(trailing, on="factor")
            .filter(pl.col("coverage") < COLLAPSE_RATIO * pl.col("trailing_median"))
            .sort("factor"))


@dg.asset_check(asset=VALUES, name="coverage_not_collapsed",
                description=f"fct_factor_coverage: each factor's coverage on the latest date "
                            f"is at least {COLLAPSE_RATIO:.0%} of its median over the previous "
                            f"{TRAILING_SESSIONS} sessions.")
def coverage_not_collapsed(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as wh:
        history = wh.query(
            "select date, factor, coverage from marts.fct_factor_coverage where date in ("
            "select distinct date from marts.fct_factor_coverage "
            f"order by date desc limit {TRAILING_SESSIONS + 1})")
    dropped = collapsed(history) if history.height else history
    return dg.AssetCheckResult(
        passed=dropped.is_empty(), severity=dg.AssetCheckSeverity.WARN,
        metadata={"latest_date": str(history["date"].max()) if history.height else "none",
                  "collapsed": dg.MetadataValue.json(
                      {r["factor"]: round(r["coverage"], 4) for r in dropped.iter_rows(
                          named=True)})})


# scores_finite is checked by the asset itself on the rows it writes (see assets.py).
FACTOR_CHECKS = [no_dates_after_latest_bar, coverage_not_collapsed]
