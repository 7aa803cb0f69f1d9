"""The API server process the bench (and the end-to-end stream tests) run against.

`python -m api.bench.server --port P [--send-buffer BYTES] [--workers N] [--profile OUT]` serves
`api.main:create_app` with uvicorn on 127.0.0.1:P from a listening socket it opens itself, so it
can bound the kernel send buffer of every connection (SO_SNDBUF is inherited by accepted
sockets). On loopback Linux grows that buffer to 4 MB, ~10,000 stream events that a client which
stopped reading absorbs before the server's own per-client queue even starts to fill; a bounded
buffer makes that point come as soon as it would over a real network. `--profile` writes a
pyinstrument profile of the event loop thread (text for .txt, else HTML) when the server stops.
"""

from __future__ import annotations

import argparse
import signal
import socket
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from api.main import SERVER_OPTIONS


def listening_socket(port: int, send_buffer: int | None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", port))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--send-buffer", type=int, default=None,
                        help="SO_SNDBUF of every connection, bytes (default: the kernel's)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    config = uvicorn.Config("api.main:create_app", factory=True, log_level="warning",
                            backlog=4096, workers=args.workers, **SERVER_OPTIONS)
    server = uvicorn.Server(config)
    sock = listening_socket(args.port, args.send_buffer)
    if args.workers > 1:  # as uvicorn.run does for --workers
        Multiprocess(config, sockets=[sock]).run()
        return
    if args.profile is None:
        server.run(sockets=[sock])
        return
    from pyinstrument import Profiler

    # uvicorn re-raises the signal that stopped it once it has shut down: ignore it here so
    # the profile still gets written.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: None)
    profiler = Profiler(async_mode="disabled")
    profiler.start()
    server.run(sockets=[sock])
    profiler.stop()
    args.profile.write_text(profiler.output_text(show_all=False) if args.profile.suffix == ".txt"
                            else profiler.output_html())


if __name__ == "__main__":
    main()
