"""The publish asset: the marts as a new immutable version for the API (marts.mart_versions)."""

import dagster as dg

from factor_mart.publish import publish
from orchestration.lib.loading import POOL
from orchestration.lib.resources import WarehouseResource


@dg.asset(key=["marts", "mart_versions"], group_name="serving", pool=POOL,
          kinds={"python", "duckdb"},
          description="Publishes the marts as a numbered read-only version (a snapshot file on "
                      "DuckDB, a schema on PostgreSQL) and announces it to the API's streams.")
def mart_versions(context: dg.AssetExecutionContext,
                  warehouse: WarehouseResource) -> dg.MaterializeResult:
    version = publish(warehouse.settings())
    context.log.info(f"published mart version {version.version} ({version.location})")
    return dg.MaterializeResult(metadata={
        "version": version.version, "location": version.location,
        "min_date": str(version.min_date), "max_date": str(version.max_date),
        "row_counts": dg.MetadataValue.json(version.row_counts),
        "freshness": dg.MetadataValue.json(version.freshness)})
