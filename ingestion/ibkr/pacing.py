"""IB historical-data pacing, enforced before every live request.

IB disconnects or answers error 162 when a client breaks these rules:
- at most 50 historical requests open at once;
- no identical request (same contract, bar size, data type, end and duration) within 15 s;
- at most 60 requests in any 10-minute window.
The clock is injectable; by default it is the event loop's, so a virtual-time loop in tests checks
the rules without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from pyrate_limiter import Duration, InMemoryBucket, Rate, RateItem


class Clock(Protocol):
    """Monotonic seconds and a matching sleep."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The running event loop's clock (``time.monotonic`` on a normal loop).

    Tests run the pacer on a virtual-time event loop, so minutes of pacing take no wall time.
    """

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class PacingRules:
    """IB's published limits for historical-data requests."""

    max_open_requests: int = 50
    identical_request_gap_s: float = 15.0
    requests_per_window: int = 60
    window_s: float = 600.0


class Pacer:
    """Admits one request at a time once every pacing rule allows it."""

    def __init__(self, rules: PacingRules | None = None, clock: Clock | None = None) -> None:
        self.rules = rules or PacingRules()
        self.clock = clock or LoopClock()
        self._open = asyncio.Semaphore(self.rules.max_open_requests)
        # pyrate-limiter's Limiter sleeps on the wall clock and runs its own leak thread, so we use
        # its bucket directly and drive it with our clock.
        window_ms = int(self.rules.window_s * Duration.SECOND)
        self._window = InMemoryBucket([Rate(self.rules.requests_per_window, window_ms)])
        self._last_sent: dict[Hashable, float] = {}

    @asynccontextmanager
    async def request(self, identity: Hashable) -> AsyncIterator[None]:
        """Hold one of the open-request slots while the request runs."""
        async with self._open:
            await self._admit(identity)
            yield

    async def _admit(self, identity: Hashable) -> None:
        # No await between the checks and the bookkeeping, so concurrent tasks cannot both pass.
        while True:
            now = self.clock.now()
            wait = self._identical_wait(identity, now)
            if wait <= 0:
                wait = self._window_wait(now)
            if wait <= 0:
                self._last_sent[identity] = now
                return
            await self.clock.sleep(wait)

    def _identical_wait(self, identity: Hashable, now: float) -> float:
        last = self._last_sent.get(identity)
        return 0.0 if last is None else last + self.rules.identical_request_gap_s - now

    def _window_wait(self, now: float) -> float:
        now_ms = int(now * 1000)
        self._window.leak(now_ms)
        item = RateItem("ib-historical", now_ms)
        if self._window.put(item):
            return 0.0
        # +1 ms: the bucket frees a slot only once the oldest item is strictly outside the window.
        return (self._window.waiting(item) + 1) / 1000
