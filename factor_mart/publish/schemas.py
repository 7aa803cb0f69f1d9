"""PostgreSQL: a version is schema `mart_v<version>`, made in one REPEATABLE READ transaction
that also inserts the `marts.mart_versions` row, so readers see the old or the new version,
never a half-made one. Old versions beyond `snapshot_keep` are removed, and then the parts no
version reads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from factor_mart.publish import parts, versions
from factor_mart.settings import Settings
from factor_mart.warehouse import Warehouse, connect

log = logging.getLogger(__name__)

# A version's small tables are copies; each table in SNAPSHOT_ORDER is a view over part tables in
# schema PARTS_SCHEMA, cut as on DuckDB (a year, a month of the newest year), named by their
# content (`parts`) and shared by every version holding that content, so a publish copies and
# indexes only the parts that changed: the daily run its month instead of every row (46.9 M at 250
# symbols x 10 years). Each part has a CHECK constraint on its dates, so the planner reads only
# the parts a date filter can match (constraint_exclusion covers UNION ALL views), and the indexes
# of the API's reads. A part keeps the factor stage's row order (date, symbol, factor: a symbol's
# values of a date are on a page or two), so an index on (symbol, date) serves a symbol's history
# of some factors and one on (date) a factor's cross-section on a date and the latest dates
# (`max(date)`, with or without a factor: a backward scan). Against (symbol, factor, date) and
# (date, factor) they take half the time to build (1.8 instead of 3.7 s for a year at 250 symbols:
# the text keys of the first sorted every row; the date index's input is already in order); a
# cross-section then reads its date's pages (~200 at 250 symbols) instead of ~10.
PARTS_SCHEMA = "mart_parts"
POSTGRES_INDEXES = {"fct_factor_values": ("symbol, date", "date")}
POSTGRES_INDEX_MEMORY = "512MB"
# The text columns of a part are copied with byte-order collation: the database's (C.UTF-8
# here) compares through strcoll, without abbreviated keys, and sorting the keys of an index
# on (symbol, factor, date) took 92 s at 250 x 10 against 70 s in byte order. Byte order is
# DuckDB's and, for ASCII tickers and factor names, the same order as C.UTF-8's; equality and
# joins with the other tables' columns are unaffected (deterministic collations).
POSTGRES_KEY_COLLATION = "C"
# Changing how a part table is made changes every part's name (it is in the digest).
POSTGRES_PART_LAYOUT = ("postgres table in the warehouse's order, text collated "
                        f"{POSTGRES_KEY_COLLATION}, date check, indexes {POSTGRES_INDEXES}")


def publish_postgres(settings: Settings) -> versions.MartVersion:
    with connect(settings) as wh:
        for schema in ("marts", PARTS_SCHEMA):
            wh.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        wh.execute(versions.VERSIONS_DDL)
        with wh.transaction():
            # One snapshot of every mart table; the lock serialises concurrent publishers.
            wh.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            wh.execute("LOCK TABLE marts.mart_versions IN EXCLUSIVE MODE")
            # Sorting the index keys in memory instead of in many small runs on disk.
            wh.execute(f"SET LOCAL maintenance_work_mem = '{POSTGRES_INDEX_MEMORY}'")
            # Compiling the fingerprint's row hashes cost more than it saved (10.7 s against
            # 6.2 s for 46.9 M rows).
            wh.execute("SET LOCAL jit = off")
            tables = versions.mart_tables(wh)
            number = int(wh.query("SELECT coalesce(max(version), 0) AS v "
                                  "FROM marts.mart_versions")["v"][0]) + 1
            counts, freshness, low, high = versions.describe(wh, tables)
            version = versions.MartVersion(number, datetime.now(UTC).replace(tzinfo=None), low,
                                           high, counts, freshness, f"mart_v{number}")
            wh.execute(f"CREATE SCHEMA {version.location}")
            parts.fingerprint_marts(wh, [t for t in tables if t in parts.SNAPSHOT_ORDER])
            written: dict[tuple[str, Any], int] = {}
            for table in tables:
                target = f"{version.location}.{table}"
                if table not in parts.SNAPSHOT_ORDER:
                    wh.execute(f"CREATE TABLE {target} AS SELECT * FROM marts.{table}")
                    # A new table has no planner statistics until autovacuum comes by.
                    wh.execute(f"ANALYZE {target}")
                    written[(table, None)] = counts[table]
                    continue
                names = []
                for part, rows, digest in parts.held_parts(wh, table, POSTGRES_PART_LAYOUT):
                    # At most 63 characters, as PostgreSQL names are.
                    name = f"{table}_{parts.part_label(part)}_{digest}"
                    if wh.query("SELECT to_regclass(%s) IS NULL AS new",
                                [f"{PARTS_SCHEMA}.{name}"])["new"][0]:
                        _write_postgres_part(wh, table, part, name)
                        written[(table, part)] = rows
                    names.append(name)
                wh.execute(f"CREATE VIEW {target} AS " + " UNION ALL ".join(
                    f"SELECT * FROM {PARTS_SCHEMA}.{name}" for name in names)
                    if names else f"CREATE TABLE {target} AS SELECT * FROM marts.{table} LIMIT 0")
            versions.insert_version(wh, version)
            wh.execute(f"CREATE TABLE {version.location}.mart_versions AS "
                       "SELECT * FROM marts.mart_versions")
        with wh.transaction():
            wh.execute("LOCK TABLE marts.mart_versions IN EXCLUSIVE MODE")
            removed = _remove_old_postgres_versions(wh, number - settings.snapshot_keep)
    log.info("published %s: %d row(s) written (%s), %d unused part(s) removed",
             version.location, sum(written.values()),
             ", ".join(t if p is None else f"{t} {p}" for t, p in written) or "nothing",
             removed)
    return version


def _write_postgres_part(wh: Warehouse, table: str, part: int | None, name: str) -> None:
    """One part of `marts.<table>` as table `<PARTS_SCHEMA>.<name>`: its text columns in
    POSTGRES_KEY_COLLATION, a CHECK of its dates, its indexes and statistics."""
    target = f"{PARTS_SCHEMA}.{name}"
    rows = parts.part_filter(parts.SNAPSHOT_ORDER[table][0], part)
    wh.execute(f"CREATE TABLE {target} (LIKE marts.{table})")
    text = wh.query(
        "SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "AND attcollation <> 0 ORDER BY attnum", [target])
    # The table is still empty: changing a collation or adding a check rewrites nothing.
    wh.execute(f"ALTER TABLE {target} ADD CHECK ({rows})" + "".join(
        f', ALTER COLUMN "{column}" TYPE {kind} COLLATE "{POSTGRES_KEY_COLLATION}"'
        for column, kind in text.iter_rows()))
    # The warehouse's BRIN index on the date finds a part's pages; without statistics the
    # planner would scan the whole table for each part.
    seqscan = wh.query("SELECT current_setting('enable_seqscan') AS v")["v"][0]
    wh.execute("SET LOCAL enable_seqscan = off")
    wh.execute(f"INSERT INTO {target} SELECT * FROM marts.{table} WHERE {rows}")
    wh.execute(f"SET LOCAL enable_seqscan = {seqscan}")
    for columns in POSTGRES_INDEXES.get(table, ()):
        wh.execute(f"CREATE INDEX ON {target} ({columns})")
    wh.execute(f"ANALYZE {target}")  # a new table has no planner statistics


def _remove_old_postgres_versions(wh: Warehouse, newest_removed: int) -> int:
    """Drop the version schemas numbered up to `newest_removed`, then the part tables no
    remaining version's views read; how many parts went."""
    old = wh.query("SELECT nspname FROM pg_namespace WHERE nspname ~ '^mart_v[0-9]+$'")
    for schema in old["nspname"].to_list() if old.height else []:
        if int(schema.removeprefix("mart_v")) <= newest_removed:
            wh.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    unused = wh.query(f"""
        SELECT c.relname FROM pg_class AS c
        WHERE c.relnamespace = '{PARTS_SCHEMA}'::regnamespace AND c.relkind = 'r'
            AND NOT EXISTS (
                SELECT FROM pg_depend AS d JOIN pg_rewrite AS r ON r.oid = d.objid
                WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                    AND d.refobjid = c.oid AND r.ev_class <> c.oid)""")
    names = unused["relname"].to_list() if unused.height else []
    for name in names:
        wh.execute(f"DROP TABLE {PARTS_SCHEMA}.{name}")
    return len(names)


