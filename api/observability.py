"""Prometheus metrics and one request-log line per request (no credentials ever logged)."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

log = logging.getLogger("factor_mart.api.access")
SECRET_PARAMS = {"api_key", "token", "access_token", "key"}


class Metrics:
    """The API's metrics in their own registry (one per app, so tests do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("factor_mart_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("factor_mart_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.stream_clients = Gauge("factor_mart_stream_clients", "connected stream clients",
                                    ["kind"], registry=self.registry)
        self.dropped_clients = Counter("factor_mart_stream_clients_dropped_total",
                                       "stream clients dropped for falling behind",
                                       registry=self.registry)
        self.events = Counter("factor_mart_stream_events_total", "events broadcast",
                              ["type"], registry=self.registry)
        self.mart_version = Gauge("factor_mart_mart_version", "latest published mart version",
                                  registry=self.registry)


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
            query = redacted_query(scope.get("query_string", b""))
            client = (scope.get("client") or ("-", 0))[0]
            log.info("%s %s%s %s %.1fms client=%s principal=%s", method, scope["path"],
                     f"?{query}" if query else "", status["code"], elapsed * 1000, client,
                     scope.get("state", {}).get("principal", "-"))
