"""Publish the marts as an immutable, numbered version that the API reads while builds run.

DuckDB: the marts schema is published as `snapshots/mart-<version>.duckdb` beside the warehouse
file, renamed into place, and `snapshots/current.json` is swapped atomically (os.replace). The
small tables are in that file (it starts as a copy of the newest one and rewrites only the
tables that changed); fct_factor_values is a view over immutable part files, one per past year
and one per month of the newest year (`snapshots/part-*.duckdb`, named by their content and
shared between versions), so only the parts that changed are written. Readers open a version
with `open_snapshot` and keep reading their own immutable files.
PostgreSQL: a version is schema `mart_v<version>`, made in one REPEATABLE READ transaction
that also inserts the `marts.mart_versions` row, so readers see the old or the new version,
never a half-made one: the small tables are copied, fct_factor_values is a view over indexed
part tables cut and shared as the DuckDB parts are (schema `mart_parts`). Old versions beyond
`snapshot_keep` are removed, and then the parts no version reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import Warehouse, connect

VERSIONS_TABLE = "mart_versions"
_VERSIONS_DDL = """
CREATE TABLE IF NOT EXISTS marts.mart_versions (
    version BIGINT NOT NULL, published_at TIMESTAMP NOT NULL, min_date DATE, max_date DATE,
    row_counts VARCHAR NOT NULL, freshness VARCHAR NOT NULL, location VARCHAR NOT NULL
)"""

# Per source, the newest date the marts hold: (table, column).
FRESHNESS_COLUMNS = {
    "ibkr": ("fct_prices_daily", "trading_date"),
    "edgar": ("fct_fundamentals_asof", "known_from"),
    "fred": ("fct_macro_asof", "trading_date"),
    "factors": ("fct_factor_values", "date"),
    "macro_factors": ("fct_macro_series", "date"),
}
_SNAPSHOT_NAME = re.compile(r"^mart-(\d+)\.duckdb$")
PUBLISH_MEMORY_LIMIT = "3GB"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MartVersion:
    """One published version of the marts and where readers find it."""

    version: int
    published_at: datetime
    min_date: date | None
    max_date: date | None
    row_counts: dict[str, int] = field(default_factory=dict)
    freshness: dict[str, str | None] = field(default_factory=dict)
    location: str = ""  # snapshot file name (DuckDB) or schema name (PostgreSQL)

    def event(self) -> dict[str, Any]:
        """The stream event announcing this version (its id is the version number)."""
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat()
        for key in ("min_date", "max_date"):
            data[key] = data[key].isoformat() if data[key] else None
        data.pop("location")
        return {"id": self.version, "type": "mart_published", "data": data}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MartVersion:
        return cls(version=int(row["version"]), published_at=row["published_at"],
                   min_date=row["min_date"], max_date=row["max_date"],
                   row_counts=json.loads(row["row_counts"]),
                   freshness=json.loads(row["freshness"]), location=row["location"])


def snapshot_dir(settings: Settings) -> Path:
    return settings.duckdb_path.parent / "snapshots"


def _mart_tables(wh: Warehouse) -> list[str]:
    # Base tables only: the wide BI views are not read by the API and would be materialised.
    # On PostgreSQL not the partitions of a partitioned table either: they are its rows.
    sql = ("SELECT relname AS table_name FROM pg_class WHERE relnamespace = 'marts'::regnamespace "
           "AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY relname"
           if wh.backend is Backend.postgres else
           "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
           "AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [n for n in wh.query(sql)["table_name"].to_list() if n != VERSIONS_TABLE]


def _describe(wh: Warehouse, tables: list[str]) -> tuple[dict, dict, date | None, date | None]:
    """Row counts, per-source freshness and the factor date range of the marts right now: one
    scan of each table (PostgreSQL scans a table for each aggregate query: three of the factor
    values took ~3 s at 250 symbols)."""
    dated = {table: column for table, column in FRESHNESS_COLUMNS.values()}
    counts: dict[str, int] = {}
    bounds: dict[str, tuple[Any, Any]] = {}
    for table in tables:
        column = dated.get(table)
        extra = f", min({column}) AS lo, max({column}) AS hi" if column else ""
        row = wh.query(f"SELECT count(*) AS n{extra} FROM marts.{table}").row(0, named=True)
        counts[table] = int(row["n"])
        if column:
            bounds[table] = (row["lo"], row["hi"])
    freshness = {source: (bounds[table][1].isoformat()[:10]
                          if bounds[table][1] is not None else None)
                 for source, (table, _) in FRESHNESS_COLUMNS.items() if table in bounds}
    low, high = next((bounds[t] for t in ("fct_factor_values", "fct_prices_daily")
                      if t in bounds), (None, None))
    return counts, freshness, _as_date(low), _as_date(high)


def _as_date(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _insert_version(wh: Warehouse, v: MartVersion, table: str = "marts.mart_versions") -> None:
    wh.execute(f"INSERT INTO {table} VALUES ({', '.join([wh.placeholder] * 7)})",
               [v.version, v.published_at, v.min_date, v.max_date, json.dumps(v.row_counts),
                json.dumps(v.freshness), v.location])


def publish(settings: Settings | None = None) -> MartVersion:
    """Publish the current marts as the next version and announce it to the API's streams."""
    settings = settings or Settings()
    if settings.backend is Backend.postgres:
        version = _publish_postgres(settings)
    else:
        version = _publish_duckdb(settings)
    announce(settings, version)
    return version


def _publish_duckdb(settings: Settings) -> MartVersion:
    folder = snapshot_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with connect(settings) as wh:  # the write lock keeps builds (and other publishes) out
        # DuckDB would otherwise keep what it reads cached up to 80% of RAM (9+ GB copying
        # 1,000 symbols x 10 years); the copy streams and the sorts spill to disk instead.
        wh.execute(f"SET memory_limit = '{PUBLISH_MEMORY_LIMIT}'")
        wh.execute("CREATE SCHEMA IF NOT EXISTS marts")
        wh.execute(_VERSIONS_DDL)
        tables = _mart_tables(wh)
        existing = {int(m.group(1)): p for p in folder.iterdir()
                    if (m := _SNAPSHOT_NAME.match(p.name))}
        stored = wh.query("SELECT coalesce(max(version), 0) AS v FROM marts.mart_versions")["v"][0]
        number = max([int(stored), *existing]) + 1
        counts, freshness, low, high = _describe(wh, tables)
        version = MartVersion(number, datetime.now(UTC).replace(tzinfo=None), low, high,
                              counts, freshness, f"mart-{number}.duckdb")
        partial = folder / f".mart-{number}.duckdb.partial"
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)  # left by a publish that was killed
        for left in folder.glob(f".{PART_PREFIX}*.partial*"):
            left.unlink(missing_ok=True)
        _fingerprint_marts(wh, tables)
        # The newest file is always complete: a snapshot is renamed into place only when done.
        base = existing[max(existing)] if existing else None
        reused = base is not None and _reusable(wh, base)
        if reused:
            _copy_file(base, partial)
        wh.execute(f"ATTACH {_literal(partial)} AS snap")
        try:
            if not reused:
                wh.execute("CREATE SCHEMA snap.marts")
                wh.execute(f"CREATE SCHEMA snap.{_META_SCHEMA}")
                wh.execute(_PARTS_DDL)
            written = _sync_snapshot(wh, tables, number, folder)
            wh.execute("CREATE OR REPLACE TABLE snap.marts.mart_versions AS "
                       "SELECT * FROM marts.mart_versions")
            _insert_version(wh, version, "snap.marts.mart_versions")
        finally:
            wh.execute("DETACH snap")
        os.replace(partial, folder / version.location)
        _insert_version(wh, version)
        _write_pointer(folder, version)
        for old_number, old in existing.items():
            if old_number <= number - settings.snapshot_keep:
                old.unlink(missing_ok=True)  # open readers keep their file handle (POSIX)
        removed = _remove_unused_parts(wh, folder)
    log.info("published %s: %s, %d row(s) written (%s), %d unused part(s) removed",
             version.location, f"from mart-{max(existing)}.duckdb" if reused else "new file",
             sum(written.values()),
             ", ".join(t if p is None else f"{t} {p}" for t, p in written) or "nothing",
             removed)
    return version


# Tables too large to copy into every version: (date column, row order within each part).
# Each part of such a table, a calendar year before the table's newest year and a month of the
# newest year, is written once, sorted, into an immutable DuckDB file
# `snapshots/part-<table>-<part>-<digest>.duckdb` named by its content (table, part, columns,
# row count and fingerprint: see below). A version's file holds the small tables and a view
# over the parts it uses (UNION ALL of each part attached under its file's stem, see
# `open_snapshot`), so a publish writes only the parts whose content changed and the versions
# share the others: unchanged parts are neither copied nor rewritten. The newest year is cut by
# month because the daily run rewrites the current month: with a part per year, each day
# sorted and wrote the whole year to date (18.5 M rows in December at 1,000 symbols). When a
# new year starts, the last one's months become one part, once. Parts that no version file
# uses are removed after each publish.
# fct_factor_values by factor, symbol and date within a year: a factor's cross-section on a
# date reads one factor-year, a symbol's history of a few factors one row group per factor and
# year. In the build's date order a history read every row of its date range (24 M rows a year
# at 1,000 symbols: 0.1-0.5 s instead of ~6 ms). Parquet parts were measured and rejected:
# each query pays for opening and pruning ten files (cross-section 16-20 ms, history 25-40 ms
# against 4-9 and 8-20 ms in DuckDB's format at 1,000 x 10).
SNAPSHOT_ORDER = {"fct_factor_values": ("date", "factor, symbol, date")}
PART_PREFIX = "part-"
# Changing the layout of a part file changes every part's name (it is in the digest).
PART_LAYOUT = "duckdb table in main, text sort keys as ranks"

# A new version's file starts as a byte copy of the newest one (small: the parts are beside
# it) and rewrites only what changed: a table outside SNAPSHOT_ORDER whole, the view over the
# parts of a table in it. Each version records in `snapshot_meta.parts` what every part held
# when it was published: its columns, row count and fingerprint (the sum of a 64-bit hash of
# every row, so any change of any value, row added or row removed shows, whoever wrote it: a
# build step, a roll-back or a hand edit; two different contents agree by chance with odds of
# ~2^-64), and the part file holding it (NULL for a table outside SNAPSHOT_ORDER). Counting the
# warehouse's fingerprints is one scan of the marts, a fraction of the cost of sorting and
# writing them. The API reads only schema `marts`.
_META_SCHEMA = "snapshot_meta"
_PARTS_DDL = f"""
CREATE TABLE snap.{_META_SCHEMA}.parts (
    table_name VARCHAR NOT NULL, part INTEGER, columns VARCHAR NOT NULL,
    row_count BIGINT NOT NULL, fingerprint HUGEINT NOT NULL, written_in BIGINT NOT NULL,
    file VARCHAR
)"""
# Deleted rows leave free blocks that later writes reuse; past this share of the file the
# next publish writes a fresh, compact copy instead.
MAX_FREE_SHARE = 0.35


def _literal(value: Any) -> str:
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


def _fingerprint_marts(wh: Warehouse, tables: list[str]) -> None:
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
        part, grouping = (_part_of_row(table), "GROUP BY 1") \
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


def _held_parts(wh: Warehouse, table: str) -> list[tuple[int | None, int, str]]:
    """(part, rows, name) of each part of `table` in `publish_parts`, `name` as `part_name` gives
    it for the warehouse's backend."""
    held = wh.query("SELECT part, columns, row_count, CAST(fingerprint AS VARCHAR) AS print "
                    f"FROM publish_parts WHERE table_name = {wh.placeholder} "
                    "ORDER BY part NULLS LAST", [table])
    return [(part, row_count,
             part_name(wh.backend, table, part, columns, row_count, int(fingerprint)))
            for part, columns, row_count, fingerprint in held.iter_rows()]


def _reusable(wh: Warehouse, base: Path) -> bool:
    """Whether the snapshot `base` can be the start of the next one: it records its parts and
    their files (a file from before the parts holds the large tables itself), and it is not
    mostly free space."""
    try:
        wh.execute(f"ATTACH {_literal(base)} AS base (READ_ONLY)")
    except duckdb.Error:
        return False  # unreadable: start afresh
    try:
        recorded = wh.query("SELECT count(*) AS n FROM information_schema.columns "
                            f"WHERE table_catalog = 'base' AND table_schema = '{_META_SCHEMA}' "
                            "AND table_name = 'parts' AND column_name = 'file'")["n"][0]
        if not recorded:
            return False
        size = wh.query("SELECT free_blocks, total_blocks FROM pragma_database_size() "
                        "WHERE database_name = 'base'")
        return int(size["free_blocks"][0]) <= MAX_FREE_SHARE * int(size["total_blocks"][0])
    finally:
        wh.execute("DETACH base")


def _copy_file(source: Path, target: Path) -> None:
    """A byte copy of a finished snapshot (the small tables only), inside the kernel
    (sendfile)."""
    shutil.copyfile(source, target)


def part_name(backend: Backend, table: str, part: int | None, columns: str, row_count: int,
              fingerprint: int) -> str:
    """The name of the file (DuckDB) or table (PostgreSQL) holding one part: the same content
    in the same layout, the same name."""
    order = SNAPSHOT_ORDER[table][1]
    layout = PART_LAYOUT if backend is Backend.duckdb else POSTGRES_PART_LAYOUT
    key = f"{table}|{part}|{columns}|{row_count}|{fingerprint}|{order}|{layout}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    label = "null" if part is None else part
    if backend is Backend.postgres:  # at most 63 characters, as PostgreSQL names are
        return f"{table}_{label}_{digest}"
    return f"{PART_PREFIX}{table}-{label}-{digest}.duckdb"


def part_alias(file: str) -> str:
    """The catalog name a part file is attached under (its stem, quoted)."""
    return '"' + Path(file).stem.replace('"', '""') + '"'


def open_snapshot(path: Path, config: dict[str, Any] | None = None
                  ) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the version file `path` with the part files its views read
    attached (read-only; the connection keeps them open, so they stay readable after
    retention removes them)."""
    con = duckdb.connect(str(path), read_only=True, config=config or {})
    try:
        for file in _parts_of(lambda sql: con.execute(sql).fetchall(), None):
            con.execute(f"ATTACH {_literal(path.parent / file)} AS {part_alias(file)} "
                        "(READ_ONLY)")
    except BaseException:
        con.close()
        raise
    return con


def _parts_of(rows: Any, catalog: str | None) -> list[str]:
    """The part files a version uses; `rows(sql)` runs a query where the version is open as
    `catalog` (None: the connection's own database)."""
    where = f"table_catalog = '{catalog}' AND " if catalog else ""
    listed = rows("SELECT count(*) FROM information_schema.columns WHERE " + where +
                  f"table_schema = '{_META_SCHEMA}' AND table_name = 'parts' "
                  "AND column_name = 'file'")
    if not listed[0][0]:
        return []  # a version from before the parts uses none
    prefix = f"{catalog}." if catalog else ""
    return [r[0] for r in rows(f"SELECT file FROM {prefix}{_META_SCHEMA}.parts "
                               "WHERE file IS NOT NULL ORDER BY table_name, part NULLS LAST")]


def _sort_keys(wh: Warehouse, table: str, source: str) -> tuple[str, str]:
    """(joins, ORDER BY list) sorting `source` (a subquery of one part) like SNAPSHOT_ORDER,
    each text column replaced by its rank among the part's distinct values: the same order,
    and sorting integers cost ~30% less CPU than the text (13.6 instead of 19.0 CPU s for a
    year at 1,000 symbols)."""
    kinds = dict(wh.query(f"DESCRIBE SELECT * FROM marts.{table}")
                 .select("column_name", "column_type").iter_rows())
    joins, keys = [], []
    for i, column in enumerate(c.strip() for c in SNAPSHOT_ORDER[table][1].split(",")):
        if kinds.get(column) != "VARCHAR":
            keys.append(f'src."{column}"')
            continue
        joins.append(f'LEFT JOIN (SELECT "{column}", row_number() OVER (ORDER BY "{column}") '
                     f'AS k FROM (SELECT DISTINCT "{column}" FROM {source})) AS k{i} '
                     f'ON k{i}."{column}" = src."{column}"')
        keys.append(f"k{i}.k")  # NULL (no rank) sorts last, as the text NULL does
    return " ".join(joins), ", ".join(keys)


def _write_part(wh: Warehouse, table: str, part: int | None, target: Path) -> None:
    """One part of `marts.<table>`, sorted, as `target` (renamed into place when complete)."""
    column = SNAPSHOT_ORDER[table][0]
    partial = target.with_name(f".{target.name}.partial")
    source = f"(SELECT * FROM marts.{table} WHERE {_part_filter(column, part)})"
    joins, keys = _sort_keys(wh, table, source)
    wh.execute(f"ATTACH {_literal(partial)} AS part_out")
    try:
        wh.execute(f"CREATE TABLE part_out.main.{table} AS SELECT src.* FROM {source} AS src "
                   f"{joins} ORDER BY {keys}")
    finally:
        wh.execute("DETACH part_out")
    Path(f"{partial}.wal").unlink(missing_ok=True)  # empty after the checkpoint at DETACH
    os.replace(partial, target)


def _sync_snapshot(wh: Warehouse, tables: list[str], number: int,
                   folder: Path) -> dict[tuple[str, Any], int]:
    """Make `snap.marts` hold the warehouse's marts: the tables outside SNAPSHOT_ORDER whose
    content differs from what `snap` records rewritten, the others a view over their parts
    (each part written only if no file holds its content yet); the rows written per
    (table, part)."""
    stale = wh.query(f"""
        SELECT coalesce(w.table_name, s.table_name) AS table_name,
               w.row_count IS NOT NULL AS wanted, coalesce(w.row_count, 0) AS rows
        FROM publish_parts AS w FULL JOIN snap.{_META_SCHEMA}.parts AS s
            ON w.table_name = s.table_name AND w.part IS NOT DISTINCT FROM s.part
        WHERE coalesce(w.table_name, s.table_name) NOT IN ({_ordered_list()})
            AND (w.columns IS DISTINCT FROM s.columns OR w.row_count IS DISTINCT FROM s.row_count
                 OR w.fingerprint IS DISTINCT FROM s.fingerprint)
        ORDER BY table_name""")
    present = dict(wh.query("SELECT table_name, table_type FROM information_schema.tables "
                            "WHERE table_catalog = 'snap' AND table_schema = 'marts' "
                            "AND table_name <> 'mart_versions'").iter_rows())
    dropped = False
    for table, kind in present.items():
        if table not in tables or table in SNAPSHOT_ORDER:  # views are made again below
            wh.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} snap.marts.{table}")
            dropped = dropped or kind != "VIEW"
    written: dict[tuple[str, Any], int] = {}
    copies = []
    for table, wanted, rows in stale.iter_rows():
        if table in present and table in tables:
            wh.execute(f"DROP TABLE snap.marts.{table}")
            dropped = True
        if wanted:
            copies.append(table)
            written[(table, None)] = rows
    if dropped:
        # The dropped tables' blocks become free at a checkpoint; the copies then reuse them
        # instead of growing the file.
        wh.execute("CHECKPOINT snap")
    for table in copies:
        wh.execute(f"CREATE TABLE snap.marts.{table} AS SELECT * FROM marts.{table}")
    wh.execute("CREATE OR REPLACE TEMP TABLE publish_files (table_name VARCHAR, part INTEGER, "
               "file VARCHAR, written BOOLEAN)")
    for table in (t for t in tables if t in SNAPSHOT_ORDER):
        files = []
        for part, rows, name in _held_parts(wh, table):
            new = not (folder / name).exists()
            if new:  # a part at a time: each sort fits in memory
                _write_part(wh, table, part, folder / name)
                written[(table, part)] = rows
            wh.execute("INSERT INTO publish_files VALUES (?, ?, ?, ?)", [table, part, name, new])
            files.append(name)
        if files:
            for name in files:  # the view is bound (checked) when it is created
                wh.execute(f"ATTACH {_literal(folder / name)} AS {part_alias(name)} (READ_ONLY)")
            try:
                wh.execute(f"CREATE VIEW snap.marts.{table} AS " + " UNION ALL ".join(
                    f"SELECT * FROM {part_alias(name)}.main.{table}" for name in files))
            finally:
                for name in files:
                    wh.execute(f"DETACH {part_alias(name)}")
        else:  # no rows: no parts
            wh.execute(f"CREATE TABLE snap.marts.{table} AS SELECT * FROM marts.{table} LIMIT 0")
    wh.execute(f"""
        CREATE OR REPLACE TABLE snap.{_META_SCHEMA}.parts AS
        SELECT w.*, CASE WHEN f.written THEN {int(number)}
                         ELSE coalesce(s.written_in, {int(number)}) END AS written_in, f.file
        FROM publish_parts AS w
        LEFT JOIN snap.{_META_SCHEMA}.parts AS s
            ON w.table_name = s.table_name AND w.part IS NOT DISTINCT FROM s.part
            AND w.columns = s.columns AND w.row_count = s.row_count
            AND w.fingerprint = s.fingerprint
        LEFT JOIN publish_files AS f
            ON w.table_name = f.table_name AND w.part IS NOT DISTINCT FROM f.part""")
    return written


def _ordered_list() -> str:
    return ", ".join(_literal(t) for t in SNAPSHOT_ORDER)


def _remove_unused_parts(wh: Warehouse, folder: Path) -> int:
    """Delete the part files no version file in `folder` uses; how many went. Nothing is
    deleted if a version cannot be read (its parts are unknown). A reader that still has a
    removed version open keeps its parts open too (`open_snapshot`)."""
    used: set[str] = set()
    for path in folder.glob("mart-*.duckdb"):
        try:
            wh.execute(f"ATTACH {_literal(path)} AS kept (READ_ONLY)")
        except duckdb.Error:
            log.warning("%s is unreadable: its parts are kept", path.name)
            return 0
        try:
            used.update(_parts_of(lambda sql: wh.query(sql).rows(), "kept"))
        finally:
            wh.execute("DETACH kept")
    removed = 0
    for path in folder.glob(f"{PART_PREFIX}*.duckdb"):
        if path.name not in used:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _part_of_row(table: str) -> str:
    """The part a row of `marts.<table>` belongs to: its year (e.g. 2024) before the table's
    newest year, its year and month (202512) in the newest year (SQL of both backends)."""
    column = SNAPSHOT_ORDER[table][0]
    year = f"CAST(date_part('year', {column}) AS INTEGER)"
    return (f"CASE WHEN {year} < (SELECT max({year}) FROM marts.{table}) THEN {year} "
            f"ELSE {year} * 100 + CAST(date_part('month', {column}) AS INTEGER) END")


def _part_filter(column: str, part: int | None) -> str:
    """The rows of one part (see `_part_of_row`): a year, a year and month, or no date."""
    if part is None:
        return f"{column} IS NULL"
    year, month = (part // 100, part % 100) if part > 9999 else (part, None)
    last = month or 12
    first, after = date(year, month or 1, 1), date(year + last // 12, last % 12 + 1, 1)
    return f"{column} >= DATE '{first}' AND {column} < DATE '{after}'"


def _write_pointer(folder: Path, version: MartVersion) -> None:
    pointer = folder / "current.json"
    partial = folder / "current.json.partial"
    partial.write_text(json.dumps(version.event()["data"] | {"location": version.location}))
    os.replace(partial, pointer)


def read_pointer(settings: Settings) -> MartVersion | None:
    """The DuckDB snapshot readers should use now, or None before the first publish."""
    try:
        data = json.loads((snapshot_dir(settings) / "current.json").read_text())
    except FileNotFoundError:
        return None
    return MartVersion(
        version=data["version"], published_at=datetime.fromisoformat(data["published_at"]),
        min_date=date.fromisoformat(data["min_date"]) if data["min_date"] else None,
        max_date=date.fromisoformat(data["max_date"]) if data["max_date"] else None,
        row_counts=data["row_counts"], freshness=data["freshness"], location=data["location"])


# PostgreSQL: a version is schema `mart_v<version>`. Its small tables are copies; each table
# in SNAPSHOT_ORDER is a view over part tables in schema PARTS_SCHEMA, cut as on DuckDB (a
# year, a month of the newest year), named by their content (`part_name`) and shared by every
# version holding that content, so a publish copies and indexes only the parts that changed: the
# daily run its month instead of every row (46.9 M at 250 symbols x 10 years). Each part has a
# CHECK constraint on its dates, so the planner reads only the parts a date filter can match
# (constraint_exclusion covers UNION ALL views), and the indexes of the API's reads. A part
# keeps the factor stage's row order (date, symbol, factor: a symbol's values of a date are on
# a page or two), so an index on (symbol, date) serves a symbol's history of some factors and
# one on (date) a factor's cross-section on a date and the latest dates (`max(date)`, with or
# without a factor: a backward scan). Against (symbol, factor, date) and (date, factor) they
# take half the time to build (1.8 instead of 3.7 s for a year at 250 symbols: the text keys
# of the first sorted every row; the date index's input is already in order); a
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


def _publish_postgres(settings: Settings) -> MartVersion:
    with connect(settings) as wh:
        for schema in ("marts", PARTS_SCHEMA):
            wh.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        wh.execute(_VERSIONS_DDL)
        with wh.transaction():
            # One snapshot of every mart table; the lock serialises concurrent publishers.
            wh.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            wh.execute("LOCK TABLE marts.mart_versions IN EXCLUSIVE MODE")
            # Sorting the index keys in memory instead of in many small runs on disk.
            wh.execute(f"SET LOCAL maintenance_work_mem = '{POSTGRES_INDEX_MEMORY}'")
            # Compiling the fingerprint's row hashes cost more than it saved (10.7 s against
            # 6.2 s for 46.9 M rows).
            wh.execute("SET LOCAL jit = off")
            tables = _mart_tables(wh)
            number = int(wh.query("SELECT coalesce(max(version), 0) AS v "
                                  "FROM marts.mart_versions")["v"][0]) + 1
            counts, freshness, low, high = _describe(wh, tables)
            version = MartVersion(number, datetime.now(UTC).replace(tzinfo=None), low, high,
                                  counts, freshness, f"mart_v{number}")
            wh.execute(f"CREATE SCHEMA {version.location}")
            _fingerprint_marts(wh, [t for t in tables if t in SNAPSHOT_ORDER])
            written: dict[tuple[str, Any], int] = {}
            for table in tables:
                target = f"{version.location}.{table}"
                if table not in SNAPSHOT_ORDER:
                    wh.execute(f"CREATE TABLE {target} AS SELECT * FROM marts.{table}")
                    # A new table has no planner statistics until autovacuum comes by.
                    wh.execute(f"ANALYZE {target}")
                    written[(table, None)] = counts[table]
                    continue
                names = []
                for part, rows, name in _held_parts(wh, table):
                    if wh.query("SELECT to_regclass(%s) IS NULL AS new",
                                [f"{PARTS_SCHEMA}.{name}"])["new"][0]:
                        _write_postgres_part(wh, table, part, name)
                        written[(table, part)] = rows
                    names.append(name)
                wh.execute(f"CREATE VIEW {target} AS " + " UNION ALL ".join(
                    f"SELECT * FROM {PARTS_SCHEMA}.{name}" for name in names)
                    if names else f"CREATE TABLE {target} AS SELECT * FROM marts.{table} LIMIT 0")
            _insert_version(wh, version)
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
    rows = _part_filter(SNAPSHOT_ORDER[table][0], part)
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


def announce(settings: Settings, version: MartVersion) -> None:
    """Tell every API worker about the new version through the configured broadcaster.

    With `memory://` each API process notices the new version itself (it polls the pointer).
    """
    url = settings.api_broadcast_url
    payload = json.dumps(version.event())
    if url.startswith("redis://"):
        import redis

        with redis.Redis.from_url(url) as client:
            client.publish(settings.api_broadcast_channel, payload)
    elif url.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("SELECT pg_notify(%s, %s)", [settings.api_broadcast_channel, payload])
