"""Streams driven by mart publishes: Server-Sent Events and a WebSocket subscription protocol."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from itertools import count
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sse_starlette import EventSourceResponse
from sse_starlette.sse import SendTimeoutError
from starlette.concurrency import run_in_threadpool

from api.alerts import AlertTracker
from api.broadcast import Dropped, Event
from api.deps import ERROR_RESPONSES, guard
from api.errors import ApiError
from api.security import token_from
from api.subscriptions import ClientMessage, Subscribe, SubscriptionError, check

router = APIRouter(prefix="/v1/stream", tags=["streams"])
log = logging.getLogger("factor_mart.api.streams")


def _sse(event: Event) -> bytes:
    """One SSE frame; the event's JSON is serialised once for all clients."""
    return f"id: {event.id}\r\nevent: {event.type}\r\ndata: {event.data_json}\r\n\r\n".encode()


@router.get("/events", responses=ERROR_RESPONSES | {
    200: {"content": {"text/event-stream": {}}, "description": "SSE: mart_published events"}},
    dependencies=[Depends(guard("streams"))])
async def sse_events(
    request: Request,
    last_event_id: Annotated[int | None, Header(ge=0, description="resume after this id")] = None,
    resume_from: Annotated[int | None, Query(ge=0, description="as Last-Event-ID")] = None,
):
    """`mart_published` events (id = version); heartbeats; resume with Last-Event-ID."""
    state = request.app.state
    broadcaster, metrics = state.broadcaster, state.metrics
    subscriber = broadcaster.subscribe()
    metrics.stream_clients.labels("sse").inc()
    resume = last_event_id if last_event_id is not None else resume_from
    queue_dropped: list[bool] = []

    async def stream():
        sent = resume or 0
        try:
            if resume is not None:
                backlog = broadcaster.since(resume)
                if backlog is None:
                    yield {"event": "reset", "data": json.dumps({
                        "message": f"events after {resume} are no longer buffered; "
                                   "re-read /v1/versions", "latest": broadcaster.last_id})}
                    backlog = []
                for event in backlog:
                    yield _sse(event)
                    sent = event.id
            while True:
                event = await subscriber.next()
                if event.id > sent:
                    yield _sse(event)
                    metrics.sent(event.type)
                    sent = event.id
        except Dropped:
            queue_dropped.append(True)  # counted by the broadcaster already
            yield {"event": "dropped", "data": json.dumps(
                {"message": "client too slow: its event queue filled up"})}
        finally:
            broadcaster.unsubscribe(subscriber)
            metrics.stream_clients.labels("sse").dec()

    def timed_out() -> None:
        if not queue_dropped:
            metrics.dropped_clients.inc()

    return _EventStream(stream(), on_timeout=timed_out,
                        ping=state.settings.api_heartbeat_seconds,
                        send_timeout=state.settings.api_send_timeout_seconds)


# Set in the task serving an SSE response the server gave up on (see `_EventStream`).
_abandoned: ContextVar[bool] = ContextVar("factor_mart_sse_abandoned", default=False)
INCOMPLETE = "ASGI callable returned without completing response"


class AbandonedStreamFilter(logging.Filter):
    """Drops uvicorn's "returned without completing response" error for an SSE stream the API
    dropped on purpose: its client stopped reading, so the end of the chunked body can never
    be written, and uvicorn then closes the connection (the API logs the drop itself). The
    line still appears for any other response left incomplete. uvicorn logs it in the task
    that ran the app, right after the app returns, where `_abandoned` is still set."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_abandoned.get() and str(record.msg).startswith(INCOMPLETE))


def install_log_filter() -> None:
    """Once per process, on the logger uvicorn reports app errors with."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, AbandonedStreamFilter) for f in logger.filters):
        logger.addFilter(AbandonedStreamFilter())


class _EventStream(EventSourceResponse):
    """An SSE response that counts a client whose send timed out (it stopped reading and its
    buffers are full) as dropped, and closes its connection without an error in the log."""

    def __init__(self, *args, on_timeout: Callable[[], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.on_timeout = on_timeout

    async def _send_with_timeout(self, send, message) -> None:
        """sse-starlette's per-send timeout with asyncio's timer instead of an anyio cancel
        scope: this runs once per client per publish, and the cancel scope was ~7% of the
        server's CPU for a publish to 1,000 clients."""
        try:
            async with asyncio.timeout(self.send_timeout):
                await send(message)
        except TimeoutError:
            raise SendTimeoutError from None

    async def __call__(self, scope, receive, send) -> None:
        async def bounded(message) -> None:
            # sse-starlette bounds each event's send but not the last one (after "dropped"),
            # which would wait forever on a client that stopped reading.
            if message["type"] == "http.response.body" and not message.get("more_body"):
                try:
                    async with asyncio.timeout(self.send_timeout):
                        await send(message)
                except TimeoutError:
                    raise SendTimeoutError from None
            else:
                await send(message)

        try:
            await super().__call__(scope, receive, bounded)
        except SendTimeoutError:
            self.on_timeout()
            _abandoned.set(True)
            log.info("dropped an SSE client that stopped reading (%s)", scope.get("client"))


class MessageBudget:
    """A token bucket over the messages one WebSocket connection sends: `rate` a second
    sustained, `burst` at once. A message over the budget is refused with an error message;
    a client that goes on sending `burst` more refused messages is closed (1008)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self.tokens, self.refused = float(self.burst), 0
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Whether one more message is within the budget (and count it)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused = 0
            return True
        self.refused += 1
        return False

    @property
    def exhausted(self) -> bool:
        """The client kept flooding after being told: close it."""
        return self.refused > self.burst

    def retry_after(self) -> float:
        return round((1 - self.tokens) / self.rate, 3) if self.rate > 0 else 60.0


class _Client:
    """One WebSocket connection: its subscriptions and throttled sends."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket, self.state = websocket, websocket.app.state
        self.subscriptions: dict[str, Subscribe] = {}
        self.last_sent: dict[str, float] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.alerts: dict[str, AlertTracker] = {}  # per alerts subscription
        self.keys: dict[str, str] = {}  # per subscription: what its payload depends on
        self.ids = count(1)
        self.lock = asyncio.Lock()
        self.closed = asyncio.Event()  # set when the client must be dropped
        self.close_code = 1000  # 1013 (try again later) when dropped for being too slow
        self.close_reason = ""
        settings = self.state.settings
        self.budget = MessageBudget(settings.api_ws_messages_per_second,
                                    settings.api_ws_message_burst)

    async def send(self, message: dict) -> None:
        await self.send_text(json.dumps(message, default=str))

    async def send_text(self, text: str) -> None:
        """Send, or drop the client when one send blocks past the timeout (it stopped reading)."""
        async with self.lock:
            try:
                async with asyncio.timeout(self.state.settings.api_send_timeout_seconds):
                    await self.websocket.send_text(text)
            except TimeoutError:
                self.state.metrics.dropped_clients.inc()
                self.close_code = 1013
                self.closed.set()
                raise

    async def error(self, message: str, code: str = "bad_message") -> None:
        await self.send({"type": "error", "code": code, "message": message})

    async def update(self, sub_id: str, initial: bool = False) -> None:
        """The subscription's current data; alerts send it once, then only their crossings."""
        message = self.subscriptions.get(sub_id)
        if message is None:
            return
        body, body_json = await self.state.payloads.get(message, self.keys[sub_id],
                                                        self.state.broadcaster.last_id)
        self.last_sent[sub_id] = time.monotonic()
        head = {"subscription_id": sub_id, "stream_type": message.stream_type}
        tracker = self.alerts.get(sub_id)
        if tracker is not None and initial:
            tracker.baseline(body["values"])
        elif tracker is not None:
            for crossing in tracker.new_crossings(body["values"]):
                await self.send({"type": "alert"} | head | {"version": body["version"]}
                                | {k: v for k, v in crossing.items() if k != "crossed"})
                self.state.metrics.sent("alert")
            return
        # The body is shared by every client with the same subscription: spliced once.
        await self.send_text(self.state.payloads.update_text(sub_id, message.stream_type,
                                                             body_json))
        self.state.metrics.sent("update")

    async def update_quietly(self, sub_id: str) -> None:
        try:
            await self.update(sub_id)
        except Exception as exc:  # the connection is closing; nothing left to tell it
            log.info("websocket update %s not sent: %r", sub_id, exc)

    async def publish_reached(self) -> None:
        """Each subscription's update: now when its minimum interval has passed (in line, so
        a send that blocks holds this client's queue back and a client that stopped reading
        is dropped), else once when it has."""
        for sub_id in list(self.subscriptions):
            if sub_id in self.pending:
                continue
            interval = self.subscriptions[sub_id].update_frequency_seconds
            wait = self.last_sent.get(sub_id, 0) + interval - time.monotonic()
            if wait <= 0:
                await self.update_quietly(sub_id)
                continue

            async def later(sub_id=sub_id, wait=wait):
                try:
                    await asyncio.sleep(wait)
                    await self.update_quietly(sub_id)
                finally:
                    self.pending.pop(sub_id, None)

            self.pending[sub_id] = asyncio.create_task(later())

    async def handle(self, text: str) -> None:
        try:
            message = ClientMessage.validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'message'}: {e['msg']}"
                                 for e in exc.errors()[:5])
            await self.error(f"malformed message: {problems}")
            return
        if message.type == "ping":
            await self.send({"type": "pong"})
        elif message.type == "unsubscribe":
            if self.subscriptions.pop(message.subscription_id, None) is None:
                await self.error(f"no subscription {message.subscription_id!r}", "unknown_id")
                return
            self.alerts.pop(message.subscription_id, None)
            self.state.payloads.remove(self.keys.pop(message.subscription_id))
            if task := self.pending.pop(message.subscription_id, None):
                task.cancel()
            await self.send({"type": "unsubscribed", "subscription_id": message.subscription_id})
        else:
            try:
                message = await run_in_threadpool(check, message, self.state.store)
            except (SubscriptionError, ApiError) as exc:
                await self.error(str(getattr(exc, "message", exc)), "invalid_subscription")
                return
            if len(self.subscriptions) >= self.state.settings.api_max_subscriptions:
                await self.error(f"at most {self.state.settings.api_max_subscriptions} "
                                 "subscriptions per connection", "too_many_subscriptions")
                return
            sub_id = f"s{next(self.ids)}"
            self.subscriptions[sub_id] = message
            self.keys[sub_id] = self.state.payloads.add(message)
            if message.stream_type == "alerts":
                self.alerts[sub_id] = AlertTracker()
            await self.send({"type": "subscribed", "subscription_id": sub_id}
                            | message.model_dump(exclude={"type"}, exclude_none=True))
            await self.update(sub_id, initial=True)

    async def read(self) -> None:
        while True:
            received = await self.websocket.receive()
            if received["type"] == "websocket.disconnect":
                return
            if not self.budget.take():
                if self.budget.exhausted:
                    log.info("closed a websocket client that kept flooding messages (%s)",
                             self.websocket.client)
                    self.close_code, self.close_reason = 1008, "message rate limit exceeded"
                    return
                await self.send({"type": "error", "code": "rate_limited",
                                 "message": f"more than {self.budget.rate:g} messages a second "
                                            f"(burst {self.budget.burst}); this one was ignored",
                                 "retry_after_seconds": self.budget.retry_after()})
                continue
            if received.get("text") is None:
                await self.error("messages must be JSON text frames")
                continue
            await self.handle(received["text"])

    async def forward(self, subscriber) -> None:
        while True:
            try:
                await subscriber.next()
            except Dropped:
                with contextlib.suppress(Exception):
                    await self.error("client too slow: its event queue filled up", "dropped")
                self.close_code = 1013
                return
            await self.publish_reached()


@router.websocket("/ws")
async def websocket_stream(websocket: WebSocket):
    """Subscribe/unsubscribe/ping over JSON messages; updates (and alerts) follow publishes."""
    state = websocket.app.state
    client_host = websocket.client.host if websocket.client else "-"
    try:
        principal = await run_in_threadpool(state.auth.authorise, "streams", token_from(
            websocket.headers, websocket.query_params), client_host)
        await run_in_threadpool(state.limiter.check, principal)
    except ApiError as exc:
        await websocket.close(code=1008, reason=exc.message[:120])
        return
    await websocket.accept()
    client = _Client(websocket)
    subscriber = state.broadcaster.subscribe()
    state.metrics.stream_clients.labels("websocket").inc()
    tasks = [asyncio.create_task(client.read()), asyncio.create_task(client.forward(subscriber)),
             asyncio.create_task(client.closed.wait())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks + list(client.pending.values()):
            task.cancel()
        for key in client.keys.values():
            state.payloads.remove(key)
        state.broadcaster.unsubscribe(subscriber)
        state.metrics.stream_clients.labels("websocket").dec()
        with contextlib.suppress(Exception):
            # Bounded: the close frame waits behind a full buffer when the client stopped reading.
            async with asyncio.timeout(1):
                await websocket.close(code=client.close_code, reason=client.close_reason)
