"""Compute fundamental factors for every (date, symbol) of the bars, from filings known then."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from factor_models.catalog import Factor, by_family, get
from factor_models.fundamental.asof import fields_on_dates
from factor_models.fundamental.define import ENTERPRISE_VALUE_FIELDS, FIELDS
from factor_models.fundamental.fields import (
    ENTERPRISE_VALUE,
    MARKET_CAP,
    RAW_CLOSE,
    enterprise_value,
    market_cap,
)
from factor_models.inputs import FactorInputs

KEY = ("date", "symbol")
_SYMBOL = pl.col("symbol")
_IN_ORDER = ((_SYMBOL.shift(1) < _SYMBOL)
             | ((_SYMBOL.shift(1) == _SYMBOL) & (pl.col("date").shift(1) < pl.col("date")))
             ).slice(1).all()


def _selected(factors: Sequence[str] | None) -> list[Factor]:
    if factors is None:
        return by_family("fundamental")
    chosen = [get(name) for name in factors]
    wrong = [f.name for f in chosen if f.family != "fundamental"]
    if wrong:
        raise ValueError(f"not fundamental factors: {wrong}")
    return chosen


def _dates(bars: pl.DataFrame, needs_price: bool) -> pl.DataFrame:
    """(symbol, date, raw_close) of every bar; raw_close is required only for market values."""
    missing = [c for c in ("symbol", "date") if c not in bars.columns]
    if needs_price and RAW_CLOSE not in bars.columns:
        missing.append(RAW_CLOSE)
    if missing:
        raise ValueError(
            f"bars: missing column(s) {missing}; market-value factors need {RAW_CLOSE!r}, the "
            "unadjusted close on the date (marts.fct_prices_daily.raw_close)"
        )
    price = pl.col(RAW_CLOSE).cast(pl.Float64) if needs_price else pl.lit(None, pl.Float64)
    return bars.select(pl.col("symbol").cast(pl.String), pl.col("date").cast(pl.Date),
                       price.alias(RAW_CLOSE))


def compute_fundamental(
    inputs: FactorInputs, factors: Sequence[str] | None = None
) -> pl.DataFrame:
    """Wide frame (date, symbol, one Float64 column per factor) for every bar of ``inputs.bars``,
    sorted by symbol, date.

    Each date uses only ``inputs.fundamentals`` rows with ``known_from <= date``. Market values
    use ``bars.raw_close`` (the unadjusted close on the date) times the latest share count known
    then. If a split falls between the share count's date and the factor date, the two disagree
    until the next filing reports post-split shares (see docs in ``fields.market_cap``).
    """
    selected = _selected(factors)
    fields = [field for f in selected for field in FIELDS[f.name]]
    needs_price = any(RAW_CLOSE in f.inputs for f in selected)
    frame = fields_on_dates(_dates(inputs.bars, needs_price), inputs.fundamentals, fields)
    if needs_price:
        frame = frame.with_columns(market_cap().alias(MARKET_CAP))
        if all(f.name in frame.columns for f in ENTERPRISE_VALUE_FIELDS):
            frame = frame.with_columns(enterprise_value().alias(ENTERPRISE_VALUE))
    frame = frame.select(*KEY, *(f.compute().cast(pl.Float64).alias(f.name) for f in selected))
    # The rows are in the bars' order (`fields_on_dates`), usually sorted already.
    return frame if frame.select(_IN_ORDER).item() else frame.sort("symbol", "date")
