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
    dupes = frame.filter(pl.struct("date", "symbol").is_duplicated())
    if dupes.height:
        row = dupes.row(0, named=True)
        raise ValueError(f"prices: duplicate (symbol, date); first: symbol={row['symbol']}, "
                         f"date={row['date']}")
    return frame


def forward_returns(prices: pl.DataFrame, horizons: Sequence[int] = HORIZONS) -> pl.DataFrame:
    """Long labels (date, symbol, horizon, forward_return) from adjusted closes.

    ``prices`` has date, symbol and close (adjusted). See the module docstring for the
    calendar alignment; rows whose horizon runs past the calendar's end are left out.
    """
    if not horizons or any(h < 1 for h in horizons):
        raise ValueError(f"horizons must be positive integers, got {list(horizons)}")
    frame = _checked_prices(prices)
    calendar = frame.select(pl.col("date").unique().sort()).with_row_index("session")
    last_session = calendar.height - 1
    # Each symbol on every session from its first bar on, closes forward-filled over gaps.
    spans = frame.group_by("symbol").agg(pl.col("date").min().alias("first"))
    grid = (
        spans.join(calendar, how="cross")
        .filter(pl.col("date") >= pl.col("first"))
        .drop("first")
        .join(frame.with_columns(traded=pl.lit(True)), on=["symbol", "date"], how="left")
        .sort("symbol", "session")
        .with_columns(pl.col("close").forward_fill().over("symbol"))
    )
    labels = [
        grid.with_columns(
            horizon=pl.lit(h, pl.Int16),
            forward_return=pl.col("close").shift(-h).over("symbol") / pl.col("close") - 1.0,
        ).filter(pl.col("traded") & (pl.col("session") + h <= last_session))
        for h in sorted(set(horizons))
    ]
    return (
        pl.concat(labels)
        .select(*LABEL_SCHEMA)
        .cast(LABEL_SCHEMA)
        .sort("horizon", "date", "symbol")
    )
