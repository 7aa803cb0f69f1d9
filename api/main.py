"""Builds the FastAPI app: routers, error handlers, auth, limits, metrics, broadcaster."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from api import errors
from api.broadcast import Broadcaster, Event
from api.deps import guard
from api.mart import MartStore
from api.observability import Metrics, ObservabilityMiddleware
from api.routes import catalog, evaluation, factor_values, health, macro, streams, versions
from api.security import Authenticator, RateLimiter
from api.subscriptions import Payloads
from factor_mart.settings import Settings

log = logging.getLogger("factor_mart.api")
# uvicorn options every way of serving the app uses (`factor-mart serve`, the bench server).
# No permessage-deflate: the server would compress each WebSocket message once per client
# (~10% of its CPU for a publish to 1,000 clients, and as much again in the clients).
SERVER_OPTIONS = {"ws_per_message_deflate": False}


async def _watch_versions(app: FastAPI) -> None:
    """memory:// broadcaster: notice new versions published by any process (poll the pointer)."""
    state = app.state
    while True:
        await asyncio.sleep(state.settings.api_poll_seconds)
        try:
            version = await run_in_threadpool(state.store.latest)
        except Exception as exc:  # a warehouse hiccup must not end the watcher
            log.warning("could not read the latest mart version: %s", exc)
            continue
        if version is not None and version.version > state.broadcaster.last_id:
            state.broadcaster.deliver(Event(**version.event()))


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    try:
        latest = await run_in_threadpool(state.store.latest)
    except Exception as exc:
        log.warning("warehouse not reachable at start-up: %s", exc)
        latest = None
    baseline = latest.version if latest else 0
    state.metrics.mart_version.set(baseline)
    if latest:
        state.metrics.mart_published.set(latest.published_at.replace(tzinfo=UTC).timestamp())
    await state.broadcaster.start(baseline)
    watcher = None
    if state.broadcaster.kind == "memory":
        watcher = asyncio.create_task(_watch_versions(app))
    try:
        yield
    finally:
        if watcher:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await state.broadcaster.stop()
        state.store.close()
        state.metrics.process_exit()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for one settings object (`uvicorn --factory api.main:create_app`)."""
    settings = settings or Settings()
    app = FastAPI(
        title="Factor Mart API", version="1.0",
        description="Point-in-time equity factors: catalog, cross-sections, histories, macro "
                    "regimes, published mart versions, and streams of new versions.",
        lifespan=_lifespan)
    metrics = Metrics()
    app.state.settings = settings
    app.state.store = MartStore(settings)
    app.state.auth = Authenticator(settings)
    shared = settings.api_broadcast_url.startswith("redis://")
    app.state.limiter = RateLimiter(settings.api_broadcast_url if shared else None)
    app.state.metrics = metrics
    app.state.payloads = payloads = Payloads(app.state.store)

    def announced(event: Event) -> None:
        metrics.mart_version.set(event.id)
        with contextlib.suppress(KeyError, TypeError, ValueError):
            published = datetime.fromisoformat(event.data["published_at"])
            metrics.mart_published.set(published.replace(tzinfo=UTC).timestamp())
        payloads.prefetch(event)

    app.state.broadcaster = Broadcaster(
        url=settings.api_broadcast_url, channel=settings.api_broadcast_channel,
        queue_size=settings.api_client_queue, replay_size=settings.api_replay_buffer,
        on_drop=metrics.dropped_clients.inc, on_event=announced)
    errors.install(app)
    streams.install_log_filter()
    for module in (catalog, factor_values, evaluation, macro, versions, health, streams):
        app.include_router(module.router)

    @app.get("/metrics", tags=["metrics"], include_in_schema=False,
             dependencies=[Depends(guard("metrics"))])
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    if settings.api_cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.api_cors_origins,
                           allow_methods=["GET"], allow_headers=["X-API-Key", "Authorization",
                                                                 "Last-Event-ID"])
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    return app
