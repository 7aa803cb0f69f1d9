"""The parts of the large mart tables, shared by the versions of both backends: a table in
SNAPSHOT_ORDER is cut into a part per calendar year before its newest year and a part per month
of the newest year, and each part is named by its content, so a publish writes only the parts
that changed and the versions share the others.

The newest year is cut by month because the daily run rewrites the current month: with a part
per year, each day sorted and wrote the whole year to date (18.5 M rows in December at 1,000
symbols). When a new year starts, the last one's months become one part, once.

A part's content is its columns, row count and fingerprint: the sum of a 64-bit hash of every
row, so any change of any value, row added or row removed shows, whoever wrote it (a build
step, a roll-back or a hand edit); two different contents agree by chance with odds of ~2^-64.
Counting the warehouse's fingerprints is one scan of the marts, a fraction of the cost of
writing them.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from factor_mart.settings import Backend
from factor_mart.warehouse import Warehouse

# Tables too large to copy into every version: (date column, row order within a DuckDB part).
SNAPSHOT_ORDER = {"fct_factor_values": ("date", "factor, symbol, date")}


def literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _columns_sql(catalog: str, table: str) -> str:
    return ("SELECT string_agg(column_name || ' ' || data_type, ', ' "
            "ORDER BY ordinal_position) AS columns FROM information_schema.columns "
            f"WHERE table_catalog = '{catalog}' AND table_schema = 'marts' "
            f"AND table_name = '{table}'")


# A row's 64-bit hash and the type its sum over a part needs, per backend.
_ROW_HASH = {Backend.duckdb: "hash({names})",
             Backend.postgres: "hash_record_extended(ROW({names}), 0)"}
_FINGERPRINT_TYPE = {Backend.duckdb: "HUGEINT", Backend.postgres: "NUMERIC"}


def fingerprint_marts(wh: Warehouse, tables: list[str]) -> None:
    """Temp table `publish_parts`: every part of every mart table as the warehouse holds it
    (on PostgreSQL dropped when the publish's transaction ends)."""
    postgres = wh.backend is Backend.postgres
    wh.execute(("CREATE TEMP TABLE" if postgres else "CREATE OR REPLACE TEMP TABLE") +
               " publish_parts (table_name VARCHAR, part INTEGER, columns VARCHAR, "
               f"row_count BIGINT, fingerprint {_FINGERPRINT_TYPE[wh.backend]})" +
               (" ON COMMIT DROP" if postgres else ""))
    catalog = wh.query("SELECT current_database() AS c")["c"][0]
    for table in tables:
        columns = wh.query(_columns_sql(catalog, table))["columns"][0]
        names = ", ".join(f'"{c}"' for c in wh.query(f"SELECT * FROM marts.{table} LIMIT 0")
                          .columns)
        # Without a part column, one row even for an empty table: the table itself is tracked.
        part, grouping = (part_of_row(table), "GROUP BY 1") \
            if table in SNAPSHOT_ORDER else ("NULL", "")
        row_hash = _ROW_HASH[wh.backend].format(names=names)
        # Counted by a query, then inserted: PostgreSQL plans the SELECT of an INSERT without
        # parallel workers (19 s instead of 6 s for 46.9 M rows).
        held = wh.query(f"SELECT {part} AS part, count(*) AS row_count, CAST(coalesce("
                        f"sum({row_hash}), 0) AS VARCHAR) AS fingerprint "
                        f"FROM marts.{table} {grouping}")
        p = wh.placeholder
        for values in held.iter_rows():
            wh.execute(f"INSERT INTO publish_parts VALUES ({p}, {p}, {p}, {p}, "
                       f"CAST({p} AS {_FINGERPRINT_TYPE[wh.backend]}))",
                       [table, values[0], columns, *values[1:]])


def held_parts(wh: Warehouse, table: str, layout: str) -> list[tuple[int | None, int, str]]:
    """(part, rows, digest) of each part of `table` in `publish_parts` (see `part_digest`)."""
    held = wh.query("SELECT part, columns, row_count, CAST(fingerprint AS VARCHAR) AS print "
                    f"FROM publish_parts WHERE table_name = {wh.placeholder} "
                    "ORDER BY part NULLS LAST", [table])
    return [(part, row_count,
             part_digest(table, part, columns, row_count, int(fingerprint), layout))
            for part, columns, row_count, fingerprint in held.iter_rows()]


def part_digest(table: str, part: int | None, columns: str, row_count: int, fingerprint: int,
                layout: str) -> str:
    """The digest naming the file (DuckDB) or table (PostgreSQL) that holds one part: the same
    content in the same `layout`, the same name."""
    order = SNAPSHOT_ORDER[table][1]
    key = f"{table}|{part}|{columns}|{row_count}|{fingerprint}|{order}|{layout}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def part_label(part: int | None) -> str:
    return "null" if part is None else str(part)


def part_of_row(table: str) -> str:
    """The part a row of `marts.<table>` belongs to: its year (e.g. 2024) before the table's
    newest year, its year and month (202512) in the newest year (SQL of both backends)."""
    column = SNAPSHOT_ORDER[table][0]
    year = f"CAST(date_part('year', {column}) AS INTEGER)"
    return (f"CASE WHEN {year} < (SELECT max({year}) FROM marts.{table}) THEN {year} "
            f"ELSE {year} * 100 + CAST(date_part('month', {column}) AS INTEGER) END")


def part_filter(column: str, part: int | None) -> str:
    """The rows of one part (see `part_of_row`): a year, a year and month, or no date."""
    if part is None:
        return f"{column} IS NULL"
    year, month = (part // 100, part % 100) if part > 9999 else (part, None)
    last = month or 12
    first, after = date(year, month or 1, 1), date(year + last // 12, last % 12 + 1, 1)
    return f"{column} >= DATE '{first}' AND {column} < DATE '{after}'"


