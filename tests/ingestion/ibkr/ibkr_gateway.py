"""A local stand-in for TWS / IB Gateway that speaks the IB API wire protocol over TCP.

Enough of the protocol for a historical-data client: the version handshake, startApi
(answered with nextValidId and managedAccounts), reqPositions (positionEnd) and
reqHistoricalData (historicalData or an error message). Message layouts follow ib_async's
client and decoder for server version 178.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from datetime import date

from ib_async import RequestError
from ibkr_fakes import historical_answer

SERVER_VERSION = 178
START_API, REQ_POSITIONS, REQ_HISTORICAL_DATA = 71, 61, 20
ERROR, NEXT_VALID_ID, MANAGED_ACCOUNTS, HISTORICAL_DATA, POSITION_END = 4, 9, 15, 17, 62


@dataclass(frozen=True)
class WireRequest:
    """A reqHistoricalData message as decoded from the socket."""

    req_id: int
    symbol: str
    sec_type: str
    exchange: str
    currency: str
    end_date_time: str
    bar_size: str
    duration: str
    use_rth: str
    what_to_show: str
    format_date: str


@dataclass
class FakeGateway:
    """Serves recorded bars to real ib_async clients on 127.0.0.1."""

    bars: dict[tuple[str, str], list[dict]]
    today: date
    account: str = "DU1234567"
    requests: list[WireRequest] = field(default_factory=list)
    client_ids: list[int] = field(default_factory=list)
    server: asyncio.Server | None = None
    sessions: set[asyncio.Task] = field(default_factory=set)
    writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def start(self) -> FakeGateway:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        """Hang up on every client, like a gateway shutting down."""
        self.server.close()
        for writer in self.writers:
            writer.close()
        await asyncio.gather(*self.sessions, return_exceptions=True)
        await self.server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.sessions.add(asyncio.current_task())
        self.writers.add(writer)
        try:
            assert await reader.readexactly(4) == b"API\0"
            await _read_message(reader)  # "v157..178": the client's version range
            _send(writer, str(SERVER_VERSION), "20260101 00:00:00 EST")
            while True:
                fields = await _read_message(reader)
                self._dispatch(fields, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client hung up
        finally:
            writer.close()

    def _dispatch(self, fields: list[str], writer: asyncio.StreamWriter) -> None:
        message = int(fields[0])
        if message == START_API:
            self.client_ids.append(int(fields[2]))
            _send(writer, NEXT_VALID_ID, 1, 1)
            _send(writer, MANAGED_ACCOUNTS, 1, self.account)
        elif message == REQ_POSITIONS:
            _send(writer, POSITION_END, 1)
        elif message == REQ_HISTORICAL_DATA:
            self._historical(fields, writer)

    def _historical(self, fields: list[str], writer: asyncio.StreamWriter) -> None:
        # 20, reqId, contract (12 fields), includeExpired, end, barSize, duration, useRTH,
        # whatToShow, formatDate, keepUpToDate, chartOptions
        req_id, contract = int(fields[1]), fields[2:14]
        request = WireRequest(req_id, contract[1], contract[2], contract[7], contract[9],
                              *fields[15:21])
        self.requests.append(request)
        try:
            bars = historical_answer(self.bars, self.today, req_id, request.symbol,
                                     request.what_to_show, request.end_date_time,
                                     request.duration)
        except RequestError as exc:
            _send(writer, ERROR, 2, req_id, exc.code, exc.message, "")
            return
        values = []
        for bar in bars:
            values += [bar["date"].replace("-", ""), bar["open"], bar["high"], bar["low"],
                       bar["close"], bar["volume"],
                       -1 if bar["average"] is None else bar["average"],
                       -1 if bar["barCount"] is None else bar["barCount"]]
        _send(writer, HISTORICAL_DATA, req_id, bars[0]["date"].replace("-", ""),
              bars[-1]["date"].replace("-", ""), len(bars), *values)


async def _read_message(reader: asyncio.StreamReader) -> list[str]:
    (size,) = struct.unpack(">I", await reader.readexactly(4))
    return (await reader.readexactly(size)).decode().split("\0")[:-1]


def _send(writer: asyncio.StreamWriter, *fields) -> None:
    payload = "".join(f"{f}\0" for f in fields).encode()
    writer.write(struct.pack(">I", len(payload)) + payload)
