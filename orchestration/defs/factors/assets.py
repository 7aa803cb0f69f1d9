"""Factor assets: the partitioned computation writing the factor mart, the catalog dimension
with redundancy flags, and the wide views for BI."""


from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg
import polars as pl

from factor_mart.warehouse import Warehouse
from factor_mart.warehouse.tables import replace_partition, replace_table
from factor_models.catalog import catalog_frame
from orchestration.defs.factors.compute import (
    compute_macro_family,
    compute_wide,
    normalized_values,
)
from orchestration.defs.factors.families import STOCK_FAMILIES
from orchestration.defs.factors.loading import load_inputs, load_macro_inputs
from orchestration.defs.factors.quality import coverage, redundancy
from orchestration.defs.factors.views import view_name, wide_view_sql
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource

GROUP = "factors"
VALUES = dg.AssetKey(["marts", "fct_factor_values"])
MACRO_SERIES = dg.AssetKey(["marts", "fct_macro_series"])
REGIME = dg.AssetKey(["marts", "fct_macro_regime"])
COVERAGE = dg.AssetKey(["marts", "fct_factor_coverage"])
DIM_FACTOR = dg.AssetKey(["marts", "dim_factor"])
MART_INPUTS = [dg.AssetKey(["marts", m]) for m in (
    "fct_prices_daily", "dim_security", "dim_calendar", "fct_fundamentals_asof",
    "fct_macro_asof")]

# Month-end sessions are enough for a stable mean rank correlation and keep it cheap at scale.
REDUNDANCY_RANKS_SQL = """
select v.date, v.symbol, v.factor, v.rank
from marts.fct_factor_values as v
inner join (
    select max(date) as date from marts.fct_factor_values
    group by extract(year from date), extract(month from date)
) as month_ends on v.date = month_ends.date
where v.rank is not null
"""


def _table(key: dg.AssetKey) -> str:
    return ".".join(key.path)


def write_window(wh: Warehouse, values: pl.DataFrame, stock_factors: list[str],
                 bars: pl.DataFrame, start, end) -> dict[str, int]:
    """Write one window of the stock-level factor values and their coverage; rows per table."""
    covered = coverage(values, bars.filter(pl.col("date").is_between(start, end)),
                       stock_factors)
    return {_table(key): replace_partition(wh, _table(key), frame, "date", start, end)
            for key, frame in ((VALUES, values), (COVERAGE, covered))}


def year_chunks(start: date, end: date) -> Iterator[tuple[date, date]]:
    """[start, end] cut at calendar-year ends: the long, normalised frame of one year of a
    1,000-name universe is ~20 M rows, of ten years too much for a small machine."""
    while start <= end:
        chunk_end = min(date(start.year, 12, 31), end)
        yield start, chunk_end
        start = chunk_end + timedelta(days=1)


def factor_values_asset(partitions_def: dg.TimeWindowPartitionsDefinition
                        ) -> dg.AssetsDefinition:
    """Every family computed for the selected days (with warm-up history); the stock-level
    factors and their coverage are written for those days only."""

    # One asset per daily partition keeps a ten-year single-run backfill to one event per day;
    # the coverage table is this asset's bookkeeping and is written in the same step.
    @dg.asset(
        key=VALUES,
        deps=MART_INPUTS,
        description=(
            "Stock-level factors (technical, fundamental, cross-source), long: raw, winsorised z, "
            "percentile rank and sector-neutral z per date. Also writes marts.fct_factor_coverage "
            "(date, factor, symbols with a value, universe size, coverage)."),
        group_name=GROUP,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=POOL,
        kinds={"python", "polars"},
    )
    def fct_factor_values(context: dg.AssetExecutionContext,
                          warehouse: WarehouseResource) -> dg.MaterializeResult:
        window = context.partition_time_window
        start, end = window.start.date(), (window.end - timedelta(days=1)).date()
        with warehouse.connect() as wh:
            skipped: dict[str, str] = {}
            inputs = load_inputs(wh, start, end, skipped)
            wide, _, missing = compute_wide(inputs)
            skipped |= missing
            for family, reason in skipped.items():
                context.log.warning(f"factor family/panel {family} skipped: {reason}")
            stock_factors = [name for family in STOCK_FAMILIES if family in wide
                             for name in wide[family].columns if name not in ("date", "symbol")]
            written: dict[str, int] = {}
            for low, high in year_chunks(start, end):
                values = normalized_values(wide, inputs.securities, low, high)
                for table, rows in write_window(wh, values, stock_factors, inputs.bars,
                                                low, high).items():
                    written[table] = written.get(table, 0) + rows
        return dg.MaterializeResult(metadata={
            "window": f"{start} .. {end}", "warmup_from": str(inputs.bars["date"].min()),
            "rows": dg.MetadataValue.json(written), "skipped": dg.MetadataValue.json(skipped)})

    return fct_factor_values


@dg.multi_asset(
    name="macro_factors",
    specs=[
        dg.AssetSpec(MACRO_SERIES, deps=MART_INPUTS,
                     description="Macro-family factor values per trading date (date, factor, "
                                 "value)."),
        dg.AssetSpec(REGIME, deps=MART_INPUTS, skippable=True,
                     description="Macro regime label per date with the signals behind it."),
    ],
    group_name=GROUP,
    pool=POOL,
)
def macro_factors(context: dg.AssetExecutionContext,
                  warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
    """The macro family and regime over the whole panel: one row per date whatever the
    universe size, so a full recompute is cheaper than per-day partitions."""
    with warehouse.connect() as wh:
        skipped: dict[str, str] = {}
        series, regime = compute_macro_family(load_macro_inputs(wh, skipped), skipped)
        for family, reason in skipped.items():
            context.log.warning(f"macro family/panel {family} skipped: {reason}")
        yield dg.MaterializeResult(asset_key=MACRO_SERIES, metadata={
            "rows": replace_table(wh, _table(MACRO_SERIES), series)})
        if regime is not None:
            yield dg.MaterializeResult(asset_key=REGIME, metadata={
                "rows": replace_table(wh, _table(REGIME), regime)})


@dg.asset(key=DIM_FACTOR, deps=[VALUES], group_name=GROUP, pool=POOL)
def dim_factor(context: dg.AssetExecutionContext,
               warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The factor catalog, with the earlier factor each one is redundant with (mean
    cross-sectional rank correlation above 0.95 in absolute value) and that correlation."""
    catalog = catalog_frame()
    with warehouse.connect() as wh:
        ranks = wh.query(REDUNDANCY_RANKS_SQL)
        flags = redundancy(ranks, catalog["factor"].to_list())
        frame = catalog.join(flags, on="factor", how="left", maintain_order="left")
        replace_table(wh, _table(DIM_FACTOR), frame)
    marked = flags.drop_nulls("redundant_with")
    context.log.info(f"dim_factor: {catalog.height} factors, {marked.height} marked redundant")
    return dg.MaterializeResult(metadata={
        "factors": catalog.height, "redundant": dg.MetadataValue.json(
            dict(zip(marked["factor"].to_list(), marked["redundant_with"].to_list(),
                     strict=True)))})


@dg.multi_asset(
    name="factor_wide_views",
    specs=[dg.AssetSpec(["marts", f"factors_{family}_wide"], deps=[VALUES], skippable=True,
                        description=f"date, symbol and the raw value of each {family} factor.")
           for family in STOCK_FAMILIES],
    group_name=GROUP,
    pool=POOL,
)
def factor_wide_views(warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
    """One wide view per stock-level family, regenerated from the catalog."""
    with warehouse.connect() as wh:
        for family in STOCK_FAMILIES:
            sql = wide_view_sql(family)
            if sql is None:
                continue
            with wh.transaction():
                wh.execute(f"drop view if exists {view_name(family)}")
                wh.execute(sql)
            yield dg.MaterializeResult(asset_key=["marts", f"factors_{family}_wide"],
                                       metadata={"sql": dg.MetadataValue.md(f"```sql\n{sql}\n```")})
