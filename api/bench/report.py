"""`factor-mart bench api`: run the REST and stream benches, print tables, write the JSON."""

from __future__ import annotations

import json
import os
from contextlib import nullcontext
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from api.bench.mart import MartShape, ensure_mart
from api.bench.rest import Result, bench, local_server
from api.bench.stream_clients import raise_fd_limit
from api.bench.streams import PhaseResult, stream_bench
from factor_mart.settings import PROJECT_ROOT, Settings

RESULTS = PROJECT_ROOT / "bench_results"


def _server_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {"FACTOR_MART_BACKEND": settings.backend.value,
           "FACTOR_MART_DUCKDB_PATH": str(settings.duckdb_path)}
    if settings.postgres_dsn:
        env["FACTOR_MART_POSTGRES_DSN"] = settings.postgres_dsn
    return env | extra


def run_api_bench(console: Console, *, url: str | None, symbols: int, years: int,
                  published: bool, requests: int, concurrency: list[int], api_key: str | None,
                  stream_clients: int, slow_clients: int, events: int, interval: float,
                  broadcast_url: str | None, send_buffer: int | None = 16384,
                  profile: Path | None = None, workers: int = 1) -> Path:
    """Every part the options ask for; the path of the JSON written."""
    fd_limit = raise_fd_limit()
    say = console.print
    report: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
                    "cpus": os.cpu_count(), "load_average_start": os.getloadavg(),
                    "open_files_limit": fd_limit, "server_workers": workers}
    settings = Settings()
    if not (url or published):
        shape = MartShape(symbols=symbols, years=years)
        say(f"bench mart: {symbols} symbols x {years} years (built once, then reused)")
        settings = ensure_mart(RESULTS / f"api-mart-{symbols}x{years}", shape, say)
        report["mart"] = asdict(shape) | {"last_date": str(shape.last_date)}
    rest_server = local_server(profile=profile, workers=workers, **_server_env(settings))
    report["rest"] = []
    with nullcontext(None) if url else rest_server as server:
        for clients in concurrency:
            results = bench(url or server.url, requests, clients, api_key, server)
            report["rest"].append({"concurrency": clients, "routes": [
                asdict(r) | {"p50_ms": r.percentile(0.5), "p99_ms": r.percentile(0.99)}
                for r in results], "load_average": os.getloadavg()})
            _print_rest(console, results, clients)
    if stream_clients and not url:
        broadcast = broadcast_url or settings.api_broadcast_url
        if workers > 1 and broadcast.startswith("memory://"):
            raise SystemExit("several workers need --broadcast-url redis://... or postgresql://")
        say(f"stream bench: {stream_clients} fast + {slow_clients} slow clients, "
            f"broadcaster {broadcast}")
        stream_settings = ensure_mart(RESULTS / f"api-stream-mart-{symbols}", MartShape(
            symbols=symbols, years=1, last_sessions=1), say)
        env = _server_env(stream_settings, FACTOR_MART_API_BROADCAST_URL=broadcast)
        with local_server(send_buffer=send_buffer, workers=workers, **env) as server:
            cpu_before = server.cpu_seconds()
            streams = stream_bench(server.url, stream_settings.model_copy(
                update={"api_broadcast_url": broadcast}), fast=stream_clients,
                slow=slow_clients, events=events, interval=interval,
                server_cpu=server.cpu_seconds, progress=say)
            server_cpu = server.cpu_seconds() - cpu_before
        phases = streams["phases"]
        report["streams"] = {"broadcast_url": broadcast, "interval_s": interval,
                             "send_buffer_bytes": send_buffer, "server_cpu_seconds": server_cpu,
                             "client_cpu_seconds": streams["client_cpu_seconds"],
                             "client_processes": streams["client_processes"],
                             "phases": [_phase_json(p) for p in phases],
                             "load_average": os.getloadavg()}
        _print_streams(console, phases)
        say(f"CPU seconds: server {server_cpu:.1f}, stream clients "
            f"{streams['client_cpu_seconds']:.1f} ({streams['client_processes']} processes)")
    report["load_average_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"api-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    say(f"load average (1, 5, 15 min): start {_load(report['load_average_start'])}, "
        f"end {_load(report['load_average_end'])}; results: {path}")
    return path


def _load(values) -> str:
    return " ".join(f"{v:.1f}" for v in values)


def _phase_json(phase: PhaseResult) -> dict:
    body = asdict(phase)
    body.pop("latencies_ms")
    return body | {"deliveries": len(phase.latencies_ms), "p50_ms": phase.percentile(0.5),
                   "p99_ms": phase.percentile(0.99),
                   "max_ms": max(phase.latencies_ms, default=None)}


def _print_rest(console: Console, results: list[Result], concurrency: int) -> None:
    table = Table(title=f"REST over loopback, {concurrency} concurrent client(s)",
                  caption="; ".join(r.route for r in results[:2]))
    table.add_column("")
    for result in results:
        table.add_column(result.route.split(":")[0], justify="right")
    rows = [r.row() for r in results]
    for label in list(rows[0])[1:]:
        table.add_row(label, *(row[label] for row in rows))
    console.print(table)


def _print_streams(console: Console, phases: list[PhaseResult]) -> None:
    table = Table(title="Publish-to-delivery latency at the fast stream clients")
    table.add_column("")
    for phase in phases:
        table.add_column(phase.name, justify="right")
    rows = {
        "publishes": lambda p: str(p.events),
        "fast clients (SSE + WebSocket)": lambda p: str(p.fast_clients),
        "deliveries timed": lambda p: f"{len(p.latencies_ms):,}",
        "missed": lambda p: str(p.missed),
        "p50 ms": lambda p: f"{p.percentile(0.5):.1f}",
        "p99 ms": lambda p: f"{p.percentile(0.99):.1f}",
        "max ms": lambda p: f"{max(p.latencies_ms, default=float('nan')):.1f}",
        "p99 ms SSE / WebSocket": lambda p: f"{p.p99_by_kind_ms['sse']:.1f} / "
                                           f"{p.p99_by_kind_ms['ws']:.1f}",
        "slow clients / dropped by the server": lambda p: f"{p.slow_clients} / "
                                                          f"{p.slow_dropped}",
        "open streams at the end (server)": lambda p: f"{p.open_streams_after:.0f}",
        "publish() p50 ms": lambda p: f"{p.publish_p50_ms:.0f}",
        "server CPU ms per publish": lambda p: f"{p.server_cpu_ms_per_event:.0f}",
    }
    for label, cell in rows.items():
        table.add_row(label, *(cell(p) for p in phases))
    console.print(table)
