import asyncio
import json
from datetime import date

import pytest
from ib_async import BarData, RequestError, Stock
from ibkr_fakes import FakeIB, VirtualTimeLoop, run_virtual

from ingestion.batch import PayloadError
from ingestion.ibkr import LiveClient, ReplayClient, bars_to_batch, fetch
from ingestion.ibkr.clients import bar_to_dict

TODAY = date(2015, 1, 23)
PRICE_FIELDS = ("date", "open", "high", "low", "close", "volume")


@pytest.fixture
def recorded(replay_folder):
    """AAPL TRADES from the unadjusted 2014 rows plus the 2015 rows; other symbols as recorded."""
    replay = ReplayClient(replay_folder)
    bars = {("AAPL", "TRADES"): replay.bars("AAPL14", "TRADES") + replay.bars("AAPL", "TRADES"),
            ("AAPL", "ADJUSTED_LAST"): replay.bars("AAPL", "ADJUSTED_LAST")}
    for symbol in ("CBS", "STI"):
        for kind in ("TRADES", "ADJUSTED_LAST"):
            bars[(symbol, kind)] = replay.bars(symbol, kind)
    return bars


@pytest.fixture(autouse=True)
def virtual_loop():
    """The sync API runs on ib_async's loop (the thread's current one): make it virtual-time."""
    loop = VirtualTimeLoop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def _client(recorded, today=TODAY, latency_s=0.0, **kwargs):
    ib = FakeIB(recorded, today, latency_s)
    client = LiveClient("10.0.0.5", 4002, 17, ib=ib, today=lambda: today, **kwargs)
    return client, ib


def _prices(bars):
    return [tuple(b[f] for f in PRICE_FIELDS) for b in bars]


def test_bar_data_becomes_a_canonical_dict():
    bar = BarData(date=date(2019, 12, 4), open=39.34, high=41.78, low=39.22, close=40.77,
                  volume=25531000.0, average=40.5, barCount=61234)
    assert bar_to_dict(bar) == {"date": "2019-12-04", "open": 39.34, "high": 41.78,
                                "low": 39.22, "close": 40.77, "volume": 25531000.0,
                                "average": 40.5, "barCount": 61234}


def test_requests_are_yearly_trades_chunks_and_one_adjusted_last_ending_now(recorded):
    client, ib = _client(recorded)
    trades = client.bars("AAPL", "TRADES", date(2013, 1, 1), date(2015, 1, 23))
    adjusted = client.bars("AAPL", "ADJUSTED_LAST", date(2013, 1, 1), date(2015, 1, 23))
    assert ib.connects == [("10.0.0.5", 4002, 17)]
    assert ib.RaiseRequestErrors is True
    assert [(c.contract, c.whatToShow, c.endDateTime, c.durationStr) for c in ib.calls] == [
        (Stock("AAPL", "SMART", "USD"), "TRADES", "20131231 23:59:59 US/Eastern", "1 Y"),
        (Stock("AAPL", "SMART", "USD"), "TRADES", "20141231 23:59:59 US/Eastern", "1 Y"),
        (Stock("AAPL", "SMART", "USD"), "TRADES", "20150123 23:59:59 US/Eastern", "23 D"),
        (Stock("AAPL", "SMART", "USD"), "ADJUSTED_LAST", "", "3 Y"),
    ]
    assert {(c.barSizeSetting, c.useRTH, c.formatDate) for c in ib.calls} == {("1 day", True, 1)}
    # 2013 has no bars (IB answers 162 'no data'); 2014 and 2015 come back whole and in order.
    assert _prices(trades) == _prices(recorded[("AAPL", "TRADES")])
    assert _prices(adjusted) == _prices(recorded[("AAPL", "ADJUSTED_LAST")])


def test_fetch_through_the_live_client_transforms_like_replay(recorded, replay_folder):
    client, _ = _client(recorded, today=date(2019, 12, 10))
    [live] = fetch(client, "CBS", date(2019, 11, 20), date(2019, 12, 6))
    [replayed] = fetch(ReplayClient(replay_folder), "CBS", date(2019, 11, 20), date(2019, 12, 6))
    columns = ["symbol", "bar_date", "what_to_show", "open", "high", "low", "close", "volume",
               "available_at"]
    assert live.rows.select(columns).equals(replayed.rows.select(columns))
    assert [r.reason for r in live.rejected] == ["all-zero bar", "all-zero bar"]
    assert live.rows["average"].null_count() == live.rows.height  # IB's -1 means unknown


def test_a_crashed_load_resumes_at_the_next_chunk_after_a_restart(recorded, tmp_path):
    state = tmp_path / "state"
    client, ib = _client(recorded, state_dir=str(state))
    ib.failures[("AAPL", "TRADES", "20141231 23:59:59 US/Eastern")] = ConnectionError("reset")
    with pytest.raises(ConnectionError, match="reset"):
        client.bars("AAPL", "TRADES", date(2013, 1, 1), date(2015, 1, 23))
    checkpoint = json.loads((state / "AAPL.TRADES.json").read_text())
    assert checkpoint["chunks_done"] == 1
    assert checkpoint["window"] == ["2013-01-01", "2015-01-23"]

    restarted, ib_after = _client(recorded, state_dir=str(state))
    bars = restarted.bars("AAPL", "TRADES", date(2013, 1, 1), date(2015, 1, 23))
    assert [c.endDateTime for c in ib_after.calls] == [
        "20141231 23:59:59 US/Eastern", "20150123 23:59:59 US/Eastern"]
    assert _prices(bars) == _prices(recorded[("AAPL", "TRADES")])
    assert not (state / "AAPL.TRADES.json").exists()


def test_a_checkpoint_for_another_window_is_not_reused(recorded, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "AAPL.TRADES.json").write_text(json.dumps(
        {"window": ["2012-01-01", "2015-01-23"], "chunks_done": 2, "bars": []}))
    client, ib = _client(recorded, state_dir=str(state))
    client.bars("AAPL", "TRADES", date(2013, 1, 1), date(2015, 1, 23))
    assert len(ib.calls) == 3


def test_a_pacing_violation_is_retried_after_the_identical_request_gap(recorded):
    client, ib = _client(recorded, today=date(2019, 12, 10))
    end = "20191204 23:59:59 US/Eastern"
    ib.failures[("CBS", "TRADES", end)] = RequestError(
        7, 162, "Historical Market Data Service error message:Historical data request pacing "
                "violation")
    bars = client.bars("CBS", "TRADES", date(2019, 11, 20), date(2019, 12, 4))
    assert [(c.endDateTime, c.at) for c in ib.calls] == [(end, 0.0), (end, 15.0)]
    assert len(bars) == 11  # 20 Nov - 4 Dec, with the all-zero copy of 4 Dec


def test_identical_requests_are_fifteen_seconds_apart(recorded):
    client, ib = _client(recorded, today=date(2019, 12, 10))
    for _ in range(3):
        client.bars("CBS", "TRADES", date(2019, 11, 20), date(2019, 12, 4))
    assert [c.at for c in ib.calls] == [0.0, 15.0, 30.0]


def test_bars_many_reports_a_failing_symbol_and_finishes_the_others(recorded):
    client, ib = _client(recorded, today=date(2019, 12, 10))
    ib.failures[("STI", "TRADES", "20191206 23:59:59 US/Eastern")] = RequestError(
        3, 200, "No security definition has been found for the request")

    async def collect():
        return [r async for r in client.bars_many(["CBS", "STI"], start=date(2019, 11, 20),
                                                  end=date(2019, 12, 6))]

    results = {(r.symbol, r.what_to_show): r for r in run_virtual(collect())}
    assert set(results) == {("CBS", "TRADES"), ("CBS", "ADJUSTED_LAST"), ("STI", "TRADES"),
                            ("STI", "ADJUSTED_LAST")}
    failed = results[("STI", "TRADES")]
    assert isinstance(failed.error, PayloadError)
    assert str(failed.error) == ("reqHistoricalData STI STK SMART USD TRADES 17 D ending 20191206 "
                                 "23:59:59 US/Eastern: IB error 200: No security definition has "
                                 "been found for the request")
    assert failed.bars == []
    assert [len(results[k].bars) for k in [("CBS", "TRADES"), ("STI", "ADJUSTED_LAST")]] == [
        11, 6]
    assert bars_to_batch("CBS", "TRADES", results[("CBS", "TRADES")].bars).rows.height == 10


def test_bars_many_keeps_sixty_requests_per_ten_minutes_and_fifty_open(recorded):
    cbs = recorded[("CBS", "TRADES")]
    symbols = [f"S{i:03d}" for i in range(130)]
    client, ib = _client({(s, "TRADES"): cbs for s in symbols}, today=date(2019, 12, 10),
                         latency_s=2.0)

    async def collect():
        return [r async for r in client.bars_many(symbols, ["TRADES"], date(2019, 11, 20),
                                                  date(2019, 12, 4))]

    results = run_virtual(collect())
    assert all(r.error is None and len(r.bars) == 11 for r in results)
    assert ib.max_in_flight == 50
    times = sorted(c.at for c in ib.calls)
    assert len(times) == 130
    # 50 go at once; 10 more as the first finish (2 s); the rest once 10 minutes have passed.
    assert times[:50] == [0.0] * 50 and times[50:60] == [2.0] * 10
    assert times[60] == 600.001 and times[120] == 1200.002
    for t in times:
        assert sum(1 for u in times if t - 600 < u <= t) <= 60
