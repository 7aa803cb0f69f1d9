"""Over real sockets: a client that stops reading is dropped by the server, while fast SSE and
WebSocket clients on the same server keep receiving every publish on time."""

from __future__ import annotations

import asyncio
import time

import httpx
import polars as pl
import pytest

from api.bench.mart import MartShape, ensure_mart
from api.bench.rest import local_server
from api.bench.stream_clients import ClientLog, fast_client, slow_client
from api.bench.streams import delivered_at
from factor_mart.publish import publish, snapshot_dir
from factor_models.catalog import catalog_frame

PUBLISHES = 5
ON_TIME_SECONDS = 5.0  # generous: a loaded 2-core machine, where deliveries take ~0.1 s
SEND_TIMEOUT_SECONDS = 2


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    """500 symbols x every stock-level factor on two sessions, published."""
    return ensure_mart(tmp_path_factory.mktemp("slow-clients"),
                       MartShape(symbols=500, years=1, last_sessions=2), progress=lambda _: None)


def _metric(url: str, name: str) -> float:
    lines = httpx.get(f"{url}/metrics", timeout=10).text.splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(name))


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def test_a_client_that_stops_reading_is_dropped_and_others_stay_on_time(mart):
    stock = catalog_frame().filter(pl.col("family") != "macro")["factor"].to_list()[:100]
    # ~5 MB a message: the socket buffers (bounded to 64 KiB here, whatever the kernel's
    # defaults) fill with the first one, so the next send blocks until the timeout drops it.
    heavy = {"type": "subscribe", "stream_type": "factors", "update_frequency_seconds": 0,
             "symbols": MartShape(symbols=500).tickers, "factors": stock}
    env = {"FACTOR_MART_DUCKDB_PATH": str(mart.duckdb_path),
           "FACTOR_MART_API_POLL_SECONDS": "0.1",
           "FACTOR_MART_API_SEND_TIMEOUT_SECONDS": str(SEND_TIMEOUT_SECONDS)}
    with local_server(send_buffer=65536, **env) as server:
        url = server.url
        slow = ClientLog("ws", slow=True)
        sse, ws = ClientLog("sse", slow=False), ClientLog("ws", slow=False)
        visible: dict[int, float] = {}

        async def scenario() -> None:
            ready, stopping = asyncio.Queue(), asyncio.Event()
            slow_task = asyncio.create_task(
                slow_client(url, "ws", slow, ready, stopping, subscription=heavy))
            assert await ready.get()
            # The server has handed the heavy first update to the slow client's socket.
            await _until(lambda: _metric(url, "factor_mart_stream_events_total") >= 1, 60,
                         "the slow client's first update")
            fast = [asyncio.create_task(fast_client(url, "sse", sse, ready, stopping)),
                    asyncio.create_task(fast_client(url, "ws", ws, ready, stopping))]
            assert [await ready.get(), await ready.get()] == [True, True]
            pointer = snapshot_dir(mart) / "current.json"
            for _ in range(PUBLISHES):
                version = (await asyncio.to_thread(publish, mart)).version
                visible[version] = pointer.stat().st_mtime_ns / 1e9
                await asyncio.sleep(0.3)
            await _until(lambda: all(delivered_at(log, v) for log in (sse, ws)
                                     for v in visible), 30, "the fast clients' events")
            await _until(lambda: _metric(url, "factor_mart_stream_clients{") == 2,
                         SEND_TIMEOUT_SECONDS + 30, "the slow client to be dropped")
            assert _metric(url, "factor_mart_stream_clients_dropped_total") == 1
            stopping.set()
            for task in fast:
                task.cancel()
            await asyncio.gather(slow_task, *fast, return_exceptions=True)

        asyncio.run(scenario())

    for log in (sse, ws):
        assert log.error is None and not log.closed_by_server
        delays = [delivered_at(log, v) - at for v, at in visible.items()]
        assert len(delays) == PUBLISHES and max(delays) < ON_TIME_SECONDS, (log.kind, delays)
    assert set(sse.received) >= set(visible)  # SSE: every event, none coalesced
    # The slow client: closed by the server, having been sent the first update and the one
    # that blocked at most, of the 1 + PUBLISHES the fast WebSocket client got.
    assert slow.connected and slow.closed_by_server, slow
    assert 1 <= slow.unread_events <= 2 < 1 + PUBLISHES, slow


def test_a_dropped_sse_client_leaves_no_error_in_the_server_log(mart, capfd):
    """The server gives up on an SSE client that stopped reading: counted, closed, and no
    uvicorn "returned without completing response" error line (events come through Redis,
    ~1 MB each, so the first one fills the socket buffers)."""
    import redis

    from api.broadcast import Event

    channel = f"fm-test-sse-drop-{time.time_ns()}"
    env = {"FACTOR_MART_DUCKDB_PATH": str(mart.duckdb_path),
           "FACTOR_MART_API_BROADCAST_URL": "redis://127.0.0.1:6379/0",
           "FACTOR_MART_API_BROADCAST_CHANNEL": channel,
           "FACTOR_MART_API_SEND_TIMEOUT_SECONDS": "1"}
    bulky = {"padding": "x" * 1_000_000}
    slow = ClientLog("sse", slow=True)
    with local_server(send_buffer=65536, **env) as server:

        async def scenario() -> None:
            ready, stopping = asyncio.Queue(), asyncio.Event()
            task = asyncio.create_task(slow_client(server.url, "sse", slow, ready, stopping,
                                                   drain_seconds=5))
            assert await ready.get()
            with redis.Redis.from_url("redis://127.0.0.1:6379/0") as broker:
                for event_id in range(10**6, 10**6 + 3):
                    broker.publish(channel, Event(event_id, "mart_published", bulky).to_json())
            await _until(lambda: _metric(server.url,
                                         "factor_mart_stream_clients_dropped_total") == 1,
                         30, "the slow SSE client to be dropped")
            await _until(lambda: _metric(server.url, "factor_mart_stream_clients{") == 0, 30,
                         "the stream to end")
            stopping.set()
            await task

        asyncio.run(scenario())
    assert slow.connected and slow.closed_by_server and slow.error is None, slow
    logged = capfd.readouterr()
    assert "without completing response" not in logged.out + logged.err
    assert "Traceback" not in logged.out + logged.err
