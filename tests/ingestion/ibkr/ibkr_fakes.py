"""Test doubles for the IB seam: a virtual clock and an in-process IB that serves recorded bars."""

from __future__ import annotations

import asyncio
import selectors
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ib_async import BarData, BarDataList, Contract, RequestError


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that, when the loop is idle until its next timer, jumps to it at once."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None):
        if timeout is None:  # nothing scheduled: a real wait (e.g. for an executor thread)
            return super().select(None)
        events = super().select(0)
        if not events:
            self.now += timeout
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose time only moves when every task waits: sleeps cost no wall time.

    Time advances exactly to the next scheduled wake-up, so what happens at a given virtual
    second is what would happen then in real time (with instantaneous I/O).
    """

    def __init__(self) -> None:
        super().__init__(_JumpingSelector())

    def time(self) -> float:
        return self._selector.now


def run_virtual(coro):
    """Run a coroutine on a fresh virtual-time loop."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro)


@dataclass(frozen=True)
class Call:
    """One ``reqHistoricalDataAsync`` call as the fake received it."""

    at: float
    contract: Contract
    endDateTime: str
    durationStr: str
    barSizeSetting: str
    whatToShow: str
    useRTH: bool
    formatDate: int


class FakeIB:
    """Answers ``reqHistoricalDataAsync`` like IB would, from canonical bars per (symbol, kind).

    Window semantics follow IB: bars in (end - duration, end]; ADJUSTED_LAST refuses an end date;
    an empty window is error 162 'HMDS query returned no data'. ``failures`` maps a call's
    (symbol, whatToShow, endDateTime) to an exception raised once.
    """

    RaiseRequestErrors = False

    def __init__(self, bars: dict[tuple[str, str], list[dict]], today: date,
                 latency_s: float = 0.0) -> None:
        self.bars = bars
        self.today = today
        self.latency_s = latency_s
        self.calls: list[Call] = []
        self.failures: dict[tuple[str, str, str], Exception] = {}
        self.connected = False
        self.connects: list[tuple[str, int, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._req_id = 0

    def isConnected(self) -> bool:
        return self.connected

    async def connectAsync(self, host="127.0.0.1", port=7497, clientId=1, timeout=4,
                           readonly=False, account="", raiseSyncErrors=False, fetchFields=None):
        self.connects.append((host, port, clientId))
        self.connected = True
        return self

    def disconnect(self) -> None:
        self.connected = False

    async def reqHistoricalDataAsync(self, contract, endDateTime, durationStr, barSizeSetting,
                                     whatToShow, useRTH, formatDate=1, keepUpToDate=False,
                                     chartOptions=(), timeout=60) -> BarDataList:
        assert self.connected, "request before connect"
        self._req_id += 1
        now = asyncio.get_running_loop().time()
        self.calls.append(Call(now, contract, endDateTime, durationStr, barSizeSetting,
                               whatToShow, useRTH, formatDate))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency_s)
            failure = self.failures.pop((contract.symbol, whatToShow, endDateTime), None)
            if failure is not None:
                raise failure
            return self._answer(contract, endDateTime, durationStr, whatToShow)
        except RequestError:
            if not self.RaiseRequestErrors:  # ib_async's default: a failed request is empty
                return BarDataList()
            raise
        finally:
            self.in_flight -= 1

    def _answer(self, contract, end_date_time, duration, what_to_show) -> BarDataList:
        bars = BarDataList()
        for bar in historical_answer(self.bars, self.today, self._req_id, contract.symbol,
                                     what_to_show, end_date_time, duration):
            bars.append(BarData(date=date.fromisoformat(bar["date"]), open=bar["open"],
                                high=bar["high"], low=bar["low"], close=bar["close"],
                                volume=bar["volume"], average=_or_minus_one(bar["average"]),
                                barCount=_or_minus_one(bar["barCount"])))
        return bars


def historical_answer(store: dict[tuple[str, str], list[dict]], today: date, req_id: int,
                      symbol: str, what_to_show: str, end_date_time: str,
                      duration: str) -> list[dict]:
    """The bars IB would send for one request, or the RequestError it would answer with."""
    if not any(known == symbol for known, _ in store):
        raise RequestError(req_id, 200, "No security definition has been found for the request")
    if what_to_show == "ADJUSTED_LAST" and end_date_time:
        raise RequestError(req_id, 321, "Error validating request: end date not supported "
                           "with adjusted last")
    end = (datetime.strptime(end_date_time.split()[0], "%Y%m%d").date()
           if end_date_time else today)
    first = _window_start(end, duration)
    bars = [b for b in store.get((symbol, what_to_show), [])
            if first <= date.fromisoformat(b["date"]) <= end]
    if not bars:
        raise RequestError(req_id, 162, "Historical Market Data Service error message:HMDS "
                           "query returned no data")
    return bars


def _or_minus_one(value):
    return -1 if value is None else value


def _window_start(end: date, duration: str) -> date:
    count, unit = duration.split()
    if unit == "D":
        return end - timedelta(days=int(count) - 1)
    assert unit == "Y", duration
    return end.replace(year=end.year - int(count)) + timedelta(days=1)
