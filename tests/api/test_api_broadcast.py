"""The broadcaster: bounded queues drop slow clients; replay buffer; duplicates delivered once."""

from __future__ import annotations

import asyncio

import pytest

from api.broadcast import Broadcaster, Dropped, Event


def _event(n: int) -> Event:
    return Event(n, "mart_published", {"version": n})


def test_slow_client_is_dropped_and_others_keep_receiving():
    async def scenario():
        drops = []
        broadcaster = Broadcaster(queue_size=2, on_drop=lambda: drops.append(1))
        await broadcaster.start()
        slow, fast = broadcaster.subscribe(), broadcaster.subscribe()
        received = []
        for n in (1, 2, 3):
            broadcaster.deliver(_event(n))
            received.append((await fast.next()).id)
        assert received == [1, 2, 3] and drops == [1]
        assert broadcaster.subscriber_count == 1
        with pytest.raises(Dropped):
            await slow.next()
        await broadcaster.stop()

    asyncio.run(scenario())


def test_replay_buffer_and_duplicates():
    async def scenario():
        broadcaster = Broadcaster(replay_size=3)
        await broadcaster.start(baseline_id=10)
        subscriber = broadcaster.subscribe()
        for n in (11, 12, 12, 13, 14):  # 12 twice: a poll and a notification
            broadcaster.deliver(_event(n))
        assert [subscriber.queue.get_nowait().id for _ in range(4)] == [11, 12, 13, 14]
        assert [e.id for e in broadcaster.since(12)] == [13, 14]
        assert broadcaster.since(14) == []
        assert broadcaster.since(10) is None  # 11 has left the 3-event buffer
        await broadcaster.stop()

    asyncio.run(scenario())


def test_unknown_broadcaster_url_is_named():
    with pytest.raises(ValueError, match="kafka://x"):
        _ = Broadcaster(url="kafka://x").kind
