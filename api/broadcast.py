"""One broadcaster for every stream client, chosen by URL: memory://, redis:// or postgres://.

Events carry increasing integer ids (the mart version), so a client can resume with
Last-Event-ID from a bounded replay buffer, and an event seen twice (e.g. from a poll and a
notification) is delivered once. Each client has a bounded queue: a client that lets it fill
is dropped rather than allowed to hold up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

log = logging.getLogger("factor_mart.api.broadcast")


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "type": self.type, "data": self.data})

    @cached_property
    def data_json(self) -> str:
        """`data` as JSON, serialised once however many clients the event goes to."""
        return json.dumps(self.data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        raw = json.loads(text)
        return cls(int(raw["id"]), str(raw["type"]), dict(raw["data"]))


class Dropped(Exception):
    """The client fell too far behind and was disconnected."""


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue
    dropped: bool = False

    async def next(self) -> Event:
        if self.dropped:
            raise Dropped
        event = await self.queue.get()
        if event is None:
            raise Dropped
        return event


@dataclass
class Broadcaster:
    url: str = "memory://"
    channel: str = "factor_mart_events"
    queue_size: int = 64
    replay_size: int = 256
    on_drop: Callable[[], None] = lambda: None
    on_event: Callable[[Event], None] = lambda event: None
    last_id: int = 0
    _subscribers: set[Subscriber] = field(default_factory=set)
    _replay: deque = field(default_factory=deque)
    _task: asyncio.Task | None = None
    _redis: Any = None
    _listening: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def kind(self) -> str:
        if self.url.startswith("redis://"):
            return "redis"
        if self.url.startswith(("postgres://", "postgresql://")):
            return "postgres"
        if self.url.startswith("memory://"):
            return "memory"
        raise ValueError(f"unknown broadcaster URL {self.url!r}: use memory://, redis:// "
                         "or postgresql://")

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def start(self, baseline_id: int = 0) -> None:
        """Begin listening; events with ids up to `baseline_id` are treated as already seen."""
        self.last_id = baseline_id
        self._replay = deque(maxlen=self.replay_size)
        if self.kind == "redis":
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(self.url)
            self._task = asyncio.create_task(self._listen_redis())
        elif self.kind == "postgres":
            self._task = asyncio.create_task(self._listen_postgres())
        if self._task is not None:  # do not report ready before the subscription is live
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._redis is not None:
            await self._redis.aclose()
        for subscriber in list(self._subscribers):
            self._drop(subscriber)

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber(asyncio.Queue(maxsize=self.queue_size))
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def since(self, last_id: int) -> list[Event] | None:
        """Buffered events after `last_id`; None when some of them have left the buffer."""
        if last_id >= self.last_id:
            return []
        if not self._replay or self._replay[0].id > last_id + 1:
            return None
        return [e for e in self._replay if e.id > last_id]

    async def publish(self, event: Event) -> None:
        """Send to every worker (remote backends) or straight to local clients (memory)."""
        if self.kind == "redis":
            await self._redis.publish(self.channel, event.to_json())
        elif self.kind == "postgres":
            import psycopg

            async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as con:
                await con.execute("SELECT pg_notify(%s, %s)", [self.channel, event.to_json()])
        else:
            self.deliver(event)

    def deliver(self, event: Event) -> None:
        """Hand an event to every local client once; drop clients whose queue is full."""
        if event.id <= self.last_id:
            return
        self.last_id = event.id
        self._replay.append(event)
        self.on_event(event)
        for subscriber in list(self._subscribers):
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(subscriber)

    def _drop(self, subscriber: Subscriber) -> None:
        subscriber.dropped = True
        self._subscribers.discard(subscriber)
        with contextlib.suppress(asyncio.QueueEmpty):
            subscriber.queue.get_nowait()  # make room so a waiting reader wakes up
        subscriber.queue.put_nowait(None)
        self.on_drop()

    def _accept(self, payload: str | bytes) -> None:
        try:
            self.deliver(Event.from_json(payload))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignored a malformed broadcast message: %s", exc)

    async def _listen_redis(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._listening.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._accept(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # reconnect: a broker restart must not end the streams
                log.warning("redis broadcaster disconnected (%s); reconnecting", exc)
                await asyncio.sleep(1)

    async def _listen_postgres(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url,
                                                                 autocommit=True) as con:
                    await con.execute(f'LISTEN "{self.channel}"')
                    self._listening.set()
                    async for notification in con.notifies():
                        self._accept(notification.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("postgres broadcaster disconnected (%s); reconnecting", exc)
                await asyncio.sleep(1)
