"""Deterministic synthetic universe: EDGAR, FRED/ALFRED and IB payloads in the real APIs' shapes.

``SyntheticUniverse(symbols, years, seed, end)`` makes every payload on demand from
(seed, key); its ``edgar_client()``, ``fred_client()`` and ``ibkr_client()`` have the replay
clients' methods, so the adapters' ``fetch`` runs unchanged at any scale.
"""

from ingestion.synthetic.universe import (
    DEFAULT_END,
    SyntheticEdgarClient,
    SyntheticFredClient,
    SyntheticIbkrClient,
    SyntheticUniverse,
)

__all__ = ["DEFAULT_END", "SyntheticEdgarClient", "SyntheticFredClient", "SyntheticIbkrClient",
           "SyntheticUniverse"]
