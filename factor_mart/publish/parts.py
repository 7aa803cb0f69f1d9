"""The parts of the large mart tables, shared by the versions of both backends: a table in
SNAPSHOT_ORDER is cut into a part per calendar year before its newest year and a part per month
of the newest year, and each part is named by its content, so a publish writes only the parts
that changed and the versions share the others.

The newest year is cut by month because the daily run rewrites the current month: with a part
per year, each day sorted and wrote the whole year to date (18.5 M rows in December at 1,000
symbols). When a new year starts, the last one's months become one part, once.

A part's content is its columns, row count and fingerprint: the sum of a 64-bit hash of every
row, so any change of any value, row added or row removed shows; two different contents agree
by chance with odds of ~2^-64. The warehouse keeps each part's fingerprint
(`audit.part_fingerprints`), and a publish hashes again only the parts whose row count or
columns changed or whose dates a write logged since (`audit.date_writes`, kept by
`replace_partition` and `replace_table`): the daily publish hashes the month the run rewrote,
not ten years (every part was 4.9 s of a 5.5 s publish at 1,000 symbols). A change made around
those writers that keeps every part's row count (an UPDATE by hand) is published once a write
touches its part, or after `DELETE FROM audit.part_fingerprints` (every part hashed again); a
table made again (CREATE OR REPLACE) loses the comment naming its fingerprints, and is hashed
again whole.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from factor_mart.settings import Backend
from factor_mart.warehouse import Warehouse
from factor_mart.warehouse.tables import WRITES_TABLE, date_index_scans, ensure_write_log

# Tables too large to copy into every version: (date column, row order within a DuckDB part).
SNAPSHOT_ORDER = {"fct_factor_values": ("date", "factor, symbol, date")}
FINGERPRINTS_TABLE = "audit.part_fingerprints"
_FINGERPRINTS_DDL = (f"CREATE TABLE IF NOT EXISTS {FINGERPRINTS_TABLE} (table_name VARCHAR "
                     "NOT NULL, part INTEGER, columns VARCHAR NOT NULL, row_count BIGINT NOT "
                     "NULL, fingerprint VARCHAR NOT NULL, table_token VARCHAR NOT NULL)")
# The comment a fingerprinted table carries: a table made again (CREATE OR REPLACE, dbt's
# table materialization, DROP and CREATE) has none, and all its parts are hashed again.
_TOKEN_PREFIX = "factor-mart fingerprints "


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
    (on PostgreSQL dropped when the publish's transaction ends). The parts of the tables in
    SNAPSHOT_ORDER not written since their fingerprint was kept are not read again."""
    postgres = wh.backend is Backend.postgres
    wh.execute(("CREATE TEMP TABLE" if postgres else "CREATE OR REPLACE TEMP TABLE") +
               " publish_parts (table_name VARCHAR, part INTEGER, columns VARCHAR, "
               f"row_count BIGINT, fingerprint {_FINGERPRINT_TYPE[wh.backend]})" +
               (" ON COMMIT DROP" if postgres else ""))
    ensure_write_log(wh)
    wh.execute(_FINGERPRINTS_DDL)
    writes = wh.query(f"SELECT table_name, first_date, last_date, written_at FROM {WRITES_TABLE}")
    catalog = wh.query("SELECT current_database() AS c")["c"][0]
    p = wh.placeholder
    for table in tables:
        columns = wh.query(_columns_sql(catalog, table))["columns"][0]
        if table in SNAPSHOT_ORDER:
            token = _table_comment(wh, table)
            held = _part_prints(wh, table, columns, writes.filter(table_name=f"marts.{table}"),
                                token)
            if not (token or "").startswith(_TOKEN_PREFIX):
                token = _TOKEN_PREFIX + uuid.uuid4().hex
                wh.execute(f"COMMENT ON TABLE marts.{table} IS {literal(token)}")
            wh.execute(f"DELETE FROM {FINGERPRINTS_TABLE} WHERE table_name = {p}", [table])
            for values in held:
                wh.execute(f"INSERT INTO {FINGERPRINTS_TABLE} VALUES ({p}, {p}, {p}, {p}, {p}, "
                           f"{p})", [table, values[0], columns, *values[1:], token])
        else:  # without a part column, one row even for an empty table: the table is tracked
            held = _hashed(wh, table, "NULL", "", "").rows()
        for values in held:
            wh.execute(f"INSERT INTO publish_parts VALUES ({p}, {p}, {p}, {p}, "
                       f"CAST({p} AS {_FINGERPRINT_TYPE[wh.backend]}))",
                       [table, values[0], columns, *values[1:]])
    if writes.height:  # seen by this publish (on PostgreSQL, in its snapshot)
        wh.execute(f"DELETE FROM {WRITES_TABLE} WHERE written_at <= {p}",
                   [writes["written_at"].max()])


def _hashed(wh: Warehouse, table: str, part: str, where: str, grouping: str):
    """(part, row_count, fingerprint as text) of the rows of `marts.<table>` matching `where`."""
    names = ", ".join(f'"{c}"' for c in wh.query(f"SELECT * FROM marts.{table} LIMIT 0").columns)
    row_hash = _ROW_HASH[wh.backend].format(names=names)
    # A query, its rows inserted after: PostgreSQL plans the SELECT of an INSERT without
    # parallel workers (19 s instead of 6 s for 46.9 M rows).
    return wh.query(f"SELECT {part} AS part, count(*) AS row_count, CAST(coalesce("
                    f"sum({row_hash}), 0) AS VARCHAR) AS fingerprint "
                    f"FROM marts.{table} {where} {grouping}")


def _table_comment(wh: Warehouse, table: str) -> str | None:
    if wh.backend is Backend.postgres:
        found = wh.query("SELECT obj_description(to_regclass(%s), 'pg_class') AS c",
                         [f"marts.{table}"])
    else:
        found = wh.query("SELECT comment AS c FROM duckdb_tables() WHERE database_name = "
                         "current_database() AND schema_name = 'marts' AND table_name = ?",
                         [table])
    return found["c"][0] if found.height else None


def _part_prints(wh: Warehouse, table: str, columns: str, writes, token: str | None
                 ) -> list[tuple]:
    """(part, row_count, fingerprint) of each part of `table`: kept ones where the table is the
    one fingerprinted (`token`), the part's columns and row count are as kept and no logged
    write touched its dates, hashed again otherwise. The rows are counted per date (one pass
    over the date column: on PostgreSQL 2.0 s for 46.9 M rows, 5.8 s grouped by the part
    expression)."""
    column = SNAPSHOT_ORDER[table][0]
    kept = {row[0]: row[1:] for row in wh.query(
        f"SELECT part, columns, row_count, fingerprint FROM {FINGERPRINTS_TABLE} "
        f"WHERE table_name = {wh.placeholder} AND table_token = {wh.placeholder}",
        [table, token or ""]).iter_rows()}
    if not kept:  # the first publish, a table made again or a reset: every part, one pass
        return _hashed(wh, table, part_of_row(table), "", "GROUP BY 1").sort(
            "part", nulls_last=True).rows()
    per_day = wh.query(f"SELECT {column} AS day, count(*) AS n FROM marts.{table} GROUP BY 1")
    newest = per_day["day"].max()
    counts: dict[int | None, int] = {}
    for day, rows in per_day.iter_rows():
        number = None if day is None else part_of_day(day, newest.year)
        counts[number] = counts.get(number, 0) + rows
    spans = writes.select("first_date", "last_date").rows()

    def written(number: int | None) -> bool:
        if number is None:
            return True
        first, after = part_range(number)
        return any(a is None or b is None or (a < after and b >= first) for a, b in spans)

    held = []
    for number, rows in sorted(counts.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        if written(number) or kept.get(number, (None, None))[:2] != (columns, rows):
            with date_index_scans(wh):
                (_, rows, fingerprint), = _hashed(wh, table, "NULL",
                                                  f"WHERE {part_filter(column, number)}",
                                                  "").rows()
            held.append((number, rows, fingerprint))
        else:
            held.append((number, rows, kept[number][2]))
    return held


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


def part_of_day(day: date, newest_year: int) -> int:
    """`part_of_row` of one date, in a table whose newest date is in `newest_year`."""
    return day.year if day.year < newest_year else day.year * 100 + day.month


def part_range(part: int) -> tuple[date, date]:
    """The first day of a part (see `part_of_row`) and the day after its last."""
    year, month = (part // 100, part % 100) if part > 9999 else (part, None)
    last = month or 12
    return date(year, month or 1, 1), date(year + last // 12, last % 12 + 1, 1)


def part_filter(column: str, part: int | None) -> str:
    """The rows of one part (see `part_of_row`): a year, a year and month, or no date."""
    if part is None:
        return f"{column} IS NULL"
    first, after = part_range(part)
    return f"{column} >= DATE '{first}' AND {column} < DATE '{after}'"
