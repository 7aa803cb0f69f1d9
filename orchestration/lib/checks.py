"""Checks every raw table gets: it has rows, nothing claims to be from the future, and the
source's quarantine is empty (a warning)."""

from collections.abc import Iterator

import dagster as dg

from orchestration.lib.resources import WarehouseResource

NO_FUTURE_SQL = """
SELECT count(*) AS n FROM raw.{table} r WHERE r.available_at >
    (SELECT max(l.finished_at) FROM audit.loads l WHERE l.load_id = r.load_id)
"""


def raw_source_checks(source: str, tables: tuple[str, ...],
                      quarantined: str) -> dg.AssetChecksDefinition:
    """All of a source's raw-table checks in one step on one connection: a run that lands one
    company then costs one check step, not ten (the EDGAR sensor starts a run per filer)."""
    specs = [spec for table in tables for spec in (
        dg.AssetCheckSpec("has_rows", asset=["raw", table],
                          description=f"raw.{table} is not empty."),
        dg.AssetCheckSpec("no_future_available_at", asset=["raw", table],
                          description="No row became knowable after the load that stored it."),
    )] + [dg.AssetCheckSpec("quarantine_empty", asset=["raw", quarantined],
                            description=f"No {source} records in raw.quarantine.")]

    @dg.multi_asset_check(specs=specs, name=f"{source}_raw_checks", can_subset=True)
    def _checks(context: dg.AssetCheckExecutionContext,
                warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        with warehouse.connect() as wh:
            for table in tables:
                key = dg.AssetKey(["raw", table])
                if dg.AssetCheckKey(key, "has_rows") in selected:
                    n = wh.query(f"SELECT count(*) AS n FROM raw.{table}")["n"][0]
                    yield dg.AssetCheckResult(asset_key=key, check_name="has_rows",
                                              passed=bool(n), metadata={"rows": int(n)})
                if dg.AssetCheckKey(key, "no_future_available_at") in selected:
                    n = wh.query(NO_FUTURE_SQL.format(table=table))["n"][0]
                    yield dg.AssetCheckResult(asset_key=key, check_name="no_future_available_at",
                                              passed=n == 0, metadata={"future_rows": int(n)})
            key = dg.AssetKey(["raw", quarantined])
            if dg.AssetCheckKey(key, "quarantine_empty") in selected:
                counts = wh.query(
                    "SELECT reason, count(*) AS n FROM raw.quarantine WHERE source = "
                    f"'{source}' GROUP BY reason ORDER BY n DESC")
                yield dg.AssetCheckResult(
                    asset_key=key, check_name="quarantine_empty", passed=counts.is_empty(),
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"by_reason": dg.MetadataValue.json(dict(zip(
                        counts["reason"].to_list(), counts["n"].to_list(), strict=True)))})

    return _checks
