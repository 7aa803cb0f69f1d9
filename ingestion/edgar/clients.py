"""Extract: the SEC's raw JSON payloads, from a replay folder or from data.sec.gov.

Both clients answer the same questions with the same shapes: ``company_facts(cik)`` returns the
companyfacts body and ``submissions(cik)`` the submissions body followed by each paging file it
names in ``filings.files``, unmerged. Every body is a ``Payload``: a dict that remembers where it
came from, so rejected records can name their file.

Errors: a CIK the source has no document for raises ``EmptyResultError`` (a missing replay file,
an HTTP 404); a document that cannot be read raises ``PayloadError`` naming the file or URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from sec_edgar_api import EdgarClient
from sec_edgar_api._constants import (
    _BASE_URL_SEC_API,
    BASE_URL_SUBMISSIONS,
    BASE_URL_XBRL_COMPANY_FACTS,
)
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from ingestion.batch import EmptyResultError, PayloadError
from ingestion.edgar.params import normalize_cik
from ingestion.files import recorded_bytes

_MAIN_FILE = re.compile(r"CIK(\d{10})\.json(?:\.gz)?")
# www.sec.gov/files/company_tickers.json, recorded as company_tickers[_YYYY-MM-DD].json[.gz]
TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
_TICKERS_FILE = re.compile(r"company_tickers(?:_(\d{4}-\d{2}-\d{2}))?\.json(?:\.gz)?")
_PAGING_NAME = re.compile(r"CIK\d{10}-submissions-\d+\.json")
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT_HELP = (
    "set the environment variable SEC_USER_AGENT to 'Company Name email@example.com' "
    "(the SEC refuses requests without a contact; see https://www.sec.gov/os/accessing-edgar-data)"
)


class Payload(dict):
    """One JSON object as the SEC serves it, plus ``origin``: the file path or URL it came from,
    and ``recorded_at`` (naive UTC) where the body itself carries no date (the ticker map)."""

    def __init__(self, body: dict[str, Any], origin: str,
                 recorded_at: datetime | None = None) -> None:
        super().__init__(body)
        self.origin = origin
        self.recorded_at = recorded_at
        self.missing_pages: dict[str, str] = {}  # paging file name -> why it could not be read


def paging_names(main: Payload) -> list[str]:
    """File names of the submissions paging files, in the order the main payload lists them."""
    try:
        files = main["filings"]["files"]
        names = [entry["name"] for entry in files]
    except (KeyError, TypeError) as error:
        raise PayloadError(f"{main.origin}: no filings.files[].name ({error!r})") from None
    for name in names:
        if not isinstance(name, str) or not _PAGING_NAME.fullmatch(name):
            raise PayloadError(f"{main.origin}: unexpected paging file name {name!r}")
    return names


def _named_pages(main: Payload, read: Any, requests: list[tuple[str, tuple]]) -> list[Payload]:
    """The paging files the main payload names. A missing one is noted on ``main`` (and
    quarantined by the transform) so that the filings that do exist still load."""
    pages = []
    for name, args in requests:
        try:
            pages.append(read(*args))
        except EmptyResultError as error:
            main.missing_pages[name] = f"{main.origin} names a paging file that is missing: {error}"
    return pages


def _parse_json(raw: bytes, origin: str) -> Payload:
    try:
        body = json.loads(raw)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise PayloadError(f"{origin}: not valid JSON ({error})") from None
    if not isinstance(body, dict):
        raise PayloadError(f"{origin}: expected a JSON object, got {type(body).__name__}")
    return Payload(body, origin)


class ReplayClient:
    """Recorded payloads in the replay layout: ``companyfacts/`` and ``submissions/`` folders."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise NotADirectoryError(f"EDGAR replay folder {self.folder} does not exist")

    def keys(self) -> list[str]:
        """10-digit CIKs with a companyfacts or a main submissions file."""
        found = {
            match.group(1)
            for sub in ("companyfacts", "submissions")
            if (self.folder / sub).is_dir()
            for path in (self.folder / sub).iterdir()
            if (match := _MAIN_FILE.fullmatch(path.name))
        }
        return sorted(found)

    def company_facts(self, cik: str | int) -> Payload:
        """The companyfacts body for ``cik``."""
        return self._read("companyfacts", f"CIK{normalize_cik(cik)}.json")

    def submissions(self, cik: str | int) -> list[Payload]:
        """The submissions body for ``cik``, then each paging file it names."""
        main = self._read("submissions", f"CIK{normalize_cik(cik)}.json")
        requests = [(name, ("submissions", name)) for name in paging_names(main)]
        return [main, *_named_pages(main, self._read, requests)]

    @cache  # noqa: B019 (one map per client; clients live as long as a load)
    def company_tickers(self) -> Payload | None:
        """The newest recorded ticker map, dated by its file name (else its modification time)."""
        found = sorted(p for p in self.folder.iterdir() if _TICKERS_FILE.fullmatch(p.name))
        if not found:
            return None
        path = found[-1]
        day = _TICKERS_FILE.fullmatch(path.name).group(1)
        recorded = (datetime.fromisoformat(day) if day else
                    datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None))
        raw, _ = recorded_bytes(path.with_name(path.name.removesuffix(".gz")))
        payload = _parse_json(raw, str(path))
        payload.recorded_at = recorded
        return payload

    def _read(self, sub: str, name: str) -> Payload:
        try:
            raw, path = recorded_bytes(self.folder / sub / name)
        except FileNotFoundError as missing:
            raise EmptyResultError(f"EDGAR: {missing}") from None
        return _parse_json(raw, str(path))


class _TransientHTTPError(requests.HTTPError):
    """An HTTP status worth retrying (rate limited or the server briefly unavailable)."""


class _StatusError(requests.HTTPError):
    """Any other HTTP error status."""


def _raise_for_status(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    # A session hook runs inside the library's request, so the status is raised with the
    # response attached (the library's own EdgarAPIError keeps only a message).
    if response.status_code >= 400:
        kind = _TransientHTTPError if response.status_code in TRANSIENT_STATUS else _StatusError
        response.close()  # the body is never read: release the connection now
        raise kind(f"HTTP {response.status_code} for {response.url}", response=response)


class _TimeoutAdapter(HTTPAdapter):
    """No urllib3 retries (tenacity owns retrying) and a default timeout the library never sets."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class _SecEdgarClient(EdgarClient):
    """``sec_edgar_api.EdgarClient`` with a base URL seam and access to one paging file.

    The library builds every URL from its ``https://data.sec.gov`` constants and sends it through
    ``_rate_limited_get`` (its process-wide 10 requests/s limiter); overriding that one method to
    swap the host keeps the limiter and the library's URL building, without patching globals.
    """

    def __init__(self, user_agent: str, base_url: str | None, timeout: float) -> None:
        super().__init__(user_agent)
        self.base_url = (base_url or _BASE_URL_SEC_API).rstrip("/")
        # The library pins Host to data.sec.gov; let requests derive it from the URL, since the
        # ticker map lives on www.sec.gov (and tests point base_url at a local stand-in).
        self._session.headers.pop("Host", None)
        self.tickers_url = (f"{self.base_url}/files/company_tickers.json" if base_url
                            else TICKERS_URL)
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, _TimeoutAdapter(timeout))
        self._session.hooks["response"].append(_raise_for_status)

    def url(self, sec_url: str) -> str:
        """Where a data.sec.gov URL is fetched from (itself, or the same path under base_url)."""
        if not sec_url.startswith(_BASE_URL_SEC_API):
            raise ValueError(f"not a data.sec.gov URL: {sec_url}")
        return self.base_url + sec_url.removeprefix(_BASE_URL_SEC_API)

    def _rate_limited_get(self, url: str) -> Any:
        return super()._rate_limited_get(self.url(url))

    def get_submissions_page(self, name: str) -> Any:
        """One submissions paging file, e.g. ``CIK0000320193-submissions-001.json``."""
        return self._rate_limited_get(f"{BASE_URL_SUBMISSIONS}/{name}")

    def get_company_tickers(self) -> Any:
        """The SEC's ticker -> CIK map, through the same rate limiter."""
        return super()._rate_limited_get(self.tickers_url)


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, _TransientHTTPError | requests.ConnectionError | requests.Timeout)


class LiveClient:
    """data.sec.gov through ``sec-edgar-api``: at most 10 requests/s, transient errors retried."""

    def __init__(
        self,
        user_agent: str | None,
        base_url: str | None = None,
        ciks: Iterable[str | int] = (),
        *,
        timeout: float = 30.0,
        attempts: int = 4,
        backoff: float = 0.5,
    ) -> None:
        if not user_agent or not user_agent.strip():
            raise ValueError(f"an SEC user agent is required: {USER_AGENT_HELP}")
        if "@" not in user_agent:
            raise ValueError(f"SEC user agent {user_agent!r} has no e-mail address: "
                             f"{USER_AGENT_HELP}")
        self._http = _SecEdgarClient(user_agent.strip(), base_url, timeout)
        self._ciks = [normalize_cik(cik) for cik in ciks]
        self._retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential_jitter(multiplier=backoff, max=30 * backoff),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )

    def keys(self) -> list[str]:
        """The CIKs this client was configured with (data.sec.gov cannot list companies)."""
        return list(self._ciks)

    def company_facts(self, cik: str | int) -> Payload:
        """The companyfacts body for ``cik``."""
        cik = normalize_cik(cik)
        url = self._http.url(f"{BASE_URL_XBRL_COMPANY_FACTS}/CIK{cik}.json")
        return self._get(url, self._http.get_company_facts, cik)

    def submissions(self, cik: str | int) -> list[Payload]:
        """The submissions body for ``cik`` (unmerged), then each paging file it names."""
        cik = normalize_cik(cik)
        url = self._http.url(f"{BASE_URL_SUBMISSIONS}/CIK{cik}.json")
        main = self._get(url, self._http.get_submissions, cik, handle_pagination=False)
        requests = [(name, (self._http.url(f"{BASE_URL_SUBMISSIONS}/{name}"),
                            self._http.get_submissions_page, name))
                    for name in paging_names(main)]
        return [main, *_named_pages(main, self._get, requests)]

    @cache  # noqa: B019 (one map per client; clients live as long as a load)
    def company_tickers(self) -> Payload | None:
        """The SEC's current ticker -> CIK map, dated when it was fetched."""
        fetched = datetime.now(UTC).replace(tzinfo=None)
        try:
            payload = self._get(self._http.tickers_url, self._http.get_company_tickers)
        except EmptyResultError:
            return None
        payload.recorded_at = fetched
        return payload

    def _get(self, url: str, call: Any, *args: Any, **kwargs: Any) -> Payload:
        try:
            body = self._retrying(call, *args, **kwargs)
        except _StatusError as error:
            if error.response is not None and error.response.status_code == 404:
                raise EmptyResultError(f"{url}: not found (HTTP 404)") from None
            raise PayloadError(f"{url}: {error}") from None
        except requests.JSONDecodeError as error:
            raise PayloadError(f"{url}: not valid JSON ({error})") from None
        except requests.RequestException as error:
            raise PayloadError(f"{url}: request failed after retries ({error})") from None
        if not isinstance(body, dict):
            raise PayloadError(f"{url}: expected a JSON object, got {type(body).__name__}")
        return Payload(body, url)
