"""A local stand-in for data.sec.gov: a real HTTP server on 127.0.0.1 serving a replay folder.

It answers the SEC's paths (``/api/xbrl/companyfacts/CIK##########.json``,
``/submissions/CIK##########[-submissions-NNN].json``) from the replay layout, refuses requests
without a User-Agent (HTTP 403, as the SEC does), serves ``.json.gz`` files gzip-encoded to
clients that accept it, records every request and can fail chosen paths to exercise retries.
Used by the tests and for offline runs of the live client::

    with EdgarStandIn("tests/fixtures/edgar") as sec:
        client = LiveClient("Factor Mart dev@example.com", base_url=sec.url)
"""

from __future__ import annotations

import gzip
import re
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_ROUTES = (
    (re.compile(r"/api/xbrl/companyfacts/(CIK\d{10}\.json)"), "companyfacts"),
    (re.compile(r"/submissions/(CIK\d{10}(?:-submissions-\d+)?\.json)"), "submissions"),
)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    user_agent: str | None
    status: int


class EdgarStandIn:
    """data.sec.gov on 127.0.0.1 backed by a replay folder; use as a context manager."""

    def __init__(self, folder: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = Path(folder)
        self.requests: list[RecordedRequest] = []
        self._failures: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, path: str, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status``."""
        with self._lock:
            self._failures[(path, status)] += times

    def __enter__(self) -> EdgarStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _take_failure(self, path: str) -> int | None:
        with self._lock:
            for (failing_path, status), left in self._failures.items():
                if failing_path == path and left > 0:
                    self._failures[(failing_path, status)] -= 1
                    return status
        return None

    def _file(self, path: str) -> Path | None:
        if path == "/files/company_tickers.json":  # www.sec.gov's ticker map
            found = sorted(self.folder.glob("company_tickers*.json*"))
            return found[-1] if found else None
        for pattern, sub in _ROUTES:
            if match := pattern.fullmatch(path):
                plain = self.folder / sub / match.group(1)
                for candidate in (plain, plain.with_name(plain.name + ".gz")):
                    if candidate.is_file():
                        return candidate
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                user_agent = self.headers.get("User-Agent")
                status, body, encoding = self._answer(path, user_agent)
                with standin._lock:
                    standin.requests.append(RecordedRequest(path, user_agent, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _answer(self, path: str, user_agent: str | None) -> tuple[int, bytes, str | None]:
                if not user_agent:
                    return 403, b'{"message": "Undeclared automated tool"}', None
                if status := standin._take_failure(path):
                    return status, b'{"message": "injected failure"}', None
                file = standin._file(path)
                if file is None:
                    return 404, b'{"message": "not found"}', None
                body = file.read_bytes()
                if file.suffix != ".gz":
                    return 200, body, None
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    return 200, body, "gzip"
                return 200, gzip.decompress(body), None

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Quiet: requests are recorded in ``standin.requests`` instead."""

        return Handler
