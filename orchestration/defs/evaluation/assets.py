"""Evaluation assets: labels from prices, factor evaluation tables and charts, redundancy."""

from pathlib import Path

import dagster as dg
import polars as pl

from factor_mart.warehouse import Warehouse
from factor_mart.warehouse.tables import replace_table
from factor_models.catalog import load_all
from factor_models.evaluation import (
    Labels,
    evaluate,
    forward_returns,
    redundancy_clusters,
    redundancy_matrix,
)
from factor_models.evaluation.charts import write_charts
from factor_models.evaluation.dense import Grid
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

FACTORS_PER_PASS = 8  # factor values read and evaluated together: bounds memory at scale
REDUNDANCY_EVERY = 5  # every 5th session: the mean rank correlation is stable, 5x cheaper


def table(key: dg.AssetKey) -> str:
    return ".".join(key.path)


def charts_folder(warehouse: WarehouseResource) -> Path:
    """Charts live beside the DuckDB file (for PostgreSQL too: the configured path's folder)."""
    return Path(warehouse.settings().duckdb_path).parent / "charts"


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
                                          "horizons": sorted(set(labels["horizon"]))})


def _evaluate_all(context: dg.AssetExecutionContext, wh: Warehouse):
    """Every factor in fct_factor_values, a few at a time against label grids built once."""
    universe = wh.query(f"SELECT trading_date AS date, symbol FROM {table(PRICES)}")
    securities = wh.query(f"SELECT symbol, sector FROM {table(SECURITIES)}")
    directions = dict(wh.query(f"SELECT factor, direction FROM {table(DIM_FACTOR)}").iter_rows())
    labels = Labels(Grid.build(universe, securities),
                    wh.query(f"SELECT date, symbol, horizon, forward_return FROM {table(LABELS)}"))
    factors = wh.query(f"SELECT DISTINCT factor FROM {table(VALUES)} ORDER BY factor")["factor"]
    if factors.is_empty():
        raise dg.Failure(f"{table(VALUES)} has no factor values to evaluate")
    ics, summaries, sectors = [], [], []
    for start in range(0, len(factors), FACTORS_PER_PASS):
        names = factors[start:start + FACTORS_PER_PASS].to_list()
        marks = ", ".join([wh.placeholder] * len(names))
        values = wh.query(f"SELECT date, symbol, factor, raw AS value, z FROM {table(VALUES)} "
                          f"WHERE factor IN ({marks})", names)
        result = evaluate(values, labels, universe, securities, directions)
        ics.append(result.ic)
        summaries.append(result.summary)
        sectors.append(result.sector)
        context.log.info(f"evaluated {start + len(names)}/{len(factors)} factors")
    return pl.concat(ics), pl.concat(summaries, how="diagonal_relaxed"), pl.concat(sectors)


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
    with warehouse.connect() as wh:
        for key in (VALUES, LABELS, PRICES, DIM_FACTOR, SECURITIES):
            _require(wh, key)
        ic, summary, sector = _evaluate_all(context, wh)
        written = {key: replace_table(wh, table(key), frame)
                   for key, frame in ((IC, ic), (EVAL, summary), (EVAL_SECTOR, sector))}
    charts = write_charts(charts_folder(warehouse), ic, summary)
    context.log.info(f"wrote {len(charts)} charts to {charts_folder(warehouse)}")
    yield dg.MaterializeResult(asset_key=IC, metadata={"rows": written[IC]})
    yield dg.MaterializeResult(asset_key=EVAL, metadata={
        "rows": written[EVAL], "factors": summary["factor"].n_unique(),
        "charts": dg.MetadataValue.path(str(charts_folder(warehouse)))})
    yield dg.MaterializeResult(asset_key=EVAL_SECTOR, metadata={"rows": written[EVAL_SECTOR]})


@dg.asset(key=REDUNDANCY, deps=[VALUES, DIM_FACTOR], group_name=GROUP, pool=POOL,
          kinds={"python", "numpy"})
def fct_factor_redundancy(context: dg.AssetExecutionContext,
                          warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Mean cross-sectional rank correlation of every factor pair, with near-duplicate clusters
    (|correlation| > 0.9) named after their first factor in the catalog."""
    with warehouse.connect() as wh:
        _require(wh, VALUES)
        values = wh.query(
            f"WITH sessions AS (SELECT date, row_number() OVER (ORDER BY date) AS i FROM "
            f"(SELECT DISTINCT date FROM {table(VALUES)}) AS d) "
            f"SELECT v.date, v.symbol, v.factor, v.rank AS value FROM {table(VALUES)} AS v "
            f"JOIN sessions AS s ON v.date = s.date "
            f"WHERE (s.i - 1) % {REDUNDANCY_EVERY} = 0 AND v.rank IS NOT NULL")
        matrix = redundancy_matrix(values)
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
