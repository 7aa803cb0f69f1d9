"""Asset checks every raw table gets: it has rows, and nothing claims to be from the future."""


import dagster as dg

from orchestration.lib.resources import WarehouseResource


def raw_table_checks(table: str) -> list[dg.AssetChecksDefinition]:
    key = dg.AssetKey(["raw", table])

    @dg.asset_check(asset=key, name="has_rows", description=f"raw.{table} is not empty.")
    def has_rows(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as wh:
            n = wh.query(f"SELECT count(*) AS n FROM raw.{table}")["n"][0]
        return dg.AssetCheckResult(passed=bool(n), metadata={"rows": int(n)})

    @dg.asset_check(asset=key, name="no_future_available_at",
                    description="No row became knowable after the load that stored it.")
    def no_future(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as wh:
            n = wh.query(
                f"SELECT count(*) AS n FROM raw.{table} r WHERE r.available_at > "
                "(SELECT max(l.finished_at) FROM audit.loads l WHERE l.load_id = r.load_id)"
            )["n"][0]
        return dg.AssetCheckResult(passed=n == 0, metadata={"future_rows": int(n)})

    return [has_rows, no_future]


def quarantine_check(source: str, table: str) -> dg.AssetChecksDefinition:
    """Warns (does not fail) when records of ``source`` sit in quarantine."""

    @dg.asset_check(asset=dg.AssetKey(["raw", table]), name="quarantine_empty",
                    description=f"No {source} records in raw.quarantine.")
    def quarantine_empty(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as wh:
            counts = wh.query(
                "SELECT reason, count(*) AS n FROM raw.quarantine WHERE source = "
                f"'{source}' GROUP BY reason ORDER BY n DESC")
        return dg.AssetCheckResult(
            passed=counts.is_empty(), severity=dg.AssetCheckSeverity.WARN,
            metadata={"by_reason": dg.MetadataValue.json(dict(zip(counts["reason"].to_list(),
                                                                  counts["n"].to_list(),
                                                                  strict=True)))})

    return quarantine_empty
