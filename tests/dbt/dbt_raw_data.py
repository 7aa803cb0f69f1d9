"""Raw batches the dbt tests land: the sample bundle plus the real AAPL split fixture."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

from factor_mart.settings import SAMPLE_DIR
from ingestion import edgar, fred, ibkr
from ingestion.batch import Batch, PayloadError

FIXTURES = Path(__file__).parent / "fixtures"
AAPL_QUANDL = FIXTURES / "aapl_2014_quandl_wiki.csv"
AAPL_YAHOO = FIXTURES / "aapl_2014_yahoo_raw.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def aapl_bar_dicts(prefix: str) -> list[dict]:
    """The Quandl AAPL rows as ib_async BarData dicts (prefix "" raw, "adj_" adjusted)."""
    return [
        {"date": row["date"], "open": float(row[f"{prefix}open"]),
         "high": float(row[f"{prefix}high"]), "low": float(row[f"{prefix}low"]),
         "close": float(row[f"{prefix}close"]), "volume": float(row[f"{prefix}volume"]),
         "average": -1.0, "barCount": -1}
        for row in read_csv(AAPL_QUANDL)
    ]


def aapl_batches() -> list[Batch]:
    """AAPL 2014-03..08 as IB TRADES (raw) and ADJUSTED_LAST (split and dividend adjusted)."""
    return [ibkr.payloads_to_batch([
        ibkr.BarPayload("AAPL", "TRADES", aapl_bar_dicts(""), str(AAPL_QUANDL)),
        ibkr.BarPayload("AAPL", "ADJUSTED_LAST", aapl_bar_dicts("adj_"), str(AAPL_QUANDL)),
    ])]


# A hand-built symbol whose bars break the bad-bar rules on known days (see test_dbt_prices).
BAD_BARS_SYMBOL = "ZZBAD"
BAD_BARS = [  # date, close, volume
    ("2015-03-02", 10.0, 1000.0), ("2015-03-03", 10.1, 1000.0),
    ("2015-03-04", 25.0, 1000.0),  # spike: |ln(25 / 10.1)| > 0.6
    ("2015-03-05", 10.2, 1000.0),  # back down: also a jump against the spike
    ("2015-03-06", 10.3, 0.0),     # no volume yet the price moved
    ("2015-03-09", 10.3, 0.0),     # no volume, no move: a quiet day, kept
    ("2015-03-10", 10.4, 500.0),
]


def bad_bar_batches() -> list[Batch]:
    bars = [{"date": day, "open": close, "high": close, "low": close, "close": close,
             "volume": volume, "average": close, "barCount": 1}
            for day, close, volume in BAD_BARS]
    return [ibkr.bars_to_batch(BAD_BARS_SYMBOL, "TRADES", bars, "tests/dbt/dbt_raw_data.py")]


def fred_batches() -> list[Batch]:
    client = fred.ReplayClient(SAMPLE_DIR / "fred")
    series_ids = client.keys()
    return [batch for key in series_ids for batch in fred.fetch(client, key)]


def edgar_company_batches() -> list[Batch]:
    """Only edgar_companies (the security master's input), to keep landing fast."""
    client = edgar.ReplayClient(SAMPLE_DIR / "edgar")
    batches, ciks = [], client.keys()
    for key in ciks:
        try:
            fetched = edgar.fetch(client, key)
        except PayloadError as error:  # an incomplete bundle must not hide the other sources
            warnings.warn(f"EDGAR sample {key} skipped: {error}", stacklevel=2)
            continue
        batches += [batch for batch in fetched if batch.table == "edgar_companies"]
    return batches


def ibkr_sample_batches() -> list[Batch]:
    """The IB sample bundle (synthetic bars) without its AAPL: the real 2014 AAPL fixture
    replaces it, and two ADJUSTED_LAST histories anchored years apart must not be mixed."""
    folder = SAMPLE_DIR / "ibkr"
    if not (folder / "bars").is_dir():
        return []
    client = ibkr.ReplayClient(folder)
    symbols = [key for key in client.keys() if key != "AAPL"]  # noqa: SIM118 (not a dict)
    return [batch for key in symbols for batch in ibkr.fetch(client, key)]


def all_batches() -> dict[str, list[Batch]]:
    """Batches per source name, in landing order."""
    return {
        "fred": fred_batches(),
        "edgar": edgar_company_batches(),
        "ibkr": ibkr_sample_batches() + aapl_batches() + bad_bar_batches(),
    }
