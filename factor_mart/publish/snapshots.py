"""DuckDB: the marts schema is published as `snapshots/mart-<version>.duckdb` beside the
warehouse file, renamed into place, and `snapshots/current.json` is swapped atomically
(os.replace). The small tables are in that file (it starts as a copy of the newest one and
rewrites only the tables that changed); each table in SNAPSHOT_ORDER is a view over immutable
part files (`snapshots/part-*.duckdb`, see `parts`). Readers open a version with
`open_snapshot` and keep reading their own immutable files."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from factor_mart.publish import parts, versions
from factor_mart.settings import Settings
from factor_mart.warehouse import Warehouse, connect

_SNAPSHOT_NAME = re.compile(r"^mart-(\d+)\.duckdb$")
# The publish runs in the process of the build's last steps: with 3 GB it reached 4.1 GB at
# 500 symbols. 2 GB costs 1.5 s of 33 at 1,000 symbols x 10 years (the sorts spill a little).
PUBLISH_MEMORY_LIMIT = "2GB"
log = logging.getLogger(__name__)


def snapshot_dir(settings: Settings) -> Path:
    return settings.duckdb_path.parent / "snapshots"


def publish_duckdb(settings: Settings) -> versions.MartVersion:
    folder = snapshot_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with connect(settings) as wh:  # the write lock keeps builds (and other publishes) out
        # DuckDB would otherwise keep what it reads cached up to 80% of RAM (9+ GB copying
        # 1,000 symbols x 10 years); the copy streams and the sorts spill to disk instead.
        wh.execute(f"SET memory_limit = '{PUBLISH_MEMORY_LIMIT}'")
        wh.execute("CREATE SCHEMA IF NOT EXISTS marts")
        wh.execute(versions.VERSIONS_DDL)
        tables = versions.mart_tables(wh)
        existing = {int(m.group(1)): p for p in folder.iterdir()
                    if (m := _SNAPSHOT_NAME.match(p.name))}
        stored = wh.query("SELECT coalesce(max(version), 0) AS v FROM marts.mart_versions")["v"][0]
        number = max([int(stored), *existing]) + 1
        counts, freshness, low, high = versions.describe(wh, tables)
        version = versions.MartVersion(number, datetime.now(UTC).replace(tzinfo=None), low,
                                       high, counts, freshness, f"mart-{number}.duckdb")
        partial = folder / f".mart-{number}.duckdb.partial"
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)  # left by a publish that was killed
        for left in folder.glob(f".{PART_PREFIX}*.partial*"):
            left.unlink(missing_ok=True)
        parts.fingerprint_marts(wh, tables)
        # The newest file is always complete: a snapshot is renamed into place only when done.
        base = existing[max(existing)] if existing else None
        reused = base is not None and _reusable(wh, base)
        if reused:
            _copy_file(base, partial)
        wh.execute(f"ATTACH {parts.literal(partial)} AS snap")
        try:
            if not reused:
                wh.execute("CREATE SCHEMA snap.marts")
                wh.execute(f"CREATE SCHEMA snap.{_META_SCHEMA}")
                wh.execute(_PARTS_DDL)
            written = _sync_snapshot(wh, tables, number, folder)
            wh.execute("CREATE OR REPLACE TABLE snap.marts.mart_versions AS "
                       "SELECT * FROM marts.mart_versions")
            versions.insert_version(wh, version, "snap.marts.mart_versions")
        finally:
            wh.execute("DETACH snap")
        os.replace(partial, folder / version.location)
        versions.insert_version(wh, version)
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


# Each part (see `parts`) is written once, sorted, into an immutable DuckDB file
# `snapshots/part-<table>-<part>-<digest>.duckdb`. A version's file holds the small tables and
# a view over the parts it uses (UNION ALL of each part attached under its file's stem, see
# `open_snapshot`), so unchanged parts are neither copied nor rewritten. Parts that no version
# file uses are removed after each publish.
# fct_factor_values by factor, symbol and date within a year: a factor's cross-section on a
# date reads one factor-year, a symbol's history of a few factors one row group per factor and
# year. In the build's date order a history read every row of its date range (24 M rows a year
# at 1,000 symbols: 0.1-0.5 s instead of ~6 ms). Parquet parts were measured and rejected:
# each query pays for opening and pruning ten files (cross-section 16-20 ms, history 25-40 ms
# against 4-9 and 8-20 ms in DuckDB's format at 1,000 x 10).
PART_PREFIX = "part-"
# Changing the layout of a part file changes every part's name (it is in the digest).
PART_LAYOUT = "duckdb table in main, text sort keys as ranks"

# A new version's file starts as a byte copy of the newest one (small: the parts are beside
# it) and rewrites only what changed: a table outside SNAPSHOT_ORDER whole, the view over the
# parts of a table in it. Each version records in `snapshot_meta.parts` what every part held
# when it was published (its columns, row count and fingerprint) and the part file holding it
# (NULL for a table outside SNAPSHOT_ORDER). The API reads only schema `marts`.
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


def _reusable(wh: Warehouse, base: Path) -> bool:
    """Whether the snapshot `base` can be the start of the next one: it records its parts and
    their files (a file from before the parts holds the large tables itself), and it is not
    mostly free space."""
    try:
        wh.execute(f"ATTACH {parts.literal(base)} AS base (READ_ONLY)")
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
            con.execute(f"ATTACH {parts.literal(path.parent / file)} AS {part_alias(file)} "
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


# Bits of each sort column in the one BIGINT key a part is sorted by: ranks and days since
# 0001-01-01 stay below 2**21 (a part of two million symbols, or a date after 5700, would
# only sort less well); the largest value stands for NULL, which sorts last.
_KEY_BITS = 21


def _sorted_part(wh: Warehouse, table: str, source: str) -> str:
    """The SELECT of `source` (a subquery of one part) sorted like SNAPSHOT_ORDER, by one
    BIGINT key: each date column of the order as its day number, each other (text) column as
    its rank among the part's distinct values, packed. The same order; sorting integers cost
    ~30% less CPU than the text (13.6 instead of 19.0 CPU s for a year at 1,000 symbols), and
    one key instead of three another ~12% (5.45 instead of 6.2 CPU s a year).

    The ranked text columns go through the sort as their ranks and are read back after it from
    the part's sorted distinct values (session variables): carrying the text cost ~15% more
    (6.5–6.7 instead of 5.4–5.8 s a year, sort and write, at 1,000 symbols). The outer SELECT
    is a projection, which keeps the sorted order (DuckDB's order preservation)."""
    kinds = dict(wh.query(f"DESCRIBE SELECT * FROM marts.{table}")
                 .select("column_name", "column_type").iter_rows())
    order = [c.strip() for c in parts.SNAPSHOT_ORDER[table][1].split(",")]
    joins, keys, ranks, ranked = [], [], [], {}
    for i, column in enumerate(order):
        if kinds.get(column) == "DATE":
            value = f"(src.\"{column}\" - DATE '0001-01-01')"
        else:  # text (or any other type): its rank, in the column type's own order
            ranked[column] = values = f"part_values_{i}"
            wh.execute(f'SET VARIABLE {values} = (SELECT list("{column}" ORDER BY "{column}") '
                       f'FROM (SELECT DISTINCT "{column}" FROM {source}))')
            joins.append(f'LEFT JOIN (SELECT unnest(v) AS "{column}", generate_subscripts(v, 1) '
                         f"AS k FROM (SELECT getvariable('{values}') AS v)) AS k{i} "
                         f'ON k{i}."{column}" = src."{column}"')
            value = f"k{i}.k"
            ranks.append(f'{value} AS "_rank_{column}"')
        shift = _KEY_BITS * (len(order) - 1 - i)
        keys.append(f"(coalesce({value}, {2**_KEY_BITS - 1})::BIGINT << {shift})")
    others = ", ".join(f'"{c}"' for c in ranked)
    inner = (f"SELECT {''.join(r + ', ' for r in ranks)}src.* "
             f"{f'EXCLUDE ({others}) ' if others else ''}FROM {source} AS src "
             f"{' '.join(joins)} ORDER BY {' | '.join(keys)}")
    outer = ", ".join(f"getvariable('{ranked[c]}')[\"_rank_{c}\"] AS \"{c}\"" if c in ranked
                      else f'"{c}"' for c in kinds)
    return f"SELECT {outer} FROM ({inner}) AS sorted"


def _write_part(wh: Warehouse, table: str, part: int | None, target: Path) -> None:
    """One part of `marts.<table>`, sorted, as `target` (renamed into place when complete)."""
    column = parts.SNAPSHOT_ORDER[table][0]
    partial = target.with_name(f".{target.name}.partial")
    source = f"(SELECT * FROM marts.{table} WHERE {parts.part_filter(column, part)})"
    select = _sorted_part(wh, table, source)
    wh.execute(f"ATTACH {parts.literal(partial)} AS part_out")
    try:
        wh.execute(f"CREATE TABLE part_out.main.{table} AS {select}")
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
        if table not in tables or table in parts.SNAPSHOT_ORDER:  # views are made again below
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
    for table in (t for t in tables if t in parts.SNAPSHOT_ORDER):
        files = []
        for part, rows, digest in parts.held_parts(wh, table, PART_LAYOUT):
            name = f"{PART_PREFIX}{table}-{parts.part_label(part)}-{digest}.duckdb"
            new = not (folder / name).exists()
            if new:  # a part at a time: each sort fits in memory
                _write_part(wh, table, part, folder / name)
                written[(table, part)] = rows
            wh.execute("INSERT INTO publish_files VALUES (?, ?, ?, ?)", [table, part, name, new])
            files.append(name)
        if files:
            for name in files:  # the view is bound (checked) when it is created
                wh.execute(f"ATTACH {parts.literal(folder / name)} AS {part_alias(name)} "
                           "(READ_ONLY)")
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
    return ", ".join(parts.literal(t) for t in parts.SNAPSHOT_ORDER)


def _remove_unused_parts(wh: Warehouse, folder: Path) -> int:
    """Delete the part files no version file in `folder` uses; how many went. Nothing is
    deleted if a version cannot be read (its parts are unknown). A reader that still has a
    removed version open keeps its parts open too (`open_snapshot`)."""
    used: set[str] = set()
    for path in folder.glob("mart-*.duckdb"):
        try:
            wh.execute(f"ATTACH {parts.literal(path)} AS kept (READ_ONLY)")
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


def _write_pointer(folder: Path, version: versions.MartVersion) -> None:
    pointer = folder / "current.json"
    partial = folder / "current.json.partial"
    partial.write_text(json.dumps(version.event()["data"] | {"location": version.location}))
    os.replace(partial, pointer)


def read_pointer(settings: Settings) -> versions.MartVersion | None:
    """The DuckDB snapshot readers should use now, or None before the first publish."""
    try:
        data = json.loads((snapshot_dir(settings) / "current.json").read_text())
    except FileNotFoundError:
        return None
    return versions.MartVersion(
        version=data["version"], published_at=datetime.fromisoformat(data["published_at"]),
        min_date=date.fromisoformat(data["min_date"]) if data["min_date"] else None,
        max_date=date.fromisoformat(data["max_date"]) if data["max_date"] else None,
        row_counts=data["row_counts"], freshness=data["freshness"], location=data["location"])


