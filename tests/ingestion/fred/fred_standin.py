"""A local stand-in for the FRED API: a real HTTP server on 127.0.0.1 serving a replay folder.

It speaks the protocol of the endpoints fredapi uses (``fred/series``,
``fred/series/observations``, ``fred/series/vintagedates``): FRED's XML by default (what fredapi
asks for) or JSON with ``file_type=json``, real-time windows with clipped periods, the
2,000-vintage limit, ``limit``/``offset`` paging, and FRED's error bodies for a missing or
wrong ``api_key``. Its window logic is written independently of ``ingestion.fred`` so the live
client is checked against a second implementation, not against itself.
"""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

TEST_API_KEY = "0123456789abcdef0123456789abcdef"
_KEY_SHAPE = re.compile(r"[a-z0-9]{32}")
_KEY_HELP = "Read https://fred.stlouisfed.org/docs/api/api_key.html for more information."


class FredError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class FredStandIn:
    """Serve ``folder`` (replay layout) as the FRED API; use as a context manager."""

    def __init__(self, folder: str | Path, api_key: str = TEST_API_KEY, *,
                 max_vintages: int = 2000, row_limit: int = 100_000,
                 vintage_page_size: int = 10_000) -> None:
        self.folder = Path(folder)
        self.api_key = api_key
        self.max_vintages, self.row_limit = max_vintages, row_limit
        self.vintage_page_size = vintage_page_size
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/fred"

    def __enter__(self) -> FredStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status`` (to exercise retries)."""
        with self._lock:
            self._failures += [status] * count

    # --- protocol -----------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                params = {k: v[-1] for k, v in parse_qs(url.query).items()}
                as_json = params.get("file_type") == "json"
                try:
                    status, body = 200, standin._answer(url.path, params)
                except FredError as exc:
                    status, body = exc.status, _error_body(exc, as_json)
                if as_json:
                    payload = json.dumps({k: v for k, v in body.items() if k != "_root"})
                else:
                    payload = _xml(body)
                self.send_response(status)
                self.send_header("Content-Type",
                                 "application/json" if as_json else "text/xml; charset=UTF-8")
                data = payload.encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def _answer(self, path: str, params: dict[str, str]) -> Any:
        with self._lock:
            self.requests.append((path, {k: v for k, v in params.items() if k != "api_key"}))
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            raise FredError(failure, "Internal Server Error.")
        self._check_key(params.get("api_key"))
        routes = {"/fred/series": self._series, "/fred/series/observations": self._observations,
                  "/fred/series/vintagedates": self._vintage_dates}
        if path not in routes:
            raise FredError(404, "Not Found.")
        if "series_id" not in params:
            raise FredError(400, "Bad Request.  Variable series_id is not set.")
        return routes[path](params["series_id"].upper(), params)

    def _check_key(self, key: str | None) -> None:
        if not key:
            raise FredError(400, f"Bad Request.  Variable api_key is not set.  {_KEY_HELP}")
        if not _KEY_SHAPE.fullmatch(key):
            raise FredError(400, "Bad Request.  The value for variable api_key is not a 32 "
                                 f"character alpha-numeric lower-case string.  {_KEY_HELP}")
        if key != self.api_key:
            raise FredError(400, "Bad Request.  The value for variable api_key is not "
                                 f"registered.  {_KEY_HELP}")

    def _load(self, kind: str, series_id: str) -> dict[str, Any]:
        path = self.folder / kind / f"{series_id}.json"
        if not path.exists():
            raise FredError(400, "Bad Request.  The series does not exist.")
        return json.loads(path.read_text())

    def _series(self, series_id: str, params: dict[str, str]) -> dict[str, Any]:
        return {"_root": "seriess", **self._load("series", series_id)}

    def _vintages(self, series_id: str) -> list[str]:
        rows = self._load("observations", series_id)["observations"]
        return sorted({row["realtime_start"] for row in rows})

    def _vintage_dates(self, series_id: str, params: dict[str, str]) -> dict[str, Any]:
        start = _date_param(params, "realtime_start", "1776-07-04")
        end = _date_param(params, "realtime_end", "9999-12-31")
        dates = [v for v in self._vintages(series_id) if start <= v <= end]
        if params.get("sort_order") == "desc":
            dates.reverse()
        offset, limit = _paging(params, self.vintage_page_size)
        return {"_root": "vintage_dates", "realtime_start": start, "realtime_end": end,
                "order_by": "vintage_date", "sort_order": params.get("sort_order", "asc"),
                "count": len(dates), "offset": offset, "limit": limit,
                "vintage_dates": dates[offset:offset + limit]}

    def _observations(self, series_id: str, params: dict[str, str]) -> dict[str, Any]:
        today = date.today().isoformat()  # FRED's default window is today
        start = _date_param(params, "realtime_start", today)
        end = _date_param(params, "realtime_end", today)
        if end < start:
            raise FredError(400, "Bad Request.  The real-time period is invalid.")
        if params.get("output_type", "1") != "1":
            raise FredError(400, "Bad Request.  This stand-in serves output_type=1 only.")
        body = self._load("observations", series_id)
        spanned = [v for v in self._vintages(series_id) if start <= v <= end]
        if len(spanned) > self.max_vintages:
            raise FredError(400, "Bad Request.  This exceeds the maximum number of vintage "
                                 f"dates allowed ({self.max_vintages}).")
        obs_start = _date_param(params, "observation_start", "1600-01-01")
        obs_end = _date_param(params, "observation_end", "9999-12-31")
        rows = [
            {**row, "realtime_start": max(row["realtime_start"], start),
             "realtime_end": min(row["realtime_end"], end)}
            for row in body["observations"]
            if row["realtime_start"] <= end and row["realtime_end"] >= start
            and obs_start <= row["date"] <= obs_end
        ]
        rows.sort(key=lambda row: (row["date"], row["realtime_start"]))
        offset, limit = _paging(params, self.row_limit)
        return {"_root": "observations", "realtime_start": start, "realtime_end": end,
                "observation_start": obs_start, "observation_end": obs_end, "units": "lin",
                "output_type": 1, "file_type": params.get("file_type", "xml"),
                "order_by": "observation_date", "sort_order": "asc", "count": len(rows),
                "offset": offset, "limit": limit, "observations": rows[offset:offset + limit]}


def _date_param(params: dict[str, str], name: str, default: str) -> str:
    value = params.get(name, default)
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise FredError(400, f"Bad Request.  Variable {name} is not a valid date.") from None


def _paging(params: dict[str, str], max_limit: int) -> tuple[int, int]:
    try:
        offset = int(params.get("offset", 0))
        limit = min(int(params.get("limit", max_limit)), max_limit)
    except ValueError:
        raise FredError(400, "Bad Request.  Variable limit or offset is not an integer.") from None
    return offset, limit


def _error_body(exc: FredError, as_json: bool) -> dict[str, Any]:
    if as_json:
        return {"error_code": exc.status, "error_message": exc.message}
    return {"_root": "error", "code": exc.status, "message": exc.message}


def _xml(body: dict[str, Any]) -> str:
    """FRED's XML rendering of a JSON body: lists become child elements, scalars attributes."""
    body = dict(body)
    root = ET.Element(body.pop("_root"))
    children = {"seriess": "series", "observations": "observation",
                "vintage_dates": "vintage_date"}
    for key, value in body.items():
        if isinstance(value, list):
            for item in value:
                child = ET.SubElement(root, children[key])
                if isinstance(item, dict):
                    child.attrib.update({k: str(v) for k, v in item.items()})
                else:
                    child.text = str(item)
        else:
            root.set(key, str(value))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
