"""Labels: forward returns from adjusted closes, kept apart from the features they judge.

Convention (the one alphalens' ``compute_forward_returns`` uses, so results agree with it):
the h-day label of a symbol on date t is ``close[t + h] / close[t] - 1`` where ``t + h`` is the
h-th session after t on the panel's trading calendar (every date any symbol has a bar), and a
symbol's close on a session it has no bar for is its last close before it (forward-filled, as
alphalens does with ``prices.ffill()``; a symbol that stops trading keeps its last close, so a
label spanning a delisting is the return up to the last bar). Labels exist only on a symbol's
own trading rows, and are left out when the calendar has fewer than h sessions after t. No
label is ever an input to a factor: factors read bars up to t, labels read bars after t.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

HORIZONS = (1, 5, 21)
LABEL_SCHEMA = {"date": pl.Date, "symbol": pl.String, "horizon": pl.Int16,
                "forward_return": pl.Float64}


def _checked_prices(prices: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ("date", "symbol", "close") if c not in prices.columns]
    if missing:
        raise ValueError(f"prices: missing column(s) {missing}; expected date, symbol, close")
    frame = prices.select(pl.col("date").cast(pl.Date), pl.col("symbol").cast(pl.String),
                          pl.col("close").cast(pl.Float64))
    bad = frame.filter(pl.col("close").is_null() | ~pl.col("close").is_finite()
                       | (pl.col("close") <= 0) | pl.col("date").is_null()
                       | pl.col("symbol").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise ValueError(f"prices: {bad.height} row(s) with a null or non-positive close, date "
                         f"or symbol; first: symbol={row['symbol']}, date={row['date']}")
    return frame


def forward_returns(prices: pl.DataFrame, horizons: Sequence[int] = HORIZONS) -> pl.DataFrame:
    """Long labels (date, symbol, horizon, forward_return) from adjusted closes.

    ``prices`` has date, symbol and close (adjusted). See the module docstring for the
    calendar alignment; rows whose horizon runs past the calendar's end are left out.
    """
    if not horizons or any(h < 1 for h in horizons):
        raise ValueError(f"horizons must be positive integers, got {list(horizons)}")
    frame = _checked_prices(prices)
    dates = frame["date"].unique().sort()
    symbols = frame["symbol"].unique().sort()
    # Dense (session x symbol) closes, then each symbol's last close carried over its gaps.
    row = dates.search_sorted(frame["date"]).to_numpy()
    column = symbols.search_sorted(frame["symbol"]).to_numpy()
    cells = np.bincount(row * len(symbols) + column, minlength=len(dates) * len(symbols))
    if cells.max(initial=0) > 1:
        first = int(np.argmax(cells))
        raise ValueError(f"prices: duplicate (symbol, date); first: "
                         f"symbol={symbols[first % len(symbols)]}, "
                         f"date={dates[first // len(symbols)]}")
    close = np.full((len(dates), len(symbols)), np.nan)
    close[row, column] = frame["close"].to_numpy()
    traded = np.isfinite(close)
    last_bar = np.maximum.accumulate(np.where(traded, np.arange(len(dates))[:, None], 0), axis=0)
    filled = close[last_bar, np.arange(len(symbols))]
    labels = []
    for h in sorted(set(horizons)):
        if h >= len(dates):
            continue
        ahead = filled[h:] / close[:-h] - 1.0  # row t: the return from t to t + h
        rows, columns = np.nonzero(traded[:-h])  # date-major, symbols sorted within a date
        labels.append(pl.DataFrame({
            "date": dates.gather(rows), "symbol": symbols.gather(columns),
            "horizon": np.full(rows.size, h, np.int16), "forward_return": ahead[rows, columns]}))
    if not labels:
        return pl.DataFrame(schema=LABEL_SCHEMA)
    return pl.concat(labels).select(*LABEL_SCHEMA).cast(LABEL_SCHEMA)
