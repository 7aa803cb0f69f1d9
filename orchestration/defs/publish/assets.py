"""The publish asset: the marts as a new immutable version for the API (marts.mart_versions)."""

from collections.abc import Iterable

import dagster as dg

from factor_mart.publish import publish
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource

KEY = dg.AssetKey(["marts", "mart_versions"])


def mart_versions_asset(marts: Iterable[dg.AssetKey]) -> dg.AssetsDefinition:
    """The publish, downstream of every asset that writes a mart table (``marts``): a run
    that builds some of them publishes after the last. Without these dependencies the daily
    run published as soon as its bars had landed, before dbt and the factors wrote the day."""

    @dg.asset(key=KEY, deps=sorted(set(marts) - {KEY}), group_name="serving", pool=POOL,
              kinds={"python", "duckdb"},
              description="Publishes the marts as a numbered read-only version (a snapshot file "
                          "on DuckDB, a schema on PostgreSQL) and announces it to the API's "
                          "streams.")
    def mart_versions(context: dg.AssetExecutionContext,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
        version = publish(warehouse.settings())
        context.log.info(f"published mart version {version.version} ({version.location})")
        return dg.MaterializeResult(metadata={
            "version": version.version, "location": version.location,
            "min_date": str(version.min_date), "max_date": str(version.max_date),
            "row_counts": dg.MetadataValue.json(version.row_counts),
            "freshness": dg.MetadataValue.json(version.freshness)})

    return mart_versions
