"""Fixture converter: Yahoo-style daily CSV -> IB replay payloads (tests and samples only).

No public IB recording exists, so replay fixtures are built from real Yahoo bars:
TRADES carries the raw OHLCV; ADJUSTED_LAST scales OHLC by ``Adj Close / Close`` (volume kept).
Yahoo has no VWAP or trade count, so ``average`` and ``barCount`` are null. A CSV without an
``Adj Close`` column (e.g. unadjusted zipline samples) yields TRADES only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl

# Yahoo / zipline spellings -> canonical bar fields.
COLUMN_NAMES = {"date": "date", "day": "date", "open": "open", "high": "high", "low": "low",
                "close": "close", "volume": "volume", "adj close": "adj_close", "name": "symbol"}


def read_yahoo_csv(csv: str | os.PathLike, symbol: str | None = None) -> pl.DataFrame:
    """Yahoo rows as canonical columns; ``symbol`` picks one ticker from a multi-ticker file."""
    frame = pl.read_csv(csv, infer_schema_length=0)  # all text: values are copied, not reparsed
    frame = frame.rename({c: COLUMN_NAMES[c.lower()] for c in frame.columns
                          if c.lower() in COLUMN_NAMES})
    missing = {"date", "open", "high", "low", "close", "volume"} - set(frame.columns)
    if missing:
        raise ValueError(f"{csv}: missing columns {sorted(missing)}")
    if symbol is not None and "symbol" in frame.columns:
        frame = frame.filter(pl.col("symbol") == symbol)
    numeric = [c for c in ("open", "high", "low", "close", "volume", "adj_close")
               if c in frame.columns]
    return frame.with_columns(pl.col(numeric).cast(pl.Float64))


def yahoo_csv_to_replay(csv: str | os.PathLike, folder: str | os.PathLike, symbol: str,
                        source_symbol: str | None = None) -> list[Path]:
    """Write ``folder/bars/<symbol>.TRADES.json`` (and ``.ADJUSTED_LAST.json``); return paths."""
    frame = read_yahoo_csv(csv, source_symbol or symbol)
    if frame.is_empty():
        raise ValueError(f"{csv}: no rows for {source_symbol or symbol}")
    bars_dir = Path(folder) / "bars"
    bars_dir.mkdir(parents=True, exist_ok=True)
    written = [_write(bars_dir / f"{symbol}.TRADES.json", frame)]
    if "adj_close" in frame.columns:
        # Yahoo's all-zero defect rows have Close 0; keep them zero instead of dividing by it.
        factor = pl.when(pl.col("close") != 0).then(pl.col("adj_close") / pl.col("close"))
        adjusted = frame.with_columns(
            (pl.col(c) * factor).fill_null(pl.col(c)) for c in ("open", "high", "low", "close")
        )
        written.append(_write(bars_dir / f"{symbol}.ADJUSTED_LAST.json", adjusted))
    return written


def _write(path: Path, frame: pl.DataFrame) -> Path:
    bars = [{"date": r["date"], "open": r["open"], "high": r["high"], "low": r["low"],
             "close": r["close"], "volume": r["volume"], "average": None, "barCount": None}
            for r in frame.iter_rows(named=True)]
    path.write_text(json.dumps(bars, indent=0) + "\n")
    return path
