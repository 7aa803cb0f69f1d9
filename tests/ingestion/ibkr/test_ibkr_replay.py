import gzip
import json
from datetime import date

import pytest
from conftest import AAPL_2014_CSV, SP500_CSV

from ingestion.batch import PayloadError
from ingestion.ibkr import SOURCE, ReplayClient, bars_to_batch, fetch, fetch_many
from ingestion.ibkr.convert import yahoo_csv_to_replay

CBS_2019_12_04 = {"open": 39.34000015258789, "high": 41.779998779296875,
                  "low": 39.220001220703125, "close": 40.77000045776367, "volume": 25531000.0}


def test_converter_writes_trades_raw_and_adjusted_last_scaled_by_adj_close(tmp_path):
    written = yahoo_csv_to_replay(SP500_CSV, tmp_path, "AAPL")
    assert [p.name for p in written] == ["AAPL.TRADES.json", "AAPL.ADJUSTED_LAST.json"]
    trades = json.loads(written[0].read_text())
    adjusted = json.loads(written[1].read_text())
    assert len(trades) == len(adjusted) == 9
    # 2015-01-12 row: Open 112.5999984741211, Close 109.25, Adj Close 100.38079071044922
    assert trades[0] == {"date": "2015-01-12", "open": 112.5999984741211,
                         "high": 112.62999725341797, "low": 108.80000305175781, "close": 109.25,
                         "volume": 49650800.0, "average": None, "barCount": None}
    factor = 100.38079071044922 / 109.25
    assert adjusted[0]["close"] == pytest.approx(100.38079071044922, rel=1e-15)
    assert adjusted[0]["open"] == pytest.approx(112.5999984741211 * factor, rel=1e-15)
    assert adjusted[0]["volume"] == 49650800.0


def test_converter_without_adj_close_writes_trades_only_and_names_missing_columns(tmp_path):
    assert [p.name for p in yahoo_csv_to_replay(AAPL_2014_CSV, tmp_path, "AAPL")] == [
        "AAPL.TRADES.json"]
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Open,Close\n2014-06-02,1,2\n")
    with pytest.raises(ValueError, match=r"bad.csv: missing columns \['high', 'low', 'volume'\]"):
        yahoo_csv_to_replay(bad, tmp_path, "X")


def test_replay_keys_are_the_recorded_symbols(replay_folder):
    assert ReplayClient(replay_folder).keys() == ["AAPL", "AAPL14", "CBS", "STI"]


def test_replay_bars_are_filtered_to_the_inclusive_window(replay_folder):
    bars = ReplayClient(replay_folder).bars("CBS", "TRADES", date(2019, 12, 2), date(2019, 12, 4))
    assert [b["date"] for b in bars] == ["2019-12-02", "2019-12-03", "2019-12-04", "2019-12-04"]


def test_truncated_json_is_a_payload_error_naming_the_file(replay_folder):
    path = replay_folder / "bars" / "CBS.TRADES.json"
    path.write_text(path.read_text()[:200])
    with pytest.raises(PayloadError, match=r"CBS\.TRADES\.json: unreadable JSON"):
        ReplayClient(replay_folder).bars("CBS", "TRADES")


def test_wrong_shape_or_missing_file_is_a_payload_error_naming_the_file(replay_folder):
    (replay_folder / "bars" / "CBS.TRADES.json").write_text('{"bars": []}')
    client = ReplayClient(replay_folder)
    with pytest.raises(PayloadError, match=r"CBS\.TRADES\.json: expected a JSON list"):
        client.bars("CBS", "TRADES")
    with pytest.raises(PayloadError, match=r"AAPL14\.ADJUSTED_LAST\.json: no recorded IB payload"):
        fetch(client, "AAPL14")


def test_gzipped_payloads_are_read_too(replay_folder):
    path = replay_folder / "bars" / "CBS.TRADES.json"
    expected = ReplayClient(replay_folder).bars("CBS", "TRADES")
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    client = ReplayClient(replay_folder)
    assert client.keys() == ["AAPL", "AAPL14", "CBS", "STI"]
    assert client.bars("CBS", "TRADES") == expected


def test_fetch_cbs_quarantines_the_all_zero_duplicate_and_keeps_the_real_bar(replay_folder):
    [batch] = fetch(ReplayClient(replay_folder), "CBS", date(2019, 12, 2), date(2019, 12, 6))
    assert SOURCE == "ibkr" and batch.table == "ib_bars"
    real = batch.rows.filter(bar_date=date(2019, 12, 4), what_to_show="TRADES")
    assert real.select(*CBS_2019_12_04).row(0, named=True) == CBS_2019_12_04
    assert batch.rows.height == 6  # 2, 3 and 4 December, TRADES and ADJUSTED_LAST
    assert sorted((r.record_key, r.reason) for r in batch.rejected) == [
        ("CBS|ADJUSTED_LAST|2019-12-04", "all-zero bar"),
        ("CBS|TRADES|2019-12-04", "all-zero bar"),
    ]
    assert batch.rejected[0].file.endswith("CBS.TRADES.json")


def test_fetch_sti_keeps_the_first_of_two_conflicting_rows_for_one_date(replay_folder):
    [batch] = fetch(ReplayClient(replay_folder), "STI")
    kept = batch.rows.filter(bar_date=date(2019, 12, 6), what_to_show="TRADES")
    assert kept.select("low", "volume").row(0) == (69.95999908447266, 18954400.0)
    [dup] = [r for r in batch.rejected if r.record_key == "STI|TRADES|2019-12-06"]
    assert dup.reason.startswith("duplicate bar")
    assert (dup.payload["low"], dup.payload["volume"]) == (69.97000122070312, 18980771.0)


def test_unadjusted_bars_across_a_split_are_valid_and_kept(tmp_path):
    yahoo_csv_to_replay(AAPL_2014_CSV, tmp_path, "AAPL")
    bars = ReplayClient(tmp_path).bars("AAPL", "TRADES")
    batch = bars_to_batch("AAPL", "TRADES", bars)
    closes = dict(zip(batch.rows["bar_date"].to_list(), batch.rows["close"].to_list(),
                      strict=True))
    assert batch.rejected == []
    assert closes[date(2014, 6, 6)] == 645.570023  # before the 7:1 split
    assert closes[date(2014, 6, 9)] == 93.699997    # first day after it


def test_fetch_many_gives_each_symbol_what_fetch_gives_it(replay_folder):
    client = ReplayClient(replay_folder)
    # CBS and STI carry quarantined bars; NOPE is not recorded, AAPL14 has no ADJUSTED_LAST.
    keys = ["CBS", "STI", "NOPE", "AAPL", "AAPL14"]
    many = dict(fetch_many(client, keys))
    assert list(many) == keys
    quarantined = 0
    for key in keys:
        try:
            [alone] = fetch(client, key)
        except PayloadError as exc:
            assert isinstance(many[key], PayloadError) and str(many[key]) == str(exc), key
            continue
        [batch] = many[key]
        assert batch.rows.height > 0 and batch.rows.equals(alone.rows), key
        assert batch.rejected == alone.rejected, key
        quarantined += len(batch.rejected)
    assert isinstance(many["NOPE"], PayloadError) and isinstance(many["AAPL14"], PayloadError)
    assert quarantined >= 3
