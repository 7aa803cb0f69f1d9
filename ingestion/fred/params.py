"""Query parameters for FRED/ALFRED: a series id and a real-time (vintage) window."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator

EARLIEST_REALTIME = date(1776, 7, 4)
"""FRED's earliest allowed ``realtime_start``: asking from here returns every vintage."""
LATEST_REALTIME = date(9999, 12, 31)
"""FRED's open-ended ``realtime_end``: the value is still current."""
MAX_VINTAGES_PER_REQUEST = 2000
"""FRED refuses an observations request whose real-time window spans more vintages than this."""

_SERIES_ID = re.compile(r"[A-Z0-9_]{1,30}")


def validate_series_id(series_id: str) -> str:
    """Return the canonical (upper-case) FRED series id, or raise ``ValueError`` naming it."""
    canonical = str(series_id).strip().upper()
    if not _SERIES_ID.fullmatch(canonical):
        raise ValueError(
            f"invalid FRED series id {series_id!r}: expected 1-30 letters, digits or '_'"
        )
    return canonical


class ObservationQuery(BaseModel):
    """One series' observations over a real-time window (default: every vintage)."""

    series_id: str = Field(description="FRED series id, e.g. 'GDP' (case-insensitive).")
    realtime_start: date = Field(EARLIEST_REALTIME, description="First day of the window.")
    realtime_end: date = Field(LATEST_REALTIME, description="Last day of the window.")

    @field_validator("series_id")
    @classmethod
    def _canonical_series_id(cls, value: str) -> str:
        return validate_series_id(value)

    @model_validator(mode="after")
    def _window_is_ordered(self) -> ObservationQuery:
        if self.realtime_end < self.realtime_start:
            raise ValueError(
                f"realtime_end {self.realtime_end} is before realtime_start {self.realtime_start}"
            )
        return self

    @classmethod
    def build(cls, series_id: str, realtime_start: date | None = None,
              realtime_end: date | None = None) -> ObservationQuery:
        """Query with ``None`` meaning the open end of the window."""
        return cls(series_id=series_id,
                   realtime_start=realtime_start or EARLIEST_REALTIME,
                   realtime_end=realtime_end or LATEST_REALTIME)

    @property
    def is_full_history(self) -> bool:
        return (self.realtime_start, self.realtime_end) == (EARLIEST_REALTIME, LATEST_REALTIME)
