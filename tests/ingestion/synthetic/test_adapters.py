"""The adapters' own fetch and transforms read synthetic payloads without a single reject."""

from __future__ import annotations

import json

import pytest

from ingestion.synthetic import SyntheticUniverse
from ingestion.synthetic.__main__ import main

edgar = pytest.importorskip("ingestion.edgar")
fred = pytest.importorskip("ingestion.fred")
ibkr = pytest.importorskip("ingestion.ibkr")


def _rows_and_rejects(batches) -> tuple[dict[str, int], int]:
    return ({b.table: b.rows.height for b in batches}, sum(len(b.rejected) for b in batches))


def test_edgar_fetch_takes_synthetic_payloads(universe):
    client = universe.edgar_client()
    for cik in client.keys()[:8]:
        rows, rejects = _rows_and_rejects(edgar.fetch(client, cik))
        assert rejects == 0
        assert rows["edgar_facts"] > 100 and rows["edgar_filings"] > 10
        assert rows["edgar_companies"] == 1


def test_fred_fetch_takes_synthetic_payloads(universe):
    client = universe.fred_client()
    series_ids = client.keys()
    for sid in series_ids:
        rows, rejects = _rows_and_rejects(fred.fetch(client, sid))
        assert rejects == 0 and rows["fred_series"] == 1 and rows["fred_observations"] > 20


def test_ibkr_fetch_takes_synthetic_payloads(universe):
    client = universe.ibkr_client()
    for symbol in client.keys()[:8]:
        (batch,) = ibkr.fetch(client, symbol)
        assert not batch.rejected
        assert batch.rows.height == 2 * len(client.bars(symbol, "TRADES"))


def test_cli_writes_a_layout_the_replay_clients_read(tmp_path, capsys):
    assert main(["--symbols", "3", "--years", "2", "--seed", "5", "--out", str(tmp_path)]) == 0
    universe = SyntheticUniverse(symbols=3, years=2, seed=5)
    symbol, cik = universe.ibkr_client().keys()[0], universe.edgar_client().keys()[0]
    assert (ibkr.ReplayClient(tmp_path / "ibkr").bars(symbol, "ADJUSTED_LAST")
            == universe.ibkr_client().bars(symbol, "ADJUSTED_LAST"))
    replay = edgar.ReplayClient(tmp_path / "edgar")
    assert replay.keys() == universe.edgar_client().keys()
    assert dict(replay.company_facts(cik)) == universe.edgar_client().company_facts(cik)
    assert (fred.ReplayClient(tmp_path / "fred").observations("UNRATE")
            == universe.fred_client().observations("UNRATE"))
    written = json.loads((tmp_path / "fred" / "series" / "GDP.json").read_text())
    assert written["seriess"][0]["id"] == "GDP"
