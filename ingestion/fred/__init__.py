"""FRED/ALFRED adapter: every vintage of macro series into ``fred_series`` and
``fred_observations``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from ingestion.batch import Batch, EmptyResultError
from ingestion.fred.clients import (
    OBSERVATIONS,
    SERIES,
    FredApiError,
    MissingApiKeyError,
    ReplayClient,
    TransientFredError,
)
from ingestion.fred.params import EARLIEST_REALTIME, LATEST_REALTIME, validate_series_id
from ingestion.fred.transform import SOURCE, observations_batch, series_batch

if TYPE_CHECKING:
    from ingestion.fred.live import LiveClient

__all__ = ["SOURCE", "ReplayClient", "LiveClient", "fetch", "FredApiError", "MissingApiKeyError",
           "TransientFredError", "last_updated"]


def __getattr__(name: str) -> Any:
    """``LiveClient`` on first use: fredapi (and pandas with it) load only for the live API."""
    if name == "LiveClient":
        from ingestion.fred.live import LiveClient

        return LiveClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fetch(client: ReplayClient | LiveClient, key: str, start: date | None = None,
          end: date | None = None) -> list[Batch]:
    """Series metadata and observation vintages of one series.

    With ``start``/``end``, only the vintage rows first published (``realtime_start``) in
    ``[start, end]`` are returned, exactly as in the full history: the window is asked from the
    day before ``start`` to FRED's open end, so no row is clipped (a clipped ``realtime_start``
    would invent a vintage; a clipped ``realtime_end`` would invent a revision).
    """
    series_id = validate_series_id(key)
    series = series_batch(client.series_info(series_id), client.location(SERIES, series_id))
    source_file = client.location(OBSERVATIONS, series_id)
    if start is None and end is None:
        body = client.observations(series_id)
        if not body["observations"]:
            raise EmptyResultError(f"{source_file}: no observations for {series_id}")
        return [series, observations_batch(body, series_id, source_file)]
    first, last = start or EARLIEST_REALTIME, end or LATEST_REALTIME
    body = client.observations(series_id, max(first - timedelta(days=1), EARLIEST_REALTIME))
    observations = observations_batch(body, series_id, source_file)
    observations.rows = observations.rows.filter(
        pl.col("realtime_start").is_between(first, last))
    observations.rejected = [r for r in observations.rejected
                             if _published_within(r.payload, first, last)]
    return [series, observations]


def last_updated(client: ReplayClient | LiveClient, key: str) -> str | None:
    """When FRED last changed the series (its ``last_updated``): a new release or revision."""
    entries = client.series_info(validate_series_id(key)).get("seriess") or [{}]
    return entries[0].get("last_updated")


def _published_within(record: dict, first: date, last: date) -> bool:
    """Whether a raw row's ``realtime_start`` is in the window (unreadable ones always are)."""
    try:
        return first <= date.fromisoformat(record["realtime_start"]) <= last
    except (KeyError, TypeError, ValueError):
        return True
