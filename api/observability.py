"""Prometheus metrics and one request-log line per request (no credentials ever logged)."""

from __future__ import annotations

import logging
import os
import time
from urllib.parse import parse_qsl, urlencode

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

log = logging.getLogger("factor_mart.api.access")
SECRET_PARAMS = {"api_key", "token", "access_token", "key"}


def multiprocess_dir() -> str | None:
    """Where every worker writes its metrics when several serve (prometheus_client's
    multiprocess mode; the folder must be emptied before the server starts)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


class Metrics:
    """The API's metrics in their own registry (one per app, so tests do not collide).

    With PROMETHEUS_MULTIPROC_DIR set, each worker writes its values to files there and a
    scrape of any worker reports the sum over all of them (gauges: open streams summed over
    live workers, the newest version and its publish time the maximum).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("factor_mart_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("factor_mart_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.stream_clients = Gauge("factor_mart_stream_clients", "connected stream clients",
                                    ["kind"], registry=self.registry, multiprocess_mode="livesum")
        self.dropped_clients = Counter("factor_mart_stream_clients_dropped_total",
                                       "stream clients dropped for falling behind",
                                       registry=self.registry)
        self.events = Counter("factor_mart_stream_events_total", "events broadcast",
                              ["type"], registry=self.registry)
        self.mart_version = Gauge("factor_mart_mart_version", "latest published mart version",
                                  registry=self.registry, multiprocess_mode="max")
        self.mart_published = Gauge(
            "factor_mart_mart_published_timestamp_seconds",
            "when the latest mart version was published (Unix time; its age is time() - this)",
            registry=self.registry, multiprocess_mode="max")
        self._sent: dict = {}

    def sent(self, kind: str) -> None:
        """Count one stream event sent (the labelled child is looked up once per kind: this
        runs once per client per publish)."""
        child = self._sent.get(kind)
        if child is None:
            child = self._sent[kind] = self.events.labels(kind)
        child.inc()

    def exposition(self) -> bytes:
        """The Prometheus text format: of every worker in multiprocess mode, else this one."""
        if multiprocess_dir() is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)

    def process_exit(self) -> None:
        """Forget this worker's live gauges (open streams) in multiprocess mode."""
        if multiprocess_dir() is not None:
            multiprocess.mark_process_dead(os.getpid())


def redacted_query(query: bytes) -> str:
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in pairs],
                     safe="*")


class ObservabilityMiddleware:
    """Pure ASGI (so SSE and WebSocket pass through untouched): time, count and log requests."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), {"code": 101 if scope["type"] == "websocket"
                                                else 500}

        async def recording_send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "WS")
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(method, route, str(status["code"])).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            if log.isEnabledFor(logging.INFO):  # the query is parsed only to be logged
                query = redacted_query(scope.get("query_string", b""))
                client = (scope.get("client") or ("-", 0))[0]
                log.info("%s %s%s %s %.1fms client=%s principal=%s", method, scope["path"],
                         f"?{query}" if query else "", status["code"], elapsed * 1000,
                         client, scope.get("state", {}).get("principal", "-"))
