"""Append-only, idempotent landing of adapter batches, with quarantine of rejected records.

``land`` lands one partition; ``land_partitions`` lands many in one transaction: one anti-join
insert per raw table whatever the number of partitions (each anti-join reads the whole stored
table, so one per partition made a 1,000-company load quadratic). ``audit.loads`` gets one row
per partition and table, with that partition's own counts, and a key that two partitions both
carry is stored once (the first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from factor_mart.settings import Backend
from factor_mart.warehouse.connection import Warehouse
from factor_mart.warehouse.schema import LOADS_TABLE, NULLABLE_KEYS
from ingestion.batch import Batch, quarantine_frame
from ingestion.raw_schema import QUARANTINE, RAW_TABLES, RawTable

_PART = "_part"  # which of the landed partitions a staged row came from
_LOADS_SCHEMA = pl.Schema({
    "load_id": pl.String, "source": pl.String, "partition_key": pl.String,
    "table_name": pl.String, "rows_in": pl.Int64, "rows_inserted": pl.Int64,
    "rows_rejected": pl.Int64, "finished_at": pl.Datetime("us")})


@dataclass
class LandingReport:
    """What one landing did, per raw table."""

    load_id: str
    rows_in: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    inserted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rejected: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total_inserted(self) -> int:
        return sum(self.inserted.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    def merge(self, other: LandingReport) -> None:
        for mine, theirs in ((self.rows_in, other.rows_in), (self.inserted, other.inserted),
                             (self.rejected, other.rejected)):
            for table, count in theirs.items():
                mine[table] += count


def _collect(batches: list[Batch], report: LandingReport, now: datetime
             ) -> dict[str, list[pl.DataFrame]]:
    """One partition's frames per raw table (quarantine included), counted into ``report``."""
    frames: dict[str, list[pl.DataFrame]] = defaultdict(list)
    for batch in batches:
        frames[batch.table].append(batch.rows)
        report.rows_in[batch.table] += batch.rows.height
        if batch.rejected:
            frames[QUARANTINE.name].append(quarantine_frame(batch.rejected, now))
            report.rejected[batch.table] += len(batch.rejected)
    return frames


def _key_bounds(table: RawTable, frame: pl.DataFrame, placeholder: str = "?",
                alias: str = "") -> tuple[str, list]:
    """A filter on the stored rows (``alias``: their table's alias) that keeps every row whose
    key the frame may carry: each key column without nulls in the frame lies between the
    frame's min and max.

    DuckDB skips the row groups a constant range excludes (zone maps), and rows are stored in
    load order (company by company, month by month): a one-company or one-month landing then
    reads a few row groups of the stored table instead of all of it. PostgreSQL reads the range
    from the natural-key index instead of the whole table.
    """
    conditions, params = [], []
    for key in table.key:
        column = frame[key]
        plain = column.dtype.is_integer() or column.dtype in (pl.String, pl.Date) \
            or isinstance(column.dtype, pl.Datetime)
        if plain and frame.height and not column.null_count():
            column_name = f"{alias}.{key}" if alias else key
            conditions.append(f"{column_name} BETWEEN {placeholder} AND {placeholder}")
            params += [column.min(), column.max()]
    return " AND ".join(conditions) or "true", params


def _insert_new_duckdb(wh: Warehouse, table: RawTable, frame: pl.DataFrame) -> dict[int, int]:
    """Insert the rows of ``frame`` whose natural key is not stored yet; count them by part."""
    frame = frame.unique(subset=list(table.key), keep="first", maintain_order=True)
    wh.stage("incoming", f"raw.{table.name}", frame)
    match = " AND ".join(f"i.{k} IS NOT DISTINCT FROM r.{k}" for k in table.key)
    bounds, params = _key_bounds(table, frame)
    wh.execute(f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT i.* FROM incoming i "
               f"ANTI JOIN (SELECT {', '.join(table.key)} FROM raw.{table.name} "
               f"WHERE {bounds}) r ON {match}", params)
    return _insert_fresh(wh, table)


def _insert_fresh(wh: Warehouse, table: RawTable) -> dict[int, int]:
    """Insert temp table ``fresh`` (the anti-join's rows) into the raw table; drop the temp
    tables; the rows inserted by part."""
    columns = ", ".join(table.columns)
    wh.execute(f"INSERT INTO raw.{table.name} ({columns}) SELECT {columns} FROM fresh")
    counts = wh.query(f"SELECT {_PART}, count(*) AS n FROM fresh GROUP BY {_PART}")
    wh.execute("DROP TABLE fresh")
    wh.execute("DROP TABLE incoming")
    return dict(counts.iter_rows())


def _insert_new_postgres(wh: Warehouse, table: RawTable, frame: pl.DataFrame) -> dict[int, int]:
    """Insert the rows of ``frame`` whose natural key is not stored yet; count them by part.

    One anti-join for all the partitions, as on DuckDB: an ``ON CONFLICT DO NOTHING`` insert
    per partition (a staging table, a COPY and a speculative insert each) cost ~35 us a row.
    """
    frame = frame.unique(subset=list(table.key), keep="first", maintain_order=True)
    wh.execute("DROP TABLE IF EXISTS incoming")
    wh.execute(f"CREATE TEMP TABLE incoming (LIKE raw.{table.name}, {_PART} integer)")
    wh.append("incoming", frame)
    # Null keys match null keys, as in the unique index (NULLS NOT DISTINCT); plain equality
    # elsewhere keeps the join hashable or able to probe that index.
    match = " AND ".join(
        f"i.{k} IS NOT DISTINCT FROM r.{k}" if k in NULLABLE_KEYS else f"i.{k} = r.{k}"
        for k in table.key)
    bounds, params = _key_bounds(table, frame, wh.placeholder, "r")
    wh.execute("DROP TABLE IF EXISTS fresh")
    wh.execute(f"CREATE TEMP TABLE fresh AS SELECT i.* FROM incoming i WHERE NOT EXISTS "
               f"(SELECT FROM raw.{table.name} r WHERE {match} AND {bounds})", params)
    return _insert_fresh(wh, table)


def _write_audit(wh: Warehouse, rows: list[tuple]) -> None:
    """``audit.loads`` rows: one statement whatever their number."""
    if len(rows) == 1:
        wh.execute(f"INSERT INTO {LOADS_TABLE} VALUES ({', '.join([wh.placeholder] * 8)})",
                   list(rows[0]))
    elif rows:
        wh.stage("loads_incoming", LOADS_TABLE,
                 pl.DataFrame(rows, schema=_LOADS_SCHEMA, orient="row"))
        wh.execute(f"INSERT INTO {LOADS_TABLE} SELECT * FROM loads_incoming")
        wh.execute("DROP TABLE loads_incoming")


def land_partitions(wh: Warehouse, parts: Sequence[tuple[str | None, list[Batch]]],
                    load_id: str, source: str) -> LandingReport:
    """Land several partitions' batches, ``(partition_key, batches)`` each, atomically.

    Rejected records go to raw.quarantine. The outcome (rows, quarantine, audit) is that of
    landing the partitions one after another in this order.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    reports = [LandingReport(load_id) for _ in parts]
    collected = [_collect(batches, report, now) for (_, batches), report in zip(parts, reports,
                                                                                strict=True)]
    with wh.transaction():
        by_table: dict[str, list[pl.DataFrame]] = defaultdict(list)
        for index, frames in enumerate(collected):
            for table_name, tables in frames.items():
                by_table[table_name] += [t.with_columns(pl.lit(index, pl.Int32).alias(_PART))
                                         for t in tables if t.height]
        insert_new = (_insert_new_postgres if wh.backend is Backend.postgres
                      else _insert_new_duckdb)
        for table_name, tables in by_table.items():
            if not tables:
                continue
            frame = pl.concat(tables).with_columns(load_id=pl.lit(load_id))
            counts = insert_new(wh, RAW_TABLES[table_name], frame)
            for index, n in counts.items():
                reports[index].inserted[table_name] += n
        _write_audit(wh, [(load_id, source, key, table, rows_in, r.inserted[table],
                           r.rejected[table], now)
                          for (key, _), r in zip(parts, reports, strict=True)
                          for table, rows_in in r.rows_in.items()])
    total = LandingReport(load_id)
    for report in reports:
        total.merge(report)
    return total


def land(wh: Warehouse, batches: list[Batch], load_id: str, source: str,
         partition_key: str | None = None) -> LandingReport:
    """Land one partition's batches atomically; rejected records go to raw.quarantine."""
    return land_partitions(wh, [(partition_key, batches)], load_id, source)
