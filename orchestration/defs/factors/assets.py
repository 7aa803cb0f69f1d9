"""Factor assets: the partitioned computation writing the factor mart, the catalog dimension
with redundancy flags, and the wide views for BI."""


import queue
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from factor_mart.settings import Backend
from factor_mart.warehouse import Warehouse
from factor_mart.warehouse.tables import replace_partition, replace_table, table_columns
from factor_models.catalog import catalog_frame
from orchestration.defs.factors.compute import Chunk, StockFactors, compute_macro_family
from orchestration.defs.factors.families import STOCK_FAMILIES
from orchestration.defs.factors.loading import load_inputs, load_macro_inputs, sql_date
from orchestration.defs.factors.quality import (
    mean_correlations,
    redundant_with,
)
from orchestration.defs.factors.views import view_name, wide_view_sql
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource

GROUP = "factors"
DUCKDB_MEMORY_LIMIT = "512MB"
WRITERS = 2  # chunks written side by side (see write_factor_values)
VALUES = dg.AssetKey(["marts", "fct_factor_values"])
MACRO_SERIES = dg.AssetKey(["marts", "fct_macro_series"])
REGIME = dg.AssetKey(["marts", "fct_macro_regime"])
COVERAGE = dg.AssetKey(["marts", "fct_factor_coverage"])
RANK_CORR = dg.AssetKey(["marts", "fct_factor_rank_corr"])
DIM_FACTOR = dg.AssetKey(["marts", "dim_factor"])
# Checked on the rows the asset writes (rows outside its window are not touched), not by a
# scan of the whole table: at 1,000 symbols the scan cost 9 s a day, more than the day's factors.
SCORES_FINITE = dg.AssetCheckSpec(
    "scores_finite", asset=VALUES,
    description="z, sector_z and rank of the rows written are null or finite (never NaN or "
                "infinite).")
MART_INPUTS = [dg.AssetKey(["marts", m]) for m in (
    "fct_prices_daily", "dim_security", "dim_calendar", "fct_fundamentals_asof",
    "fct_macro_asof")]

# Each month's last session with values: what dim_factor averages (see quality.py). The months
# of fct_factor_coverage must all be there, else the mean would silently cover fewer months.
MONTH_END_RANK_CORR_SQL = """
select c.factor_a, c.factor_b, c.rank_corr
from marts.fct_factor_rank_corr as c
inner join (
    select max(date) as date from marts.fct_factor_rank_corr
    group by extract(year from date), extract(month from date)
) as month_ends on c.date = month_ends.date
"""
MONTHS_SQL = """
select count(distinct extract(year from date) * 12 + extract(month from date)) as n
from {table}{where}
"""


class FactorDays(dg.Config):
    """Which sessions of its partition a run of fct_factor_values computes."""

    from_day: str | None = Field(
        default=None,
        description="YYYY-MM-DD: compute the partition from this day on (and from any earlier "
                    "session of the partition without values), keeping the rest: a day's values "
                    "use only what was known at its close, so once written they are final. The "
                    "after-close schedule sets the day of its run. Unset: the whole partition.")


def _table(key: dg.AssetKey) -> str:
    return ".".join(key.path)


def first_day_to_compute(wh: Warehouse, start: date, end: date, day: date) -> date:
    """``day``, or the first session in [start, day) with bars but no factor values (a run
    missed or failed), if any; ``start`` when no day was ever computed."""
    if not start <= day <= end:
        raise dg.Failure(f"from_day {day} is outside the partition's days {start} .. {end}")
    if table_columns(wh, _table(COVERAGE)) is None:
        return start
    missing = wh.query(f"""
        select min(p.trading_date) as first_missing from marts.fct_prices_daily as p
        where p.trading_date >= {sql_date(start)} and p.trading_date < {sql_date(day)}
            and not exists (select 1 from {_table(COVERAGE)} as c where c.date = p.trading_date)
    """)["first_missing"][0]
    return missing or day


def bound_memory(wh: Warehouse) -> None:
    """DuckDB keeps the blocks it writes or scans cached up to 80% of RAM by default: ten
    years of factor values would double a step's peak. They are on disk; keep a working set."""
    if wh.backend is Backend.duckdb:
        wh.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")


def write_factor_values(wh: Warehouse, start: date, end: date,
                        warn: Callable[[str], None] = print) -> dict:
    """Compute the stock-level factors of [start, end] and replace those days' rows of
    fct_factor_values and fct_factor_coverage, a chunk of sessions at a time; a summary with
    the wall and CPU seconds (of the whole process: the writer thread's included) of each
    phase."""
    began = time.perf_counter(), time.process_time()
    seconds: dict[str, float] = {}
    cpu_seconds: dict[str, float] = {}

    def lap(step: str) -> None:
        nonlocal began
        now = time.perf_counter(), time.process_time()
        for spent, then, was in zip((seconds, cpu_seconds), now, began, strict=True):
            spent[step] = round(spent.get(step, 0.0) + then - was, 3)
        began = now

    bound_memory(wh)
    skipped: dict[str, str] = {}
    inputs = load_inputs(wh, start, end, skipped)
    warmup_from = str(inputs.bars["date"].min())
    lap("load")
    stock = StockFactors(inputs, start, end, skipped)
    del inputs  # the second pass reads only the per-symbol results
    lap("histories")
    for family, reason in stock.skipped.items():
        warn(f"factor family/panel {family} skipped: {reason}")
    written = dict.fromkeys((_table(VALUES), _table(COVERAGE), _table(RANK_CORR)), 0)
    bad_scores: dict[str, int] = {}
    idle: queue.SimpleQueue[Warehouse] = queue.SimpleQueue()

    def write(chunk: Chunk) -> dict[str, int]:
        # A month's rank correlations are its last session's: a run from mid-month (see
        # FactorDays) replaces the one an earlier run of the month wrote.
        month_end_from = (chunk.start.replace(day=1) if chunk.start == start
                          and chunk.rank_corr.height else chunk.start)
        con = idle.get()
        try:
            return {_table(key): replace_partition(con, _table(key), frame, "date", first,
                                                   chunk.end)
                    for key, frame, first in (
                        (VALUES, chunk.values, chunk.start),
                        (COVERAGE, chunk.coverage, chunk.start),
                        (RANK_CORR, chunk.rank_corr, month_end_from))}
        finally:
            idle.put(con)

    # The chunks are written while the next ones are computed, by WRITERS threads with a
    # connection each: an insert runs on one thread (DuckDB's, without the GIL) and the writing
    # was the step's critical path. Chunks cover disjoint dates, so their transactions do not
    # conflict. The first chunk is written alone: it creates the tables if they are missing.
    # The scores are checked here, not in the writers.
    with ExitStack() as stack, ThreadPoolExecutor(WRITERS) as writers:
        idle.put(wh)
        pending: deque[Future[dict[str, int]]] = deque()

        def wait_for(limit: int) -> None:
            while len(pending) > limit:
                for table, rows in pending.popleft().result().items():
                    written[table] += rows
                lap("waiting_for_writes")

        for number, chunk in enumerate(stock.chunks()):
            for factor, n in chunk.non_finite.items():
                bad_scores[factor] = bad_scores.get(factor, 0) + n
            lap("cross_sections")
            if number == 1:
                wait_for(0)
                for _ in range(WRITERS - 1):
                    idle.put(stack.enter_context(wh.sibling()))
            wait_for(WRITERS - 1)
            pending.append(writers.submit(write, chunk))
        wait_for(0)
    return {"rows": written, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "skipped": stock.skipped,
            "warmup_from": warmup_from, "non_finite_scores": bad_scores}


def factor_values_asset(partitions_def: dg.TimeWindowPartitionsDefinition
                        ) -> dg.AssetsDefinition:
    """Every family computed for the selected days (with warm-up history); the stock-level
    factors and their coverage are written for those days only, a chunk of sessions at a time
    (see `compute.StockFactors`), so any window length fits in memory."""

    # A single-run backfill hands the whole window (ten years, or the month's new sessions for
    # the daily run: see FactorDays) to one call; the coverage and rank correlation tables are
    # this asset's bookkeeping, written in the same step (the ranks are in memory there;
    # reading them back for dim_factor cost 9 s a day at 1,000 symbols).
    @dg.asset(
        key=VALUES,
        deps=MART_INPUTS,
        description=(
            "Stock-level factors (technical, fundamental, cross-source), long: raw, winsorised z, "
            "percentile rank and sector-neutral z per date. Also writes marts.fct_factor_coverage "
            "(date, factor, symbols with a value, universe size, coverage) and "
            "marts.fct_factor_rank_corr (each month's last session: the cross-sectional rank "
            "correlation of every pair of factors, which dim_factor averages)."),
        group_name=GROUP,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=POOL,
        kinds={"python", "polars"},
        check_specs=[SCORES_FINITE],
    )
    def fct_factor_values(context: dg.AssetExecutionContext, config: FactorDays,
                          warehouse: WarehouseResource) -> dg.MaterializeResult:
        window = context.partition_time_window
        start, end = window.start.date(), (window.end - timedelta(days=1)).date()
        with warehouse.connect() as wh:
            if config.from_day:
                start = first_day_to_compute(wh, start, end, date.fromisoformat(config.from_day))
            summary = write_factor_values(wh, start, end, context.log.warning)
        bad = summary["non_finite_scores"]
        return dg.MaterializeResult(metadata={
            "window": f"{start} .. {end}", "warmup_from": summary["warmup_from"],
            **{key: dg.MetadataValue.json(summary[key])
               for key in ("rows", "seconds", "cpu_seconds", "skipped")}},
            check_results=[dg.AssetCheckResult(
                check_name=SCORES_FINITE.name, passed=not bad,
                metadata={"bad_rows_by_factor": dg.MetadataValue.json(bad)})])

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


def month_end_correlations(wh: Warehouse) -> pl.DataFrame:
    """fct_factor_rank_corr on each month's last session; dg.Failure when a month of
    fct_factor_coverage has none (a warehouse built before the table existed)."""
    expected, found = (
        wh.query(MONTHS_SQL.format(table=table, where=where))["n"][0]
        if table_columns(wh, table) is not None else 0
        for table, where in ((_table(COVERAGE), " where symbols > 0"), (_table(RANK_CORR), "")))
    if found < expected:
        raise dg.Failure(f"{_table(RANK_CORR)} covers {found} of the {expected} months of "
                         f"{_table(VALUES)}: rematerialize {_table(VALUES)} over all its "
                         "partitions (one single-run backfill) to fill it")
    return wh.query(MONTH_END_RANK_CORR_SQL)


@dg.asset(key=DIM_FACTOR, deps=[VALUES], group_name=GROUP, pool=POOL)
def dim_factor(context: dg.AssetExecutionContext,
               warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The factor catalog, with the earlier factor each one is redundant with (mean
    cross-sectional rank correlation over month ends above 0.95 in absolute value) and that
    correlation."""
    catalog = catalog_frame()
    factors = catalog["factor"].to_list()
    with warehouse.connect() as wh:
        correlation = mean_correlations(month_end_correlations(wh), factors)
        flags = redundant_with(correlation, factors)
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
