"""FRED clients: replay (recorded JSON bodies in a folder) here, live (fredapi against the API)
in ``ingestion.fred.live``, imported only when asked for (fredapi imports pandas: ~0.6 s of each
Dagster run's start).

Both return the canonical payloads of CONTRACTS.md: the JSON bodies of ``fred/series`` and of
``fred/series/observations`` with every vintage.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from ingestion.batch import PayloadError
from ingestion.files import recorded_bytes, recorded_names
from ingestion.fred.params import (
    ObservationQuery,
    validate_series_id,
)
from ingestion.fred.vintages import (
    clip_to_window,
)

API_KEY_ENV_VAR = "FRED_API_KEY"
FRED_API_URL = "https://api.stlouisfed.org/fred"
SERIES = "series"
OBSERVATIONS = "observations"



class MissingApiKeyError(ValueError):
    """The live FRED client was built without an API key."""


class FredApiError(PayloadError):
    """FRED answered a request with an error; the message names the request (never the key)."""

    def __init__(self, request: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{request}: {message}")
        self.request, self.status = request, status


class TransientFredError(FredApiError):
    """A failure worth retrying: rate limit, server error, timeout or dropped connection."""


def observations_body(rows: list[dict[str, Any]], query: ObservationQuery) -> dict[str, Any]:
    """A ``fred/series/observations`` JSON body (output_type 1) around ``rows``."""
    return {
        "realtime_start": query.realtime_start.isoformat(),
        "realtime_end": query.realtime_end.isoformat(),
        "observation_start": "1600-01-01", "observation_end": "9999-12-31",
        "units": "lin", "output_type": 1, "file_type": "json",
        "order_by": "observation_date", "sort_order": "asc",
        "count": len(rows), "offset": 0, "limit": 100000,
        "observations": rows,
    }


def _require_list(body: Any, key: str, source: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise PayloadError(f"{source}: expected a JSON object with a {key!r} list")
    return body


class ReplayClient:
    """Recorded FRED bodies: ``DIR/series/<ID>.json`` and ``DIR/observations/<ID>.json``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"FRED replay folder {self.folder} does not exist")

    def keys(self) -> list[str]:
        """Series ids with a recorded series or observations body."""
        return sorted(recorded_names(self.folder / SERIES)
                      | recorded_names(self.folder / OBSERVATIONS))

    def location(self, endpoint: str, series_id: str) -> str:
        """The file holding ``endpoint``'s body for ``series_id``."""
        return str(self.folder / endpoint / f"{validate_series_id(series_id)}.json")

    def _read(self, endpoint: str, series_id: str) -> Any:
        try:
            raw, path = recorded_bytes(Path(self.location(endpoint, series_id)))
        except FileNotFoundError:
            raise PayloadError(f"{self.location(endpoint, series_id)}: no recorded {endpoint} "
                               f"body for {series_id}") from None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise PayloadError(f"{path}: truncated or invalid JSON ({exc})") from None

    def series_info(self, series_id: str) -> dict[str, Any]:
        """The recorded ``fred/series`` body."""
        body = self._read(SERIES, series_id)
        return _require_list(body, "seriess", self.location(SERIES, series_id))

    def observations(self, series_id: str, realtime_start: date | None = None,
                     realtime_end: date | None = None) -> dict[str, Any]:
        """The recorded observations body; with a window, what FRED answers for that window."""
        query = ObservationQuery.build(series_id, realtime_start, realtime_end)
        body = _require_list(self._read(OBSERVATIONS, series_id), "observations",
                             self.location(OBSERVATIONS, series_id))
        if query.is_full_history:
            return body
        rows = clip_to_window(body["observations"], query.realtime_start, query.realtime_end)
        return observations_body(rows, query)
