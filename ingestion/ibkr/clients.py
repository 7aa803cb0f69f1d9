"""IB daily-bar clients: replay (recorded payloads in a folder) and live (ib_async to TWS/Gateway).

Both return canonical bar dicts: ``ib_async.BarData``'s fields with ``date`` as an ISO date.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ib_async import IB, BarData, RequestError, StartupFetchNONE, util
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from ingestion.batch import PayloadError
from ingestion.files import recorded_bytes, recorded_names
from ingestion.ibkr.pacing import Clock, Pacer, PacingRules
from ingestion.ibkr.params import (
    BAR_SIZE,
    WHAT_TO_SHOW,
    HistoricalRequest,
    IbBarsQuery,
    WhatToShow,
    adjusted_last_request,
    default_window,
    stock_contract,
    trades_requests,
)

BAR_FIELDS = ("date", "open", "high", "low", "close", "volume", "average", "barCount")


def in_window(bars: Iterable[dict], start: date | None, end: date | None) -> list[dict]:
    """Bars dated inside [start, end]; bars without a readable date stay so they get quarantined."""
    lo, hi = (start or date.min).isoformat(), (end or date.max).isoformat()
    return [b for b in bars
            if not _is_iso_date(b.get("date")) or lo <= b["date"] <= hi]


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class ReplayClient:
    """Recorded IB payloads: ``folder/bars/<SYMBOL>.<WHAT_TO_SHOW>.json``."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def keys(self) -> list[str]:
        """Symbols with at least one recorded payload."""
        return sorted({name.rsplit(".", 1)[0] for name in recorded_names(self.folder / "bars")})

    def origin(self, symbol: str, what_to_show: WhatToShow) -> str:
        """The file a symbol's payload is read from (or its ``.gz`` twin)."""
        query = IbBarsQuery(symbol=symbol, what_to_show=what_to_show)
        return str(self.folder / "bars" / f"{query.symbol}.{query.what_to_show}.json")

    def bars(self, symbol: str, what_to_show: WhatToShow, start: date | None = None,
             end: date | None = None) -> list[dict]:
        """Recorded bars of one kind inside the window."""
        try:
            raw, path = recorded_bytes(Path(self.origin(symbol, what_to_show)))
        except FileNotFoundError as exc:
            raise PayloadError(f"{self.origin(symbol, what_to_show)}: no recorded IB payload "
                               f"({exc})") from None
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PayloadError(f"{path}: unreadable JSON ({exc})") from exc
        if not isinstance(payload, list) or not all(isinstance(b, dict) for b in payload):
            raise PayloadError(f"{path}: expected a JSON list of bar objects")
        return in_window(payload, start, end)


def bar_to_dict(bar: BarData) -> dict:
    """An ib_async bar as a canonical bar dict."""
    day = bar.date.date() if hasattr(bar.date, "date") else bar.date
    return {"date": day.isoformat(), "open": bar.open, "high": bar.high, "low": bar.low,
            "close": bar.close, "volume": bar.volume, "average": bar.average,
            "barCount": bar.barCount}


@dataclass
class SymbolBars:
    """One (symbol, kind) outcome of ``bars_many``: its bars, or the error that stopped it."""

    symbol: str
    what_to_show: WhatToShow
    bars: list[dict] = field(default_factory=list)
    error: Exception | None = None


def _is_pacing_violation(exc: BaseException) -> bool:
    return isinstance(exc, RequestError) and exc.code == 162 and "pacing" in exc.message.lower()


def _is_no_data(exc: BaseException) -> bool:
    # IB answers 162 "HMDS query returned no data" for a chunk before a listing or after delisting.
    return isinstance(exc, RequestError) and exc.code == 162 and "no data" in exc.message.lower()


class LiveClient:
    """Daily bars from TWS / IB Gateway through ib_async, paced, chunked by year and resumable.

    ``ib`` is the seam for tests: any object with ``ib_async.IB``'s async methods. ``state_dir``
    holds one checkpoint per (symbol, kind, window) so a crashed load resumes at the next chunk.
    A request IB refuses or leaves unanswered raises ``PayloadError`` naming it; a lost
    connection raises ``ConnectionError``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 7497, client_id: int = 1,
                 ib: Any = None, *, symbols: Sequence[str] = (), state_dir: str | None = None,
                 pacing: PacingRules | None = None, clock: Clock | None = None,
                 request_timeout_s: float = 120.0, retries: int = 3,
                 today: Callable[[], date] = date.today) -> None:
        self.host, self.port, self.client_id = host, port, client_id
        self.ib = ib if ib is not None else IB()
        self.ib.RaiseRequestErrors = True  # otherwise a failed request looks like "no bars"
        self.symbols = list(symbols)
        self.state_dir = Path(state_dir) if state_dir else None
        self.pacer = Pacer(pacing, clock)
        self.request_timeout_s = request_timeout_s
        self.retries = retries
        self.today = today

    def keys(self) -> list[str]:
        """Live IB cannot enumerate a universe: the symbols come from settings."""
        return list(self.symbols)

    def origin(self, symbol: str, what_to_show: WhatToShow) -> str:
        """Where a symbol's bars come from, for quarantine records."""
        return f"ib://{self.host}:{self.port} {symbol} {what_to_show}"

    async def connect(self) -> None:
        """Connect once; later calls reuse the connection."""
        if not self.ib.isConnected():
            # Read-only and no account/order sync: this client only asks for historical bars.
            await self.ib.connectAsync(self.host, self.port, clientId=self.client_id,
                                       readonly=True, fetchFields=StartupFetchNONE)

    def disconnect(self) -> None:
        self.ib.disconnect()

    def bars(self, symbol: str, what_to_show: WhatToShow, start: date | None = None,
             end: date | None = None) -> list[dict]:
        """Synchronous ``bars_async`` on ib_async's event loop (as ``IB``'s own sync methods)."""
        return util.run(self.bars_async(symbol, what_to_show, start, end))

    async def bars_async(self, symbol: str, what_to_show: WhatToShow,
                         start: date | None = None, end: date | None = None) -> list[dict]:
        """One symbol's bars of one kind over the window, resuming from its checkpoint."""
        query = IbBarsQuery(symbol=symbol, what_to_show=what_to_show, start=start, end=end)
        await self.connect()
        today = self.today()
        start, end = default_window(query.start, query.end, today)
        if query.what_to_show == "TRADES":
            requests = trades_requests(query.symbol, start, end)
        else:
            # Adjusted history is rewritten by every new split or dividend, so it is fetched
            # whole: chunks loaded on different days could mix adjustment bases.
            requests = [adjusted_last_request(query.symbol, start, end, today)]
        checkpoint = _Checkpoint(self.state_dir, query.symbol, query.what_to_show, start, end)
        done, bars = checkpoint.load()
        for index, request in enumerate(requests):
            if index < done:
                continue
            bars.extend(await self._request(request))
            checkpoint.save(index + 1, bars)
        checkpoint.clear()
        return bars

    async def bars_many(self, symbols: Iterable[str],
                        what_to_show: Sequence[WhatToShow] = WHAT_TO_SHOW,
                        start: date | None = None,
                        end: date | None = None) -> AsyncIterator[SymbolBars]:
        """Every (symbol, kind) concurrently within pacing, yielded as each completes."""
        await self.connect()

        async def one(symbol: str, kind: WhatToShow) -> SymbolBars:
            try:
                return SymbolBars(symbol, kind, await self.bars_async(symbol, kind, start, end))
            except Exception as exc:  # reported per symbol; the others carry on
                return SymbolBars(symbol, kind, error=exc)

        tasks = [asyncio.ensure_future(one(s, k)) for s in symbols for k in what_to_show]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()

    async def _request(self, request: HistoricalRequest) -> list[dict]:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_pacing_violation),
            wait=wait_exponential(multiplier=15, max=600),
            stop=stop_after_attempt(self.retries),
            sleep=self.pacer.clock.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._request_once(request)
        except RequestError as exc:  # IB refused this request: the caller moves to the next key
            raise PayloadError(f"{request.describe()}: IB error {exc.code}: {exc.message}") \
                from exc
        raise AssertionError("unreachable: tenacity reraises")

    async def _request_once(self, request: HistoricalRequest) -> list[dict]:
        async with self.pacer.request(request.identity):
            call = self.ib.reqHistoricalDataAsync(
                stock_contract(request.symbol), endDateTime=request.end_date_time,
                durationStr=request.duration, barSizeSetting=BAR_SIZE,
                whatToShow=request.what_to_show, useRTH=True, formatDate=1,
                timeout=0,  # ib_async turns its own timeout into an empty answer; ours raises
            )
            try:
                bars = await asyncio.wait_for(call, self.request_timeout_s)
            except TimeoutError:
                raise PayloadError(f"{request.describe()}: no answer in "
                                   f"{self.request_timeout_s:.0f} s") from None
            except RequestError as exc:
                if _is_no_data(exc):
                    return []
                raise
        # IB may answer with more than was asked ('1 Y' reaching a day further back); keeping
        # each chunk to its own dates means chunks never overlap, and real duplicates survive to
        # be quarantined by the transform.
        return in_window(map(bar_to_dict, bars), request.first, request.last)


class _Checkpoint:
    """Chunks done and bars gathered so far for one (symbol, kind, window), as a JSON file."""

    def __init__(self, folder: Path | None, symbol: str, what_to_show: str,
                 start: date, end: date) -> None:
        self.path = folder / f"{symbol}.{what_to_show}.json" if folder else None
        self.window = [start.isoformat(), end.isoformat()]

    def load(self) -> tuple[int, list[dict]]:
        if self.path is None or not self.path.exists():
            return 0, []
        try:
            state = json.loads(self.path.read_text())
        except json.JSONDecodeError as exc:
            raise PayloadError(f"{self.path}: unreadable checkpoint ({exc})") from exc
        if state.get("window") != self.window:
            return 0, []  # a different window: start over
        return state["chunks_done"], state["bars"]

    def save(self, chunks_done: int, bars: list[dict]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"window": self.window, "chunks_done": chunks_done,
                                   "bars": bars}))
        os.replace(tmp, self.path)  # atomic: a crash never leaves half a checkpoint

    def clear(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
