"""LiveClient with the real ib_async ``IB`` against a local gateway speaking IB's wire protocol."""

import asyncio
from datetime import date

import pytest
from ib_async import RequestError
from ibkr_gateway import FakeGateway, WireRequest

from ingestion.batch import PayloadError
from ingestion.ibkr import LiveClient, ReplayClient, fetch

PRICE_FIELDS = ("date", "open", "high", "low", "close", "volume")


@pytest.fixture
def recorded(replay_folder):
    replay = ReplayClient(replay_folder)
    bars = {("AAPL", "TRADES"): replay.bars("AAPL14", "TRADES") + replay.bars("AAPL", "TRADES"),
            ("AAPL", "ADJUSTED_LAST"): replay.bars("AAPL", "ADJUSTED_LAST")}
    for kind in ("TRADES", "ADJUSTED_LAST"):
        bars[("CBS", kind)] = replay.bars("CBS", kind)
    return bars


@pytest.fixture
def loop():
    """One event loop for the gateway and ib_async's sync API (the thread's current loop)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def _gateway(loop, recorded, today):
    return loop.run_until_complete(FakeGateway(recorded, today).start())


def _prices(bars):
    return [tuple(b[f] for f in PRICE_FIELDS) for b in bars]


def test_yearly_chunks_go_over_the_wire_and_bars_come_back_decoded(loop, recorded):
    gateway = _gateway(loop, recorded, date(2015, 1, 23))
    client = LiveClient("127.0.0.1", gateway.port, 17, today=lambda: date(2015, 1, 23),
                        request_timeout_s=10)
    try:
        trades = client.bars("AAPL", "TRADES", date(2013, 1, 1), date(2015, 1, 23))
        adjusted = client.bars("AAPL", "ADJUSTED_LAST", date(2013, 1, 1), date(2015, 1, 23))
    finally:
        client.disconnect()
        loop.run_until_complete(gateway.stop())
    assert gateway.client_ids == [17]
    assert gateway.requests == [
        WireRequest(1, "AAPL", "STK", "SMART", "USD", "20131231 23:59:59 US/Eastern",
                    "1 day", "1 Y", "1", "TRADES", "1"),
        WireRequest(2, "AAPL", "STK", "SMART", "USD", "20141231 23:59:59 US/Eastern",
                    "1 day", "1 Y", "1", "TRADES", "1"),
        WireRequest(3, "AAPL", "STK", "SMART", "USD", "20150123 23:59:59 US/Eastern",
                    "1 day", "23 D", "1", "TRADES", "1"),
        WireRequest(4, "AAPL", "STK", "SMART", "USD", "", "1 day", "3 Y", "1",
                    "ADJUSTED_LAST", "1"),
    ]
    assert _prices(trades) == _prices(recorded[("AAPL", "TRADES")])
    assert _prices(adjusted) == _prices(recorded[("AAPL", "ADJUSTED_LAST")])


def test_fetch_over_the_wire_lands_the_same_rows_as_replay(loop, recorded, replay_folder):
    gateway = _gateway(loop, recorded, date(2019, 12, 10))
    client = LiveClient("127.0.0.1", gateway.port, 3, today=lambda: date(2019, 12, 10))
    try:
        [live] = fetch(client, "CBS", date(2019, 11, 20), date(2019, 12, 6))
    finally:
        client.disconnect()
        loop.run_until_complete(gateway.stop())
    [replayed] = fetch(ReplayClient(replay_folder), "CBS", date(2019, 11, 20), date(2019, 12, 6))
    columns = ["symbol", "bar_date", "what_to_show", "open", "high", "low", "close", "volume",
               "available_at"]
    assert live.rows.select(columns).equals(replayed.rows.select(columns))
    assert sorted(r.reason for r in live.rejected) == ["all-zero bar", "all-zero bar"]


def test_an_unknown_symbol_fails_alone_in_bars_many(loop, recorded):
    gateway = _gateway(loop, recorded, date(2019, 12, 10))
    client = LiveClient("127.0.0.1", gateway.port, 4, today=lambda: date(2019, 12, 10))

    async def collect():
        return [r async for r in client.bars_many(["CBS", "XXXX"], ["TRADES"],
                                                  date(2019, 11, 20), date(2019, 12, 4))]

    try:
        results = {r.symbol: r for r in loop.run_until_complete(collect())}
    finally:
        client.disconnect()
        loop.run_until_complete(gateway.stop())
    assert len(results["CBS"].bars) == 11 and results["CBS"].error is None
    error = results["XXXX"].error
    assert isinstance(error, PayloadError) and "XXXX" in str(error)
    assert isinstance(error.__cause__, RequestError) and error.__cause__.code == 200
