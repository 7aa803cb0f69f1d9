"""Same seed, same bytes, whatever order the keys are asked in."""

from __future__ import annotations

import hashlib
import json

from ingestion.synthetic import SyntheticUniverse

# SHA-256 of every EDGAR payload of the shared 40-company universe (seed 11: splits, restatements,
# an IPO, delistings, a paging file), as JSON in key order. The generator is tuned for speed;
# it must keep giving these bytes. Change the digest only with an intended change of the data.
EDGAR_DIGEST = "2716270ec6a8f6020d6f094c353f6ee020c25f88befc083af83dd496163516d0"


def _dump(payload) -> str:
    return json.dumps(payload, sort_keys=True)


def _all_payloads(u: SyntheticUniverse, ciks, symbols, series) -> dict[str, str]:
    e, f, b = u.edgar_client(), u.fred_client(), u.ibkr_client()
    out = {}
    for cik in ciks:
        out[f"facts {cik}"] = _dump(e.company_facts(cik))
        out[f"subs {cik}"] = _dump(e.submissions(cik))
    for symbol in symbols:
        for kind in ("TRADES", "ADJUSTED_LAST"):
            out[f"bars {symbol} {kind}"] = _dump(b.bars(symbol, kind))
    for sid in series:
        out[f"info {sid}"] = _dump(f.series_info(sid))
        out[f"obs {sid}"] = _dump(f.observations(sid))
    return out


def test_same_seed_gives_identical_payloads_in_any_order():
    a = SyntheticUniverse(symbols=12, years=4, seed=3)
    b = SyntheticUniverse(symbols=12, years=4, seed=3)
    ciks, symbols = a.edgar_client().keys(), a.ibkr_client().keys()
    series = ["GDP", "DGS10", "PAYEMS", "USREC"]
    forward = _all_payloads(a, ciks, symbols, series)
    backward = _all_payloads(b, ciks[::-1], symbols[::-1], series[::-1])
    assert forward.keys() == backward.keys()
    assert all(forward[k] == backward[k] for k in forward)


def test_a_bigger_universe_keeps_the_smaller_ones_companies():
    small = SyntheticUniverse(symbols=5, years=4, seed=3)
    big = SyntheticUniverse(symbols=50, years=4, seed=3)
    assert big.ibkr_client().keys()[:5] == small.ibkr_client().keys()
    symbol = small.ibkr_client().keys()[4]
    assert big.ibkr_client().bars(symbol, "TRADES") == small.ibkr_client().bars(symbol, "TRADES")
    cik = small.edgar_client().keys()[4]
    assert big.edgar_client().company_facts(cik) == small.edgar_client().company_facts(cik)


def test_another_seed_gives_other_data():
    a = SyntheticUniverse(symbols=3, years=2, seed=1).ibkr_client()
    b = SyntheticUniverse(symbols=3, years=2, seed=2).ibkr_client()
    assert a.keys() == b.keys()  # identities come from the index, paths from the seed
    assert a.bars(a.keys()[0], "TRADES") != b.bars(b.keys()[0], "TRADES")


def test_edgar_payloads_are_the_pinned_bytes(universe):
    client = universe.edgar_client()
    ciks = client.keys()
    digest = hashlib.sha256()
    for cik in ciks:
        digest.update(json.dumps(client.company_facts(cik)).encode())
        digest.update(json.dumps(client.submissions(cik)).encode())
    assert digest.hexdigest() == EDGAR_DIGEST
