"""Stream clients for `factor-mart bench api`, run in their own process.

Fast clients read every event as it comes and note when it arrived: SSE and WebSocket
(subscribed to `mart_versions` with no minimum interval) as asyncio protocols that parse the
HTTP/1.1 chunked body and the WebSocket frames themselves (see `_FastReader` for why). Slow
clients send their request (and subscribe) over a plain socket with a small receive buffer,
then stop reading it, so the server's buffers for them fill; at the end they read what is
left to learn whether the server dropped them.

Protocol with the parent: the process prints `ready <connected> <failed>` once every client has
connected (WebSocket clients: once subscribed), waits for a line on stdin, then writes its CPU
time and the clients' logs as JSON to `--out`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlparse

SLOW_RECEIVE_BUFFER = 4096  # bytes; the kernel keeps at least this much anyway
CONNECTS_AT_ONCE = 50
MART_VERSIONS = {"type": "subscribe", "stream_type": "mart_versions",
                 "update_frequency_seconds": 0}
EVENT_MARKERS = {"sse": b"event: mart_published", "ws": b'{"type": "update"'}


@dataclass
class ClientLog:
    kind: str  # "sse" or "ws"
    slow: bool
    received: dict[int, float] = field(default_factory=dict)  # event id -> time.time()
    connected: bool = False
    closed_by_server: bool = False  # the server ended the stream before the bench stopped
    dropped_notice: bool = False  # the server said "too slow" before closing
    unread_events: int = 0  # slow clients: events waiting in the socket when the bench stopped
    error: str | None = None


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise the soft open-files limit towards the hard one; the soft limit it ends at."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(soft, min(wanted, hard))
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _sse_ids(block: bytes) -> tuple[int | None, str | None]:
    """The id and event name of one SSE event block."""
    event_id = name = None
    for line in block.split(b"\n"):
        if line.startswith(b"id:"):
            event_id = int(line[3:].strip())
        elif line.startswith(b"event:"):
            name = line[6:].strip().decode()
    return event_id, name


class _FastReader(asyncio.Protocol):
    """One fast client as an asyncio protocol: it parses what arrives in the callback that
    receives it (no task, no stream reader) and notes the arrival time of each event.

    The clients run on the bench's own 2 cores, beside the server: a client library's
    per-message cost (httpx's and websockets' was ~90 us a delivery, 1.6x the server's) is
    CPU the server does not get, and lateness of the client's own clock, not the server's.
    """

    def __init__(self, kind: str, log: ClientLog, request: bytes, ready: asyncio.Queue,
                 subscription: dict, done: asyncio.Future) -> None:
        self.kind, self.log, self.request, self.ready = kind, log, request, ready
        self.subscription, self.done = subscription, done
        self.transport: asyncio.Transport | None = None
        self.head: bytes | None = b""  # None once the response head has been read
        self.buffer = b""  # SSE: chunked body not yet de-chunked; WS: frames not yet parsed
        self.text = b""  # SSE: de-chunked event text not yet split into events
        self.fragments = b""  # WS: a message's earlier frames

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(exc)

    def fail(self, error: str) -> None:
        self.log.error = error
        if not self.log.connected:
            self.ready.put_nowait(False)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        if self.head is not None:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            head, data = self.head.split(b"\r\n\r\n", 1)
            self.head = None
            status = head.split(b" ", 2)[1]
            if status != (b"200" if self.kind == "sse" else b"101"):
                self.fail(f"status {status.decode()}")
                return
            if self.kind == "sse":
                self.log.connected = True
                self.ready.put_nowait(True)
            else:  # connected once subscribed and the current version received
                self.transport.write(_ws_text_frame(json.dumps(self.subscription)))
        self.buffer += data
        if self.kind == "sse":
            self._sse(arrived)
        else:
            self._ws(arrived)

    def _sse(self, arrived: float) -> None:
        """De-chunk (HTTP/1.1 chunked body), then split the text into SSE events."""
        buffer = self.buffer
        while True:
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                break
            size = int(buffer[:line_end].split(b";")[0], 16)
            if size == 0:  # the last chunk: the server ended the stream
                break
            if len(buffer) < line_end + 2 + size + 2:
                break
            self.text += buffer[line_end + 2:line_end + 2 + size]
            buffer = buffer[line_end + 2 + size + 2:]
        self.buffer = buffer
        *blocks, self.text = self.text.replace(b"\r\n", b"\n").split(b"\n\n")
        for block in blocks:
            event_id, name = _sse_ids(block)
            if name == "dropped":
                self.log.dropped_notice = True
            elif event_id is not None:
                self.log.received.setdefault(event_id, arrived)

    def _ws(self, arrived: float) -> None:
        """Server frames (RFC 6455 5.2, unmasked): text messages, pings answered."""
        buffer = self.buffer
        while len(buffer) >= 2:
            fin, opcode, size, start = buffer[0] & 0x80, buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    break
                size, start = int.from_bytes(buffer[2:4]), 4
            elif size == 127:
                if len(buffer) < 10:
                    break
                size, start = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < start + size:
                break
            payload, buffer = buffer[start:start + size], buffer[start + size:]
            if opcode == 0x9:  # ping: answer, or the server closes the connection
                self.transport.write(_ws_frame(0xA, payload))
            elif opcode == 0x8:
                self.transport.close()
            elif opcode in (0x0, 0x1):
                self.fragments += payload
                if fin:
                    self._message(json.loads(self.fragments), arrived)
                    self.fragments = b""
        self.buffer = buffer

    def _message(self, body: dict, arrived: float) -> None:
        if body.get("type") == "update":
            self.log.received.setdefault(int(body["version"]), arrived)
            if not self.log.connected:
                self.log.connected = True
                self.ready.put_nowait(True)
        elif body.get("code") == "dropped":
            self.log.dropped_notice = True


async def fast_client(url: str, kind: str, log: ClientLog, ready: asyncio.Queue,
                      stopping: asyncio.Event, subscription: dict = MART_VERSIONS) -> None:
    """An SSE or WebSocket (`kind`) client that reads every event as it comes, until it is
    cancelled or the server closes the connection."""
    loop = asyncio.get_running_loop()
    address = urlparse(url)
    done = loop.create_future()
    transport = None
    try:
        transport, _ = await loop.create_connection(
            lambda: _FastReader(kind, log, _request(kind, address), ready, subscription, done),
            address.hostname, address.port)
        await done
        log.closed_by_server = log.connected and not stopping.is_set()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error = repr(exc)
        if not log.connected:
            await ready.put(False)
    finally:
        if transport is not None:
            transport.close()


def _request(kind: str, address) -> bytes:
    host = f"{address.hostname}:{address.port}"
    if kind == "sse":
        return (f"GET /v1/stream/events HTTP/1.1\r\nHost: {host}\r\n"
                "Accept: text/event-stream\r\n\r\n").encode()
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET /v1/stream/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


def _ws_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 5.2), payload shorter than 64 KiB."""
    mask, size = os.urandom(4), len(payload)
    header = (bytes([0x80 | opcode, 0x80 | size]) if size < 126
              else bytes([0x80 | opcode, 0xFE]) + size.to_bytes(2))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _ws_text_frame(text: str) -> bytes:
    return _ws_frame(0x1, text.encode())


async def slow_client(url: str, kind: str, log: ClientLog, ready: asyncio.Queue,
                      stopping: asyncio.Event, subscription: dict = MART_VERSIONS,
                      drain_seconds: float = 15.0) -> None:
    """Send the request (and, over WebSocket, `subscription`), read the response head, then
    read nothing until `stopping` is set; then read what is left, until the server closes
    the connection or sends nothing for `drain_seconds` (uvicorn closes a WebSocket whose
    close frame goes unanswered after 10 s)."""
    loop = asyncio.get_running_loop()
    address = urlparse(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RECEIVE_BUFFER)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, (address.hostname, address.port))
        request = _request(kind, address)
        await loop.sock_sendall(sock, request)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = await loop.sock_recv(sock, 1)  # byte by byte: leave the body unread
            if not chunk:
                raise ConnectionError("closed before the response head")
            head += chunk
        status = head.split(b" ", 2)[1]
        if status not in (b"200", b"101"):
            raise ConnectionError(f"status {status.decode()}")
        if kind == "ws":
            await loop.sock_sendall(sock, _ws_text_frame(json.dumps(subscription)))
        log.connected = True
        await ready.put(True)
        await stopping.wait()
        log.closed_by_server, log.dropped_notice, log.unread_events = await _drain(
            loop, sock, EVENT_MARKERS[kind], drain_seconds)
    except Exception as exc:
        log.error = repr(exc)
        if not log.connected:
            await ready.put(False)
    finally:
        sock.close()


async def _drain(loop, sock: socket.socket, marker: bytes, quiet_seconds: float
                 ) -> tuple[bool, bool, int]:
    """Read what the server left in the socket: (it closed the connection, it said "dropped",
    events found)."""
    events, tail, said_dropped = 0, b"", False
    while True:
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 1 << 16), quiet_seconds)
        except TimeoutError:
            return False, said_dropped, events
        except ConnectionError:
            return True, said_dropped, events
        if not chunk:
            return True, said_dropped, events
        window = tail + chunk  # markers may straddle two reads
        events += window.count(marker) - tail.count(marker)
        said_dropped = said_dropped or b'"dropped"' in window or b"event: dropped" in window
        tail = window[-64:]


async def run(url: str, sse: int, ws: int, slow_sse: int, slow_ws: int) -> list[ClientLog]:
    ready: asyncio.Queue = asyncio.Queue()
    stopping = asyncio.Event()
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
    logs: list[ClientLog] = []

    async def gated(client_coroutine) -> None:
        async with gate:
            task = asyncio.create_task(client_coroutine)
            await ready.get()
        await task

    def opened(log: ClientLog):
        if log.slow:
            return slow_client(url, log.kind, log, ready, stopping)
        return fast_client(url, log.kind, log, ready, stopping)

    plan = ([("sse", False)] * sse + [("ws", False)] * ws + [("sse", True)] * slow_sse
            + [("ws", True)] * slow_ws)
    tasks = []
    for kind, slow in plan:
        log = ClientLog(kind, slow)
        logs.append(log)
        tasks.append(asyncio.create_task(gated(opened(log))))
    while sum(1 for lg in logs if lg.connected or lg.error) < len(logs):
        await asyncio.sleep(0.05)
    connected = sum(lg.connected for lg in logs)
    print(f"ready {connected} {len(logs) - connected}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    stopping.set()
    fast = [t for t, lg in zip(tasks, logs, strict=True) if not lg.slow]
    for task in fast:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--sse", type=int, default=0)
    parser.add_argument("--ws", type=int, default=0)
    parser.add_argument("--slow-sse", type=int, default=0)
    parser.add_argument("--slow-ws", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    raise_fd_limit()
    try:  # uvloop when installed (uvicorn's choice too): less CPU per callback
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    logs = run_loop(run(args.url, args.sse, args.ws, args.slow_sse, args.slow_ws))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(args.out, "w") as out:
        json.dump({"cpu_seconds": usage.ru_utime + usage.ru_stime,
                   "clients": [asdict(log) for log in logs]}, out)
    with contextlib.suppress(BrokenPipeError):
        print("done", flush=True)


if __name__ == "__main__":
    main()
