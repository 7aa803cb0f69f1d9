"""`factor-mart bench api`: latency percentiles of the main read routes over loopback HTTP."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx


@dataclass
class Result:
    route: str
    latencies_ms: list[float]
    errors: int
    wall_s: float

    def row(self) -> dict[str, str]:
        ordered = sorted(self.latencies_ms) or [float("nan")]

        def pct(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return {"route": self.route, "requests": str(len(self.latencies_ms) + self.errors),
                "errors": str(self.errors), "p50 ms": f"{statistics.median(ordered):.1f}",
                "p95 ms": f"{pct(0.95):.1f}", "p99 ms": f"{pct(0.99):.1f}",
                "max ms": f"{ordered[-1]:.1f}",
                "req/s": f"{len(self.latencies_ms) / self.wall_s:.0f}"}


@contextmanager
def local_server() -> Iterator[str]:
    """A uvicorn process on a free loopback port with the environment's settings (no auth)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"FACTOR_MART_API_AUTH": "false",
                        "FACTOR_MART_API_RATE_LIMIT_PER_MINUTE": "100000000"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                                "api.main:create_app", "--port", str(port), "--log-level",
                                "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _run(client: httpx.Client, route: str, path: str, params: dict, requests: int,
         concurrency: int) -> Result:
    def one(_: int) -> float | None:
        started = time.perf_counter()
        response = client.get(path, params=params)
        return (time.perf_counter() - started) * 1000 if response.status_code == 200 else None

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        timings = list(pool.map(one, range(requests)))
    ok = [t for t in timings if t is not None]
    return Result(route, ok, len(timings) - len(ok), time.perf_counter() - started)


def bench(url: str, requests: int, concurrency: int, api_key: str | None) -> list[Result]:
    """Cross-section, symbol history and catalog, each `requests` times."""
    headers = {"X-API-Key": api_key} if api_key else {}
    limits = httpx.Limits(max_connections=concurrency)
    with httpx.Client(base_url=url, headers=headers, timeout=30, limits=limits) as client:
        catalog = client.get("/v1/factors").json()["items"]
        stock = [f["factor"] for f in catalog if f["family"] != "macro"]
        factor = next((f for f in stock
                       if client.get(f"/v1/factors/{f}/cross-section").status_code == 200), None)
        if factor is None:
            raise SystemExit("no factor has a cross-section in the published mart")
        section = client.get(f"/v1/factors/{factor}/cross-section").json()
        symbol = section["values"][0]["symbol"]
        client.get("/v1/factors")  # warm the connection pool and the snapshot connection
        return [
            _run(client, f"cross-section {factor} ({section['count']} symbols)",
                 f"/v1/factors/{factor}/cross-section", {"date": section["date"]}, requests,
                 concurrency),
            _run(client, f"history {symbol} x 5 factors, 1 year",
                 f"/v1/symbols/{symbol}/factors", {"factors": ",".join(stock[:5])}, requests,
                 concurrency),
            _run(client, "catalog", "/v1/factors", {}, requests, concurrency),
        ]
