"""Evaluation assets: labels from prices, factor evaluation tables and charts, redundancy."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl

from factor_mart.settings import Backend
from factor_mart.warehouse import Warehouse
from factor_mart.warehouse.tables import replace_table
from factor_models.catalog import load_all
from factor_models.evaluation import Labels, forward_returns, redundancy_clusters
from factor_models.evaluation.charts import write_charts
from factor_models.evaluation.dense import Grid
from factor_models.evaluation.redundancy import RedundancySums
from factor_models.evaluation.report import WORKERS, FactorStats, summarise, universe_sizes
from orchestration.defs.evaluation.loading import GridAxes, blocks, prepare_session
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource

GROUP = "evaluation"
PRICES = dg.AssetKey(["marts", "fct_prices_daily"])
SECURITIES = dg.AssetKey(["marts", "dim_security"])
VALUES = dg.AssetKey(["marts", "fct_factor_values"])
DIM_FACTOR = dg.AssetKey(["marts", "dim_factor"])
LABELS = dg.AssetKey(["marts", "fct_forward_returns"])
IC = dg.AssetKey(["marts", "fct_factor_ic"])
EVAL = dg.AssetKey(["marts", "fct_factor_eval"])
EVAL_SECTOR = dg.AssetKey(["marts", "fct_factor_eval_sector"])
REDUNDANCY = dg.AssetKey(["marts", "fct_factor_redundancy"])

# Sessions read and evaluated together, every factor at once: one pass over fct_factor_values
# (stored in date order) with memory bounded by the block (~0.5 GB at 1,000 names x 134 factors).
BLOCK_SESSIONS = 252
REDUNDANCY_EVERY = 5  # every 5th session: the mean rank correlation is stable, 5x cheaper
POSTGRES_READERS = 2  # connections reading a block's spans side by side (the machine's cores)


def table(key: dg.AssetKey) -> str:
    return ".".join(key.path)


def charts_folder(warehouse: WarehouseResource) -> Path:
    """Charts live beside the DuckDB file (for PostgreSQL too: the configured path's folder)."""
    return Path(warehouse.settings().duckdb_path).parent / "charts"


@contextmanager
def _readers(warehouse: WarehouseResource, wh: Warehouse) -> Iterator[tuple[Warehouse, ...]]:
    """Connections that read blocks beside ``wh``: on PostgreSQL ``POSTGRES_READERS - 1`` more
    (the server runs each read on one core while the step waits for it; two blocks of 250
    names read in 18.6 s instead of 21.6-30.0 s, on a machine busy with other work); none on
    DuckDB, whose queries use every core already."""
    if wh.backend is not Backend.postgres:
        yield ()
        return
    with ExitStack() as stack:
        readers = tuple(stack.enter_context(warehouse.connect(read_only=True))
                        for _ in range(POSTGRES_READERS - 1))
        for reader in readers:
            prepare_session(reader)
        yield readers


def _require(wh: Warehouse, key: dg.AssetKey) -> None:
    name = table(key)
    schema, _, relation = name.partition(".")
    found = wh.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = "
                     f"{wh.placeholder} AND table_name = {wh.placeholder}", [schema, relation])
    if not found["n"][0]:
        raise dg.Failure(f"{name} does not exist yet: materialize it first")


@dg.asset(key=LABELS, deps=[PRICES], group_name=GROUP, pool=POOL, kinds={"python", "polars"})
def fct_forward_returns(context: dg.AssetExecutionContext,
                        warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Labels: 1, 5 and 21-session forward returns from adjusted closes (never a factor input)."""
    with warehouse.connect() as wh:
        _require(wh, PRICES)
        prices = wh.query(f"SELECT trading_date AS date, symbol, adjusted_close AS close "
                          f"FROM {table(PRICES)} WHERE adjusted_close > 0")
        labels = forward_returns(prices)
        rows = replace_table(wh, table(LABELS), labels)
    context.log.info(f"{rows} labels for {prices['symbol'].n_unique()} symbols")
    return dg.MaterializeResult(metadata={"rows": rows,
                                          "horizons": labels["horizon"].unique().sort().to_list()})


def _add_block(pool: ThreadPoolExecutor, stats: list[FactorStats], block: dict, base: int,
               seeded: bool) -> None:
    """Every factor's statistics on one block; the kernel releases the GIL, so factors run side
    by side on the pool's threads."""
    list(pool.map(lambda i: stats[i].add(block["raw"][i], block["z"][i], base, seeded),
                  range(len(stats))))


def _evaluate_all(context: dg.AssetExecutionContext, wh: Warehouse,
                  readers: tuple[Warehouse, ...]):
    """Every factor in fct_factor_values, a block of sessions at a time, against label grids
    built once (``readers``: more connections reading beside ``wh``)."""
    prepare_session(wh)
    universe = wh.query(f"SELECT trading_date AS date, symbol FROM {table(PRICES)}")
    securities = wh.query(f"SELECT symbol, sector FROM {table(SECURITIES)}")
    directions = dict(wh.query(f"SELECT factor, direction FROM {table(DIM_FACTOR)}").iter_rows())
    grid = Grid.build(universe, securities)
    axes = GridAxes.stage(wh, grid, readers)
    horizons = wh.query(f"SELECT DISTINCT horizon FROM {table(LABELS)} ORDER BY horizon")
    horizons = horizons["horizon"].to_list()
    dates = len(grid.dates)
    labels = Labels(grid, horizons, axes.read(table(LABELS), "horizon", horizons,
                                              ["forward_return"], 0, dates)["forward_return"]
                    ) if dates else Labels(grid, [], np.empty((0, *grid.shape)))
    factors = wh.query(f"SELECT DISTINCT factor FROM {table(VALUES)} ORDER BY factor")["factor"]
    if factors.is_empty():
        raise dg.Failure(f"{table(VALUES)} has no factor values to evaluate")
    stats = [FactorStats(name, labels) for name in factors]
    previous = None  # each factor's last session of the previous block
    with ThreadPoolExecutor(WORKERS) as pool:
        for first, end in blocks(dates, BLOCK_SESSIONS):
            seeded = previous is not None
            block = axes.read(table(VALUES), "factor", factors.to_list(), ["raw", "z"], first,
                              end, offset=int(seeded))
            if seeded:
                block["raw"][:, 0], block["z"][:, 0] = previous
            _add_block(pool, stats, block, first - int(seeded), seeded)
            # Copied: the next read reuses the block's arrays.
            previous = block["raw"][:, -1].copy(), block["z"][:, -1].copy()
            context.log.info(f"evaluated {len(factors)} factors up to {grid.dates[end - 1]}")
        sizes = universe_sizes(grid, universe)
        result = summarise(list(pool.map(lambda s: s.result(sizes), stats)), directions)
    return result.ic, result.summary, result.sector


@dg.multi_asset(
    name="factor_evaluation",
    specs=[
        dg.AssetSpec(IC, deps=[VALUES, LABELS, PRICES], description=(
            "Per date, factor and horizon: rank IC, Pearson IC (on the winsorised z) and names.")),
        dg.AssetSpec(EVAL, deps=[VALUES, LABELS, PRICES, DIM_FACTOR, SECURITIES], description=(
            "Per factor and horizon: IC mean/std/IR/t-stat/hit rate, quintile mean returns, "
            "top-minus-bottom spread and its standard error, turnover, rank autocorrelation, "
            "IC decay and coverage; one SVG chart per factor beside the warehouse.")),
        dg.AssetSpec(EVAL_SECTOR, deps=[VALUES, LABELS, SECURITIES],
                     description="Rank IC statistics per factor, horizon and sector."),
    ],
    group_name=GROUP,
    pool=POOL,
)
def factor_evaluation(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Evaluate every stock-level factor against the labels and write the evaluation tables."""
    with warehouse.connect() as wh, _readers(warehouse, wh) as readers:
        for key in (VALUES, LABELS, PRICES, DIM_FACTOR, SECURITIES):
            _require(wh, key)
        ic, summary, sector = _evaluate_all(context, wh, readers)
        written = {key: replace_table(wh, table(key), frame)
                   for key, frame in ((IC, ic), (EVAL, summary), (EVAL_SECTOR, sector))}
    charts = write_charts(charts_folder(warehouse), ic, summary)
    context.log.info(f"wrote {len(charts)} charts to {charts_folder(warehouse)}")
    yield dg.MaterializeResult(asset_key=IC, metadata={"rows": written[IC]})
    yield dg.MaterializeResult(asset_key=EVAL, metadata={
        "rows": written[EVAL], "factors": summary["factor"].n_unique(),
        "charts": dg.MetadataValue.path(str(charts_folder(warehouse)))})
    yield dg.MaterializeResult(asset_key=EVAL_SECTOR, metadata={"rows": written[EVAL_SECTOR]})


def _sampled_grid(wh: Warehouse) -> tuple[Grid, list[str]]:
    """Every ``REDUNDANCY_EVERY``-th session of fct_factor_values, its symbols, its factors.

    On PostgreSQL a scan of the whole table costs ~7 s at 250 names x 10 years (one column's
    distinct values, one scan each, took 18 s): sessions and factors come from one scan, the
    symbols from the sampled sessions' rows only (the BRIN index finds them). A symbol without
    a row on any of them would be an all-NaN column of every block; ranks and their sums are
    exact (multiples of 1/2), so such a column changes no correlation."""
    if wh.backend is Backend.postgres:
        pairs = wh.query(f"SELECT DISTINCT date, factor FROM {table(VALUES)}")
        sessions = pairs["date"].unique().sort()[::REDUNDANCY_EVERY]
        factors = pairs["factor"].unique().sort()
        symbols = wh.query(f"SELECT DISTINCT symbol FROM {table(VALUES)} WHERE date = ANY(%s) "
                           "ORDER BY symbol", [sessions.to_list()])["symbol"]
    else:
        sessions = wh.query(f"SELECT DISTINCT date FROM {table(VALUES)} ORDER BY date")["date"]
        sessions = sessions[::REDUNDANCY_EVERY]
        symbols = wh.query(f"SELECT DISTINCT symbol FROM {table(VALUES)} ORDER BY symbol")["symbol"]
        factors = wh.query(f"SELECT DISTINCT factor FROM {table(VALUES)} ORDER BY factor")["factor"]
    grid = Grid(sessions, symbols, [], np.full(len(symbols), -1, np.int64))
    return grid, factors.to_list()


@dg.asset(key=REDUNDANCY, deps=[VALUES, DIM_FACTOR], group_name=GROUP, pool=POOL,
          kinds={"python", "numpy"})
def fct_factor_redundancy(context: dg.AssetExecutionContext,
                          warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Mean cross-sectional rank correlation of every factor pair, with near-duplicate clusters
    (|correlation| > 0.9) named after their first factor in the catalog."""
    with warehouse.connect() as wh, _readers(warehouse, wh) as readers:
        _require(wh, VALUES)
        prepare_session(wh)
        sampled, factors = _sampled_grid(wh)
        axes = GridAxes.stage(wh, sampled, readers)
        sums = RedundancySums(factors)
        for first, end in blocks(len(sampled.dates), BLOCK_SESSIONS):
            sums.add(axes.read(table(VALUES), "factor", sums.factors, ["rank"], first,
                               end)["rank"])
        matrix = sums.matrix(covered_only=True)
        clusters = redundancy_clusters(matrix, list(load_all()))
        frame = (
            matrix.join(clusters.rename({"factor": "factor_a"}), on="factor_a", how="left")
            .join(clusters.rename({"factor": "factor_b", "cluster": "cluster_b"}),
                  on="factor_b", how="left")
            .with_columns(same_cluster=pl.col("cluster") == pl.col("cluster_b"))
            .drop("cluster_b")
        )
        rows = replace_table(wh, table(REDUNDANCY), frame)
    grouped = clusters.group_by("cluster").agg(pl.col("factor")).filter(
        pl.col("factor").list.len() > 1)
    named = {row["cluster"]: row["factor"] for row in grouped.iter_rows(named=True)}
    context.log.info(f"near-duplicate clusters: {named}")
    return dg.MaterializeResult(metadata={"rows": rows, "clusters": dg.MetadataValue.json(named)})
