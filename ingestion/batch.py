"""What a transform returns: validated rows for one raw table plus the records it rejected."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ingestion.raw_schema import QUARANTINE, RAW_TABLES


class PayloadError(ValueError):
    """A whole payload (file or response) cannot be read; the message names it."""


class EmptyResultError(LookupError):
    """A source returned nothing for a query that should have data."""


@dataclass(frozen=True)
class Rejected:
    """One record that failed validation, kept with its raw payload for the quarantine table."""

    source: str
    entity: str
    record_key: str
    reason: str
    payload: Any
    file: str | None = None

    def as_row(self, available_at) -> dict[str, Any]:
        return {
            "source": self.source,
            "entity": self.entity,
            "record_key": self.record_key,
            "reason": self.reason,
            "payload": json.dumps(self.payload, sort_keys=True, default=str),
            "file": self.file,
            "available_at": available_at,
        }


@dataclass
class Batch:
    """Rows for one raw table, shaped exactly as ``RAW_TABLES[table].polars_schema``."""

    table: str
    rows: pl.DataFrame
    rejected: list[Rejected] = field(default_factory=list)

    def __post_init__(self) -> None:
        expected = RAW_TABLES[self.table].polars_schema
        if self.rows.schema != expected:
            self.rows = self.rows.select(
                [pl.col(c).cast(t) if c in self.rows.columns else pl.lit(None, t).alias(c)
                 for c, t in expected.items()]
            )

    @classmethod
    def from_records(cls, table: str, records: list[dict[str, Any]],
                     rejected: list[Rejected] | None = None) -> Batch:
        schema = RAW_TABLES[table].polars_schema
        return cls(table, pl.DataFrame(records, schema=schema), rejected or [])


def quarantine_frame(rejected: list[Rejected], available_at) -> pl.DataFrame:
    """Rejected records as rows of the quarantine table."""
    return pl.DataFrame([r.as_row(available_at) for r in rejected],
                        schema=QUARANTINE.polars_schema)
