"""Stream clients for `factor-mart bench api`, run in their own process.

Fast clients read every event as it comes and note when it arrived: SSE over httpx, WebSocket
over `websockets` (subscribed to `mart_versions` with no minimum interval). Slow clients send
their request (and subscribe) over a plain socket with a small receive buffer, then stop reading
it, so the server's buffers for them fill; at the end they read what is left to learn whether
the server dropped them.

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

import httpx
import websockets
from websockets.asyncio.client import connect as ws_connect

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


async def fast_sse(client: httpx.AsyncClient, log: ClientLog, ready: asyncio.Queue,
                   stopping: asyncio.Event) -> None:
    pending = b""
    try:
        async with client.stream("GET", "/v1/stream/events") as response:
            response.raise_for_status()
            log.connected = True
            await ready.put(True)
            async for chunk in response.aiter_raw():
                arrived = time.time()
                pending += chunk.replace(b"\r\n", b"\n")
                *blocks, pending = pending.split(b"\n\n")
                for block in blocks:
                    event_id, name = _sse_ids(block)
                    if name == "dropped":
                        log.dropped_notice = True
                    elif event_id is not None:
                        log.received.setdefault(event_id, arrived)
        log.closed_by_server = not stopping.is_set()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error = repr(exc)
        log.closed_by_server = log.connected and not stopping.is_set()
        if not log.connected:
            await ready.put(False)


async def fast_ws(url: str, log: ClientLog, ready: asyncio.Queue,
                  stopping: asyncio.Event) -> None:
    try:
        async with ws_connect(f"{url}/v1/stream/ws", max_size=None, ping_interval=None,
                              open_timeout=60) as ws:
            await ws.send(json.dumps(MART_VERSIONS))
            async for message in ws:
                arrived = time.time()
                body = json.loads(message)
                if body.get("type") == "update":
                    log.received.setdefault(int(body["version"]), arrived)
                    if not log.connected:  # subscribed and the current version received
                        log.connected = True
                        await ready.put(True)
                elif body.get("code") == "dropped":
                    log.dropped_notice = True
        log.closed_by_server = not stopping.is_set()
    except asyncio.CancelledError:
        raise
    except websockets.ConnectionClosed:
        log.closed_by_server = not stopping.is_set()
    except Exception as exc:
        log.error = repr(exc)
        log.closed_by_server = log.connected and not stopping.is_set()
        if not log.connected:
            await ready.put(False)


def _ws_text_frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455 5.2), payload shorter than 64 KiB."""
    payload, mask = text.encode(), os.urandom(4)
    size = len(payload)
    header = bytes([0x81, 0x80 | size]) if size < 126 else bytes([0x81, 0xFE]) + size.to_bytes(2)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


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
        host = f"{address.hostname}:{address.port}"
        if kind == "sse":
            request = (f"GET /v1/stream/events HTTP/1.1\r\nHost: {host}\r\n"
                       "Accept: text/event-stream\r\n\r\n")
        else:
            key = base64.b64encode(os.urandom(16)).decode()
            request = (f"GET /v1/stream/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n")
        await loop.sock_sendall(sock, request.encode())
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
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    timeout = httpx.Timeout(60, read=None)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:

        async def gated(client_coroutine) -> None:
            async with gate:
                task = asyncio.create_task(client_coroutine)
                await ready.get()
            await task

        def opened(log: ClientLog):
            if log.slow:
                return slow_client(url, log.kind, log, ready, stopping)
            if log.kind == "sse":
                return fast_sse(client, log, ready, stopping)
            return fast_ws(url.replace("http", "ws", 1), log, ready, stopping)

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
    logs = asyncio.run(run(args.url, args.sse, args.ws, args.slow_sse, args.slow_ws))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(args.out, "w") as out:
        json.dump({"cpu_seconds": usage.ru_utime + usage.ru_stime,
                   "clients": [asdict(log) for log in logs]}, out)
    with contextlib.suppress(BrokenPipeError):
        print("done", flush=True)


if __name__ == "__main__":
    main()
