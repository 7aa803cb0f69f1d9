"""The live FRED client: fredapi against the API, returning the canonical payloads of
CONTRACTS.md like the replay client (``ingestion.fred.clients``)."""

from __future__ import annotations

import http.client
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import urlopen

import pandas as pd
from fredapi import Fred
from pyrate_limiter import Duration, Limiter, Rate
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ingestion.batch import PayloadError
from ingestion.fred.clients import (
    API_KEY_ENV_VAR,
    FRED_API_URL,
    SERIES,
    FredApiError,
    MissingApiKeyError,
    TransientFredError,
    observations_body,
)
from ingestion.fred.params import (
    MAX_VINTAGES_PER_REQUEST,
    ObservationQuery,
    validate_series_id,
)
from ingestion.fred.vintages import chunk_windows, merge_chunks, reconstruct_realtime_end

T = TypeVar("T")

if not hasattr(Fred, "_Fred__fetch_data"):  # the override below depends on fredapi 0.5's layout
    raise ImportError("fredapi no longer has Fred.__fetch_data; ingestion.fred needs fredapi~=0.5")


class _FredApi(Fred):
    """fredapi's ``Fred`` with its one HTTP helper replaced.

    fredapi 0.5.2 opens URLs without a timeout and folds every HTTP error into a bare
    ``ValueError``; replacing ``__fetch_data`` (name-mangled) gives a timeout, typed errors that
    never contain the API key, a rate limit and tenacity retries of transient failures, while
    fredapi still builds every URL and parses every response.
    """

    def __init__(self, api_key: str, root_url: str, timeout: float, retrying: Retrying,
                 limiter: Limiter) -> None:
        super().__init__(api_key=api_key)
        self.root_url = root_url
        self._timeout, self._retrying, self._limiter = timeout, retrying, limiter

    def _Fred__fetch_data(self, url: str) -> ET.Element:
        return self._retrying.copy()(self._fetch_once, url)

    def fetch_xml(self, url: str) -> ET.Element:
        """One API request (with retries); ``url`` without the api key."""
        return self._Fred__fetch_data(url)

    def _fetch_once(self, url: str) -> ET.Element:
        if not self._limiter.try_acquire("fred"):
            raise TransientFredError(url, "local rate limit still full after waiting")
        try:
            with urlopen(f"{url}&{urlencode({'api_key': self.api_key})}",
                         timeout=self._timeout) as response:
                payload = response.read()
        except HTTPError as exc:
            raise _api_error(url, exc) from None
        except (URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise TransientFredError(url, f"request failed ({exc})") from None
        try:
            return ET.fromstring(payload)
        except ET.ParseError as exc:
            raise FredApiError(url, f"unreadable XML response ({exc})") from None


def _api_error(url: str, exc: HTTPError) -> FredApiError:
    """FRED's ``<error code=... message=...>`` body as a typed error; 429 and 5xx are transient."""
    try:
        message = ET.fromstring(exc.read()).get("message") or exc.reason
    except ET.ParseError:
        message = exc.reason
    kind = TransientFredError if exc.code == 429 or exc.code >= 500 else FredApiError
    return kind(url, f"HTTP {exc.code}: {message}", status=exc.code)


def _fred_text(value: Any) -> str:
    """A fredapi value back in FRED's text form ('.' for missing).

    fredapi turns '.' into NaN, and under pandas 3 its transposed frame turns that NaN into NaT.
    """
    return "." if pd.isna(value) else repr(float(value))


class LiveClient:
    """The FRED/ALFRED API through ``fredapi``, returning the canonical JSON payload shapes.

    Notes on what fredapi gives and how the canonical shape is rebuilt:
    - fredapi requests XML; values come back as floats, re-rendered as FRED text ('.' = NaN),
      numerically identical to FRED's strings (``2.50`` comes back as ``2.5``).
    - ``get_series_all_releases`` drops ``realtime_end``: it is rebuilt from the next vintage of
      the same date (the day before; the window end for the last), see
      ``vintages.reconstruct_realtime_end``.
    - FRED refuses windows spanning more than 2,000 vintages and returns at most 100,000 rows:
      the vintage dates are read first, the window is split into chunks under both limits and
      the chunks are stitched back (``vintages.merge_chunks``).
    - fredapi parses every value with ``float()``: a non-numeric value other than '.' fails the
      whole request with ``PayloadError`` (the replay path quarantines it row by row instead).
    """

    def __init__(self, api_key: str | None, base_url: str | None = None, *,
                 series_ids: Sequence[str] = (), timeout: float = 30.0, max_attempts: int = 4,
                 backoff_seconds: float = 1.0, requests_per_minute: int = 120,
                 max_vintages_per_request: int = MAX_VINTAGES_PER_REQUEST,
                 max_rows_per_request: int = 100_000,
                 vintage_page_size: int = 10_000) -> None:
        if not api_key:
            raise MissingApiKeyError(
                f"FRED API key is missing: set the {API_KEY_ENV_VAR} environment variable "
                "(free key: https://fred.stlouisfed.org/docs/api/api_key.html)"
            )
        retrying = Retrying(
            retry=retry_if_exception_type(TransientFredError),
            stop=stop_after_attempt(max_attempts),
            wait=wait_exponential(multiplier=backoff_seconds, max=60),
            reraise=True,
        )
        limiter = Limiter(Rate(requests_per_minute, Duration.MINUTE),
                          raise_when_fail=False, max_delay=61_000)
        self.base_url = (base_url or FRED_API_URL).rstrip("/")
        self._fred = _FredApi(api_key, self.base_url, timeout, retrying, limiter)
        self._series_ids = [validate_series_id(s) for s in series_ids]
        self.max_vintages = max_vintages_per_request
        self.max_rows = max_rows_per_request
        self.vintage_page_size = vintage_page_size

    def keys(self) -> list[str]:
        """The configured series ids (FRED has too many series to enumerate)."""
        return list(self._series_ids)

    def location(self, endpoint: str, series_id: str) -> str:
        """The API request behind ``endpoint``'s body for ``series_id`` (no api key)."""
        path = "series" if endpoint == SERIES else "series/observations"
        return f"{self.base_url}/{path}?series_id={validate_series_id(series_id)}"

    def _call(self, request: str, method: Callable[..., T], *args: Any) -> T:
        try:
            return method(*args)
        except FredApiError:
            raise
        except (ValueError, TypeError) as exc:  # fredapi's own parsing of the response failed
            raise PayloadError(f"{request}: fredapi could not read the response ({exc})") from None

    def series_info(self, series_id: str) -> dict[str, Any]:
        """The ``fred/series`` body."""
        series_id = validate_series_id(series_id)
        info = self._call(self.location(SERIES, series_id), self._fred.get_series_info, series_id)
        entry = {k: (int(v) if k.endswith("popularity") and str(v).isdigit() else v)
                 for k, v in info.items()}
        return {"realtime_start": entry.get("realtime_start"),
                "realtime_end": entry.get("realtime_end"), "seriess": [entry]}

    def vintage_dates(self, series_id: str) -> list[date]:
        """Every vintage date of the series, following FRED's pages past fredapi's first one."""
        series_id = validate_series_id(series_id)
        request = f"{self.base_url}/series/vintagedates?series_id={series_id}"
        page = self._call(request, self._fred.get_series_vintage_dates, series_id)
        dates = [d.date() for d in page]
        while len(page) == self.vintage_page_size:  # fredapi reads only the first page
            root = self._fred.fetch_xml(f"{request}&offset={len(dates)}")
            page = [date.fromisoformat(child.text) for child in root]
            dates += page
        return dates

    def observations(self, series_id: str, realtime_start: date | None = None,
                     realtime_end: date | None = None) -> dict[str, Any]:
        """The observations body for the window (default: every vintage), fetched in chunks."""
        query = ObservationQuery.build(series_id, realtime_start, realtime_end)
        vintages = self.vintage_dates(query.series_id)
        pieces: list[tuple[date, list[dict[str, Any]]]] = []
        for first, last in chunk_windows(vintages, query.realtime_start, query.realtime_end,
                                         self.max_vintages):
            pieces += self._window(query.series_id, first, last, vintages)
        rows = merge_chunks([rows for _, rows in pieces], [first for first, _ in pieces[1:]])
        return observations_body(rows, query)

    def _window(self, series_id: str, first: date, last: date,
                vintages: Sequence[date]) -> list[tuple[date, list[dict[str, Any]]]]:
        """One window's rows; split in two while FRED's row limit may have cut the answer."""
        request = (f"{self.base_url}/series/observations?series_id={series_id}"
                   f"&realtime_start={first}&realtime_end={last}")
        frame = self._call(request, self._fred.get_series_all_releases, series_id,
                           first.isoformat(), last.isoformat())
        if len(frame) >= self.max_rows:
            spanned = len(chunk_windows(vintages, first, last, 1))
            if spanned < 2:
                raise PayloadError(f"{request}: {len(frame)} rows in one vintage reach FRED's "
                                   "row limit and fredapi cannot page observations")
            halves = chunk_windows(vintages, first, last, math.ceil(spanned / 2))
            return [piece for lo, hi in halves for piece in self._window(series_id, lo, hi,
                                                                        vintages)]
        rows = [{"realtime_start": start.strftime("%Y-%m-%d"), "date": day.strftime("%Y-%m-%d"),
                 "value": _fred_text(value)}
                for start, day, value in zip(frame.get("realtime_start", []),
                                             frame.get("date", []), frame.get("value", []),
                                             strict=True)]
        return [(first, reconstruct_realtime_end(rows, last))]
