"""Publish-to-delivery latency of the streams with many clients, some of them too slow.

The bench process publishes the mart with `factor_mart.publish.publish` (the pipeline's
publish_job path: snapshot, pointer swap, announce on the broadcaster). An event's latency at a
client is the time it arrived there minus the time its version became visible (the mtime of the
new `snapshots/current.json`, written just before the announce). Clients run in their own
processes (`api.bench.stream_clients`), apart from the server and the publisher.

SSE clients must receive every event. A WebSocket update carries the current state, so when the
server is behind, one update may cover several versions: a version counts as delivered to a
WebSocket client by the first update carrying it or a later one.

Two phases over the same fast clients: first alone, then with slow clients connected that stop
reading their sockets. The slow ones must be dropped by the server and the fast ones must keep
their latency and miss nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.bench.stream_clients import ClientLog
from factor_mart.publish import publish, snapshot_dir
from factor_mart.settings import Settings


@dataclass
class Phase:
    """The versions one phase published and when each became visible (epoch seconds)."""

    name: str
    versions: dict[int, float] = field(default_factory=dict)
    publish_seconds: list[float] = field(default_factory=list)
    server_cpu_seconds: float = 0.0


@dataclass
class PhaseResult:
    name: str
    events: int
    fast_clients: int
    latencies_ms: list[float]  # one per (fast client, event) delivered
    missed: int  # (fast client, event) pairs never delivered
    p99_by_kind_ms: dict[str, float]
    slow_clients: int = 0
    slow_dropped: int = 0  # connections the server closed
    slow_told: int = 0  # of those, told why before the close ("dropped")
    publish_p50_ms: float = float("nan")
    open_streams_after: float = float("nan")  # the server's gauge at the end of the phase
    server_cpu_ms_per_event: float = float("nan")

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class ClientProcess:
    """One `api.bench.stream_clients` process."""

    def __init__(self, url: str, folder: Path, name: str, **counts: int) -> None:
        self.out = folder / f"{name}.json"
        args = [f"--{k.replace('_', '-')}={v}" for k, v in counts.items()]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.bench.stream_clients", "--url", url,
             "--out", str(self.out), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def wait_ready(self, timeout: float = 600) -> int:
        """How many clients connected, once the process has tried them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("ready"):
                return int(line.split()[1])
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"stream clients exited with {self.process.returncode}")
        raise TimeoutError("stream clients did not connect in time")

    def stop(self) -> tuple[list[ClientLog], float]:
        """Every client's log and the process's CPU seconds."""
        self.process.stdin.write("stop\n")
        self.process.stdin.flush()
        self.process.wait(timeout=120)
        result = json.loads(self.out.read_text())
        logs = [ClientLog(**row | {"received": {int(v): t for v, t in row["received"].items()}})
                for row in result["clients"]]
        return logs, result["cpu_seconds"]


def open_streams(url: str) -> float:
    """Stream clients the server counts as connected (its Prometheus gauge)."""
    text = httpx.get(f"{url}/metrics", timeout=60).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("factor_mart_stream_clients{"))


def publish_events(settings: Settings, phase: Phase, count: int, interval: float) -> None:
    """Publish `count` versions, one every `interval` seconds (or back to back if slower)."""
    pointer = snapshot_dir(settings) / "current.json"
    for _ in range(count):
        started = time.monotonic()
        version = publish(settings)
        phase.publish_seconds.append(time.monotonic() - started)
        phase.versions[version.version] = pointer.stat().st_mtime_ns / 1e9
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def delivered_at(log: ClientLog, version: int) -> float | None:
    """When `version` reached the client: its own event (SSE), or the first update carrying
    it or a later version (WebSocket)."""
    if log.kind == "sse":
        return log.received.get(version)
    return min((t for v, t in log.received.items() if v >= version), default=None)


def summarise(phase: Phase, fast: list[ClientLog]) -> PhaseResult:
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {"sse": [], "ws": []}
    missed = 0
    for log in fast:
        for version, visible in phase.versions.items():
            arrived = delivered_at(log, version)
            if arrived is None:
                missed += 1
                continue
            latencies.append((arrived - visible) * 1000)
            by_kind[log.kind].append(latencies[-1])
    return PhaseResult(
        name=phase.name, events=len(phase.versions), fast_clients=len(fast),
        latencies_ms=latencies, missed=missed,
        p99_by_kind_ms={k: percentile(v, 0.99) for k, v in by_kind.items()},
        publish_p50_ms=percentile(phase.publish_seconds, 0.5) * 1000,
        server_cpu_ms_per_event=phase.server_cpu_seconds * 1000 / max(1, len(phase.versions)))


def stream_bench(url: str, settings: Settings, fast: int = 1000, slow: int = 10,
                 events: int = 30, interval: float = 0.5, max_slow_events: int = 1000,
                 client_processes: int = 2, server_cpu: Callable[[], float] | None = None,
                 progress=print) -> dict:
    """Fast clients alone for `events` publishes, then with `slow` slow clients until the
    server has dropped them all (at least `events`, at most `max_slow_events` publishes).
    `server_cpu`: the server's CPU seconds so far, to charge each phase its share."""
    server_cpu = server_cpu or (lambda: 0.0)
    alone, crowded = Phase("fast clients only"), Phase(f"with {slow} slow clients")
    open_after: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fm-bench-streams-") as tmp:
        folder = Path(tmp)
        processes = [ClientProcess(url, folder, f"fast-{i}",
                                   sse=_share(fast // 2, i, client_processes),
                                   ws=_share(fast - fast // 2, i, client_processes))
                     for i in range(client_processes)]
        slow_process = None
        try:
            connected = sum(p.wait_ready() for p in processes)
            progress(f"  {connected} fast stream clients connected "
                     f"(the server counts {open_streams(url):.0f})")
            cpu = server_cpu()
            publish_events(settings, alone, events, interval)
            time.sleep(1)  # the last event's deliveries
            alone.server_cpu_seconds = server_cpu() - cpu
            open_after[alone.name] = open_streams(url)
            if slow:
                slow_process = ClientProcess(url, folder, "slow", slow_sse=slow // 2,
                                             slow_ws=slow - slow // 2)
                slow_connected = slow_process.wait_ready()
                progress(f"  {slow_connected} slow clients connected "
                         f"(the server counts {open_streams(url):.0f})")
                cpu = server_cpu()
                while len(crowded.versions) < max_slow_events:
                    publish_events(settings, crowded, events, interval)
                    if open_streams(url) <= connected:
                        break
                time.sleep(1)
                crowded.server_cpu_seconds = server_cpu() - cpu
                open_after[crowded.name] = open_streams(url)
                progress(f"  {len(crowded.versions)} publishes with the slow clients; the "
                         f"server counts {open_after[crowded.name]:.0f} open streams")
            time.sleep(2)  # let the last events arrive
        finally:
            results = [p.stop() for p in processes]
            slow_logs, slow_cpu = slow_process.stop() if slow_process else ([], 0.0)
    fast_logs = [lg for logs, _ in results for lg in logs if lg.connected]
    phases = [summarise(alone, fast_logs)]
    if slow:
        phases.append(summarise(crowded, fast_logs))
        connected_slow = [lg for lg in slow_logs if lg.connected]
        phases[-1].slow_clients = len(connected_slow)
        phases[-1].slow_dropped = sum(lg.closed_by_server for lg in connected_slow)
        phases[-1].slow_told = sum(lg.dropped_notice for lg in connected_slow)
    for phase in phases:
        phase.open_streams_after = open_after.get(phase.name, float("nan"))
    return {"phases": phases, "client_cpu_seconds": sum(cpu for _, cpu in results) + slow_cpu,
            "client_processes": client_processes}


def _share(total: int, index: int, parts: int) -> int:
    return total // parts + (1 if index < total % parts else 0)
