"""Append-only, idempotent landing of adapter batches, with quarantine of rejected records."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from factor_mart.settings import Backend
from factor_mart.warehouse.connection import Warehouse
from factor_mart.warehouse.schema import LOADS_TABLE
from ingestion.batch import Batch, quarantine_frame
from ingestion.raw_schema import QUARANTINE, RAW_TABLES, RawTable


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


def _insert_new(wh: Warehouse, table: RawTable, frame: pl.DataFrame) -> int:
    """Insert the rows of ``frame`` whose natural key is not stored yet; return how many."""
    if frame.is_empty():
        return 0
    frame = frame.unique(subset=list(table.key), keep="first", maintain_order=True)
    wh.stage("incoming", f"raw.{table.name}", frame)
    columns = ", ".join(table.columns)
    if wh.backend is Backend.postgres:
        return wh.execute(
            f"INSERT INTO raw.{table.name} ({columns}) SELECT {columns} FROM incoming "
            "ON CONFLICT DO NOTHING")
    match = " AND ".join(f"i.{k} IS NOT DISTINCT FROM r.{k}" for k in table.key)
    return wh.execute(
        f"INSERT INTO raw.{table.name} ({columns}) "
        f"SELECT {', '.join('i.' + c for c in table.columns)} FROM incoming i "
        f"ANTI JOIN raw.{table.name} r ON {match}")


def land(wh: Warehouse, batches: list[Batch], load_id: str, source: str,
         partition_key: str | None = None) -> LandingReport:
    """Land one partition's batches atomically; rejected records go to raw.quarantine."""
    report = LandingReport(load_id)
    now = datetime.now(UTC).replace(tzinfo=None)
    frames: dict[str, list[pl.DataFrame]] = defaultdict(list)
    for batch in batches:
        frames[batch.table].append(batch.rows)
        report.rows_in[batch.table] += batch.rows.height
        if batch.rejected:
            frames[QUARANTINE.name].append(quarantine_frame(batch.rejected, now))
            report.rejected[batch.table] += len(batch.rejected)
    with wh.transaction():
        for table_name, parts in frames.items():
            frame = pl.concat(parts).with_columns(load_id=pl.lit(load_id))
            report.inserted[table_name] += _insert_new(wh, RAW_TABLES[table_name], frame)
        for table_name, rows_in in report.rows_in.items():
            wh.execute(
                f"INSERT INTO {LOADS_TABLE} VALUES ({', '.join([wh.placeholder] * 8)})",
                [load_id, source, partition_key, table_name, rows_in,
                 report.inserted[table_name], report.rejected[table_name], now])
    return report
