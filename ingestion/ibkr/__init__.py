"""Interactive Brokers daily bars: TRADES (unadjusted) and ADJUSTED_LAST into ``raw.ib_bars``."""

from __future__ import annotations

from datetime import date

from ingestion.batch import Batch
from ingestion.ibkr.clients import LiveClient, ReplayClient, SymbolBars
from ingestion.ibkr.params import WHAT_TO_SHOW, IbBarsQuery, stock_contract
from ingestion.ibkr.transform import SOURCE, BarPayload, bars_to_batch, payloads_to_batch

__all__ = [
    "SOURCE", "WHAT_TO_SHOW", "BarPayload", "IbBarsQuery", "LiveClient", "ReplayClient",
    "SymbolBars", "bars_to_batch", "fetch", "payloads_to_batch", "stock_contract",
]


def fetch(client: ReplayClient | LiveClient, key: str, start: date | None = None,
          end: date | None = None) -> list[Batch]:
    """One symbol's TRADES and ADJUSTED_LAST bars as a single ``ib_bars`` batch."""
    payloads = [BarPayload(key, kind, client.bars(key, kind, start, end), client.origin(key, kind))
                for kind in WHAT_TO_SHOW]
    return [payloads_to_batch(payloads)]
