"""SSE and WebSocket streams on a real server, driven by mart publishes from this process."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from serving import raw_value, sse_events, start_server, stop_server, write_marts
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from factor_mart.publish import publish


def _publish(settings, shift: float) -> int:
    write_marts(settings.duckdb_path, shift=shift)
    return publish(settings).version


def _recv(ws, timeout: float = 10) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def test_sse_events_heartbeats_and_resume(server, api_key, warehouse):
    url = f"{server.url}/v1/stream/events"
    with httpx.stream("GET", url, params={"api_key": api_key}, timeout=15) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        first = _publish(warehouse, shift=1000)
        received = sse_events(lines, 2, include_comments=True)
        event = next(e for e in received if "event" in e)
        assert event["event"] == "mart_published" and event["id"] == str(first)
        assert json.loads(event["data"])["row_counts"]["fct_factor_values"] == 18
        assert any("comment" in e for e in sse_events(lines, 1, include_comments=True))
    second = _publish(warehouse, shift=2000)
    time.sleep(0.6)  # the server notices the new version within its poll interval (0.2 s)
    headers = {"Last-Event-ID": str(first), "X-API-Key": api_key}
    with httpx.stream("GET", url, headers=headers, timeout=15) as response:
        [replayed] = sse_events(response.iter_lines(), 1)
        assert replayed["id"] == str(second)
    headers["Last-Event-ID"] = "0"  # older than the replay buffer reaches back
    with httpx.stream("GET", url, headers=headers, timeout=15) as response:
        reset, *_ = sse_events(response.iter_lines(), 1)
        assert reset["event"] == "reset" and json.loads(reset["data"])["latest"] == second


def test_sse_needs_a_key(server):
    assert httpx.get(f"{server.url}/v1/stream/events", timeout=5).status_code == 401


def test_websocket_protocol(server, api_key, warehouse):
    with connect(f"{server.ws_url}/v1/stream/ws?api_key={api_key}") as ws:
        ws.send(json.dumps({"type": "ping"}))
        assert _recv(ws) == {"type": "pong"}
        ws.send("{not json")
        error = _recv(ws)
        assert error["type"] == "error" and "malformed" in error["message"]
        ws.send(json.dumps({"type": "subscribe", "stream_type": "cross_source_factors",
                            "symbols": ["AAA"], "factors": ["ret_1d"]}))
        error = _recv(ws)
        assert error["code"] == "invalid_subscription" and "ret_1d (technical)" in error["message"]
        ws.send(json.dumps({"type": "subscribe", "stream_type": "cross_source_factors",
                            "symbols": ["AAA", "NOPE"], "factors": ["beta_dgs10_252d"]}))
        assert "NOPE" in _recv(ws)["message"]
        ws.send(json.dumps({"type": "subscribe", "stream_type": "bogus"}))
        assert _recv(ws)["type"] == "error"
        ws.send(json.dumps({"type": "ping"}))  # still connected after every bad message
        assert _recv(ws) == {"type": "pong"}

        ws.send(json.dumps({"type": "subscribe", "stream_type": "cross_source_factors",
                            "symbols": ["bbb", "AAA"], "factors": ["beta_dgs10_252d"],
                            "update_frequency_seconds": 0}))
        subscribed = _recv(ws)
        assert subscribed["type"] == "subscribed" and subscribed["symbols"] == ["BBB", "AAA"]
        sub_id = subscribed["subscription_id"]
        initial = _recv(ws)
        assert initial["type"] == "update" and initial["date"] == "2024-01-04"
        before = {r["symbol"]: r["raw"] for r in initial["values"]}

        version = _publish(warehouse, shift=5000)
        update = _recv(ws)
        assert update["version"] == version and update["subscription_id"] == sub_id
        assert {r["symbol"]: r["raw"] for r in update["values"]} == {
            "AAA": raw_value(2, 0, 1) + 5000, "BBB": raw_value(2, 1, 1) + 5000}
        assert before != {r["symbol"]: r["raw"] for r in update["values"]}

        ws.send(json.dumps({"type": "unsubscribe", "subscription_id": sub_id}))
        assert _recv(ws) == {"type": "unsubscribed", "subscription_id": sub_id}
        _publish(warehouse, shift=6000)
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1.0)


def test_websocket_updates_respect_the_minimum_interval(server, api_key, warehouse):
    with connect(f"{server.ws_url}/v1/stream/ws", additional_headers={"X-API-Key": api_key}
                 ) as ws:
        ws.send(json.dumps({"type": "subscribe", "stream_type": "factors", "symbols": ["CCC"],
                            "factors": ["ret_1d"], "update_frequency_seconds": 2.5}))
        assert _recv(ws)["type"] == "subscribed"
        started = time.monotonic()
        assert _recv(ws)["type"] == "update"
        version = _publish(warehouse, shift=7000)
        update = _recv(ws)
        assert update["version"] == version and update["values"][0]["raw"] == (
            raw_value(2, 2, 0) + 7000)
        assert time.monotonic() - started >= 2.4


def test_websocket_without_a_key_is_refused(server):
    with pytest.raises(InvalidStatus), connect(f"{server.ws_url}/v1/stream/ws"):
        pass


def test_websocket_message_flood_is_refused_then_closed(warehouse, api_key):
    """Over a real socket: 1 message a second with bursts of 3. The first three messages are
    answered, the next ones get a rate_limited error, and a client that keeps flooding after
    as many refusals as the burst is closed with 1008."""
    limited = start_server(warehouse, api_ws_messages_per_second="1", api_ws_message_burst="3")
    try:
        with connect(f"{limited.ws_url}/v1/stream/ws?api_key={api_key}") as ws:
            for _ in range(3):
                ws.send(json.dumps({"type": "ping"}))
            assert [_recv(ws) for _ in range(3)] == [{"type": "pong"}] * 3
            for _ in range(3):
                ws.send(json.dumps({"type": "ping"}))
            refused = [_recv(ws) for _ in range(3)]
            assert [r["code"] for r in refused] == ["rate_limited"] * 3
            assert all(0 < r["retry_after_seconds"] <= 1 for r in refused)
            time.sleep(1.1)  # a token comes back: answered again, and the refusals reset
            ws.send(json.dumps({"type": "ping"}))
            assert _recv(ws) == {"type": "pong"}
            for _ in range(5):  # 4 refusals > the burst of 3: closed
                ws.send(json.dumps({"type": "ping"}))
            assert [_recv(ws)["code"] for _ in range(3)] == ["rate_limited"] * 3
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd.code == 1008
            assert closed.value.rcvd.reason == "message rate limit exceeded"
    finally:
        stop_server(limited)


def test_websocket_messages_are_not_compressed(server, api_key):
    """permessage-deflate would compress every update once per client; the server declines
    it (the client offers it by default)."""
    with connect(f"{server.ws_url}/v1/stream/ws?api_key={api_key}") as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send(json.dumps({"type": "ping"}))
        assert _recv(ws) == {"type": "pong"}
