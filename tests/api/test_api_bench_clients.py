"""The bench's fast stream clients parse what a real server sends however TCP splits it: the
SSE chunked body and WebSocket frames, fed to them one byte at a time from a loopback server."""

from __future__ import annotations

import asyncio
import contextlib
import json

from api.bench.stream_clients import ClientLog, fast_client


def _chunk(text: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(text), text)


def _ws_server_frame(payload: bytes, opcode: int = 0x1, fin: bool = True) -> bytes:
    size = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    head += bytes([size]) if size < 126 else bytes([126]) + size.to_bytes(2)
    return head + payload


SSE_RESPONSE = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
                + _chunk(b": ping - now\r\n\r\n")
                + _chunk(b"id: 7\r\nevent: mart_published\r\ndata: {\"version\": 7}\r\n\r\n")
                + _chunk(b"id: 8\r\nevent: mart_published\r\n") + _chunk(b"data: {}\r\n\r\n")
                + _chunk(b"event: dropped\r\ndata: {}\r\n\r\n") + b"0\r\n\r\n")
UPDATE = json.dumps({"type": "update", "version": 9, "data": {"padding": "x" * 300}}).encode()
WS_RESPONSE = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
               + _ws_server_frame(b"{\"type\": \"subscribed\"}")
               + _ws_server_frame(b"ping!", opcode=0x9)
               + _ws_server_frame(UPDATE[:100], fin=False)
               + _ws_server_frame(UPDATE[100:], opcode=0x0)
               + _ws_server_frame(b"{\"type\": \"error\", \"code\": \"dropped\"}")
               + _ws_server_frame(b"", opcode=0x8))


async def _client_against(response: bytes, kind: str) -> tuple[ClientLog, bytes]:
    received = bytearray()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.extend(await reader.readuntil(b"\r\n\r\n"))
        for i in range(len(response)):  # one byte a write: every split point is crossed
            writer.write(response[i:i + 1])
            await writer.drain()
            await asyncio.sleep(0)
        with contextlib.suppress(TimeoutError):  # the client's subscribe and pong frames
            while chunk := await asyncio.wait_for(reader.read(1 << 16), 0.5):
                received.extend(chunk)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    log, ready = ClientLog(kind, slow=False), asyncio.Queue()
    async with server:
        await asyncio.wait_for(fast_client(f"http://127.0.0.1:{port}", kind, log, ready,
                                           asyncio.Event()), 30)
    assert await ready.get() is True
    return log, bytes(received)


def test_sse_client_reads_events_split_anywhere():
    log, request = asyncio.run(_client_against(SSE_RESPONSE, "sse"))
    assert request.startswith(b"GET /v1/stream/events HTTP/1.1")
    assert sorted(log.received) == [7, 8] and log.dropped_notice
    assert log.connected and log.closed_by_server and log.error is None


def test_websocket_client_reads_frames_split_anywhere_and_answers_pings():
    log, sent = asyncio.run(_client_against(WS_RESPONSE, "ws"))
    assert sent.startswith(b"GET /v1/stream/ws HTTP/1.1") and b"Upgrade: websocket" in sent
    frames = sent.split(b"\r\n\r\n", 1)[1]
    assert frames[0] == 0x81 and frames.count(bytes([0x8A, 0x85])) == 1  # subscribe, pong
    assert list(log.received) == [9] and log.dropped_notice
    assert log.connected and log.closed_by_server and log.error is None
