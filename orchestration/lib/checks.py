"""Checks every raw table gets: it has rows, nothing claims to be from the future, and the
source's quarantine is empty (a warning).

They are declared on the landing multi-asset and evaluated in its step, on its connection,
right after the landing: a run that lands one company then costs one step and one connection,
not two (the EDGAR sensor starts a run per filer, and each step and connection costs
~0.1 s of Dagster events and DuckDB open/close).
"""

from collections.abc import Iterator

import dagster as dg

from factor_mart.warehouse import Warehouse

# One aggregate of the audit table joined once (as a per-row subquery PostgreSQL scanned the
# audit table for every raw row).
NO_FUTURE_SQL = """SELECT count(*) FROM raw.{table} r JOIN (SELECT load_id,
    max(finished_at) AS finished_at FROM audit.loads GROUP BY load_id) l
    ON l.load_id = r.load_id WHERE r.available_at > l.finished_at"""
# Tables a source may legitimately leave empty: an empty one is a warning. EDGAR's ticker map
# (company_tickers.json) is optional: the submissions carry each company's tickers, and the
# synthetic universe and replay folders without the file have none.
OPTIONAL_TABLES = frozenset({"edgar_tickers"})


def raw_check_specs(source: str, tables: tuple[str, ...],
                    quarantined: str) -> list[dg.AssetCheckSpec]:
    """The checks of a source's raw tables, shown beside each table in the UI."""
    return [spec for table in tables for spec in (
        dg.AssetCheckSpec("has_rows", asset=["raw", table],
                          description=f"raw.{table} is not empty."),
        dg.AssetCheckSpec("no_future_available_at", asset=["raw", table],
                          description="No row became knowable after the load that stored it."),
    )] + [dg.AssetCheckSpec("quarantine_empty", asset=["raw", quarantined],
                            description=f"No {source} records in raw.quarantine.")]


def raw_check_results(wh: Warehouse, source: str, tables: tuple[str, ...],
                      quarantined: str) -> Iterator[dg.AssetCheckResult]:
    """Evaluate ``raw_check_specs`` on ``wh`` (after the landing, on its connection)."""
    # One statement for every table: each query is a round trip through DuckDB's planner.
    counts = wh.query(" UNION ALL ".join(
        f"SELECT '{table}' AS t, (SELECT count(*) FROM raw.{table}) AS n, "
        f"({NO_FUTURE_SQL.format(table=table)}) AS future" for table in tables))
    for table, n, future in counts.iter_rows():
        key = dg.AssetKey(["raw", table])
        yield dg.AssetCheckResult(
            asset_key=key, check_name="has_rows", passed=bool(n), metadata={"rows": int(n)},
            severity=dg.AssetCheckSeverity.WARN if table in OPTIONAL_TABLES
            else dg.AssetCheckSeverity.ERROR)
        yield dg.AssetCheckResult(asset_key=key, check_name="no_future_available_at",
                                  passed=future == 0, metadata={"future_rows": int(future)})
    reasons = wh.query(f"SELECT reason, count(*) AS n FROM raw.quarantine WHERE source = "
                       f"{wh.placeholder} GROUP BY reason ORDER BY n DESC", [source])
    yield dg.AssetCheckResult(
        asset_key=["raw", quarantined], check_name="quarantine_empty", passed=reasons.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"by_reason": dg.MetadataValue.json(dict(zip(
            reasons["reason"].to_list(), reasons["n"].to_list(), strict=True)))})
