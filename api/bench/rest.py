"""Latency percentiles of the main read routes over loopback HTTP, and the server to run them on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Result:
    route: str
    latencies_ms: list[float]
    errors: int
    wall_s: float
    server_cpu_s: float | None = None  # CPU the server process spent on these requests

    def percentile(self, q: float) -> float:
        from api.bench.streams import percentile

        return percentile(self.latencies_ms, q)

    def row(self) -> dict[str, str]:
        return {"route": self.route, "requests": str(len(self.latencies_ms) + self.errors),
                "errors": str(self.errors), "p50 ms": f"{self.percentile(0.5):.1f}",
                "p95 ms": f"{self.percentile(0.95):.1f}",
                "p99 ms": f"{self.percentile(0.99):.1f}",
                "max ms": f"{max(self.latencies_ms, default=float('nan')):.1f}",
                "req/s": f"{len(self.latencies_ms) / self.wall_s:.0f}",
                "server CPU ms/req": "-" if self.server_cpu_s is None else
                f"{self.server_cpu_s * 1000 / max(1, len(self.latencies_ms) + self.errors):.1f}"}


@dataclass
class LocalServer:
    url: str
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process and its workers have used so far."""
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *_children(self.process.pid)])


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def local_server(profile: Path | None = None, send_buffer: int | None = None, workers: int = 1,
                 **env: str) -> Iterator[LocalServer]:
    """`api.bench.server` on a free loopback port with the environment's settings (no auth)
    plus `env` (FACTOR_MART_* variables); `send_buffer` bounds each connection's kernel send
    buffer; `workers` > 1 shares /metrics through PROMETHEUS_MULTIPROC_DIR; `profile`: write
    a pyinstrument profile there."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"FACTOR_MART_API_AUTH": "false",
                        "FACTOR_MART_API_RATE_LIMIT_PER_MINUTE": "100000000"} | env
    options = [f"--workers={workers}"]
    options += [f"--send-buffer={send_buffer}"] if send_buffer else []
    options += [f"--profile={profile}"] if profile else []
    with tempfile.TemporaryDirectory(prefix="fm-bench-metrics-") as metrics:
        if workers > 1:
            env["PROMETHEUS_MULTIPROC_DIR"] = metrics
        process = subprocess.Popen([sys.executable, "-m", "api.bench.server",
                                    "--port", str(port), *options], env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                if process.poll() is not None:
                    raise RuntimeError(f"the API server exited with {process.returncode}")
                try:
                    httpx.get(f"{url}/v1/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield LocalServer(url, process)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _run(client: httpx.Client, route: str, calls: list[tuple[str, dict]], requests: int,
         concurrency: int, server: LocalServer | None) -> Result:
    """`requests` GETs cycling through `calls` (path, params), `concurrency` at a time."""
    def one(n: int) -> float | None:
        path, params = calls[n % len(calls)]
        started = time.perf_counter()
        response = client.get(path, params=params)
        return (time.perf_counter() - started) * 1000 if response.status_code == 200 else None

    cpu = server.cpu_seconds() if server else None
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        timings = list(pool.map(one, range(requests)))
    ok = [t for t in timings if t is not None]
    return Result(route, ok, len(timings) - len(ok), time.perf_counter() - started,
                  server.cpu_seconds() - cpu if server else None)


def bench(url: str, requests: int, concurrency: int, api_key: str | None,
          server: LocalServer | None = None, spread: int = 20) -> list[Result]:
    """Cross-sections, symbol histories and the catalog, `requests` of each (with the server's
    CPU time when it is a `local_server`). The requests cycle through `spread` factors (each
    one's cross-section on the newest date) and `spread` symbols (a year of 5 factors), so
    they read different parts of the mart, as different users would."""
    headers = {"X-API-Key": api_key} if api_key else {}
    limits = httpx.Limits(max_connections=concurrency)
    with httpx.Client(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        catalog = client.get("/v1/factors").json()["items"]
        stock = [f["factor"] for f in catalog if f["family"] != "macro"]
        sections = [r.json() for r in (client.get(f"/v1/factors/{f}/cross-section")
                                       for f in stock) if r.status_code == 200][:spread]
        if not sections:
            raise SystemExit("no factor has a cross-section in the published mart")
        symbols = [row["symbol"] for row in sections[0]["values"]]
        symbols = symbols[::max(1, len(symbols) // spread)][:spread]
        history = {"factors": ",".join(stock[:5])}
        cross = [(f"/v1/factors/{x['factor']}/cross-section", {"date": x["date"]})
                 for x in sections]
        histories = [(f"/v1/symbols/{symbol}/factors", history) for symbol in symbols]
        for path, params in cross + histories:  # warm the connections and the snapshot's
            client.get(path, params=params)
        size = max(x["count"] for x in sections)
        return [
            _run(client, f"cross-section: 1 factor x {size} symbols ({len(cross)} factors)",
                 cross, requests, concurrency, server),
            _run(client, f"history: 5 factors x 1 year ({len(histories)} symbols)",
                 histories, requests, concurrency, server),
            _run(client, "catalog", [("/v1/factors", {})], requests, concurrency, server),
        ]
