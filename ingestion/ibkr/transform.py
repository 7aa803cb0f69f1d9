"""Canonical IB bar dicts -> validated ``ib_bars`` rows plus quarantined records.

Numbers may arrive as JSON numbers or numeric strings; anything else in a numeric field, or an
unreadable date, is an invalid value. ``average`` and ``barCount`` are optional (IB sends -1 where
they do not apply; Yahoo-derived fixtures have none): missing or -1 becomes null.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import polars as pl

from ingestion.batch import Batch, Rejected
from ingestion.raw_schema import IB_BARS

SOURCE = "ibkr"
PRICE_FIELDS = ("open", "high", "low", "close")
# column -> canonical (BarData) field; vendor spelling stops here.
REQUIRED = {"bar_date": "date", **{f: f for f in PRICE_FIELDS}, "volume": "volume"}
OPTIONAL = {"average": "average", "bar_count": "barCount"}
DUPLICATE = "duplicate bar: another valid bar for this date came first"
EXCHANGE_TZ = "America/New_York"
OK, MISSING, INVALID = 0, 1, 2


@dataclass(frozen=True)
class BarPayload:
    """One (symbol, kind) payload of canonical bar dicts and where it came from."""

    symbol: str
    what_to_show: str
    bars: Sequence[dict]
    origin: str | None = None


def bars_to_batch(symbol: str, what_to_show: str, bars: Sequence[dict],
                  origin: str | None = None) -> Batch:
    """One payload as an ``ib_bars`` batch."""
    return payloads_to_batch([BarPayload(symbol, what_to_show, bars, origin)])


def payloads_to_batch(payloads: Iterable[BarPayload]) -> Batch:
    """Many payloads validated together in one vectorised pass."""
    payloads = list(payloads)
    bars = [bar for p in payloads for bar in p.bars]
    checked = _parse_text(_raw_frame(payloads, bars).lazy()).with_columns(reason=REASON)
    # The first valid bar of a (symbol, kind, date) wins; later valid copies are quarantined.
    # Invalid bars get their row number in the key so they never count as a first copy.
    valid = pl.col("reason").is_null()
    copy_key = pl.struct("series_id", "bar_date", pl.when(valid).then(-1).otherwise("row"))
    checked = checked.with_columns(
        reason=pl.when(valid & ~copy_key.is_first_distinct()).then(pl.lit(DUPLICATE))
        .otherwise("reason")
    ).collect()
    good = checked.lazy().filter(pl.col("reason").is_null())
    closes = (good.select("bar_date").unique()
              .with_columns(available_at=session_close_utc(pl.col("bar_date"))))
    symbols = pl.Series([p.symbol for p in payloads], dtype=pl.String)
    kinds = pl.Series([p.what_to_show for p in payloads], dtype=pl.String)
    rows_query = good.select(
        pl.col("payload_index").replace_strict(range(len(payloads)), symbols,
                                               return_dtype=pl.String).alias("symbol"),
        "bar_date",
        pl.col("payload_index").replace_strict(range(len(payloads)), kinds,
                                               return_dtype=pl.String).alias("what_to_show"),
        *PRICE_FIELDS, "volume",
        pl.when(pl.col("average") >= 0).then(pl.col("average")).alias("average"),
        pl.when(pl.col("bar_count") >= 0).then(pl.col("bar_count")).alias("bar_count"),
    ).join(closes, on="bar_date", how="left", maintain_order="left")
    bad_query = checked.lazy().filter(pl.col("reason").is_not_null()).select(
        "row", "payload_index", "bar_date", "reason")
    rows, bad = pl.collect_all([rows_query, bad_query])
    return Batch(IB_BARS.name, rows, _rejected(bad, payloads, bars))


def session_close_utc(bar_date: pl.Expr) -> pl.Expr:
    """16:00 New York on ``bar_date`` as naive UTC (20:00 in summer, 21:00 in winter)."""
    return ((bar_date.cast(pl.Datetime("us")) + pl.duration(hours=16))
            .dt.replace_time_zone(EXCHANGE_TZ)
            .dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None))


def _raw_frame(payloads: list[BarPayload], bars: list[dict]) -> pl.DataFrame:
    # Payloads of the same (symbol, kind) share a series id, so duplicates are found across them.
    series_ids: dict[tuple[str, str], int] = {}
    for p in payloads:
        series_ids.setdefault((p.symbol, p.what_to_show), len(series_ids))
    sizes = [len(p.bars) for p in payloads]
    columns = {
        "row": np.arange(len(bars), dtype=np.int64),
        "payload_index": np.repeat(np.arange(len(payloads), dtype=np.int32), sizes),
        "series_id": np.repeat(np.array([series_ids[(p.symbol, p.what_to_show)]
                                         for p in payloads], dtype=np.int32), sizes),
    }
    for column, field in (REQUIRED | OPTIONAL).items():
        values = list(map(dict.get, bars, repeat(field)))
        dtype = pl.String if column == "bar_date" else pl.Float64
        parsed = pl.Series(values, dtype=dtype, strict=False)
        columns[column] = parsed
        columns[f"{column}_state"] = _value_states(values, parsed)
    return pl.DataFrame(columns)


def _parse_text(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Dates from ISO text (unreadable text is an invalid value) and integral trade counts."""
    parsed = pl.col("bar_date").str.to_date("%Y-%m-%d", strict=False)
    return frame.with_columns(
        bar_date=parsed,
        bar_date_state=pl.when(parsed.is_null() & (pl.col("bar_date_state") == OK))
        .then(pl.lit(INVALID, pl.UInt8)).otherwise("bar_date_state"),
        bar_count=pl.col("bar_count").cast(pl.Int64, strict=False),
    )


def _value_states(values: list, parsed: pl.Series) -> np.ndarray:
    """Per bar: OK, MISSING (absent or null) or INVALID (present but unreadable)."""
    states = np.full(len(values), OK, dtype=np.uint8)
    if parsed.null_count():
        for i in parsed.is_null().arg_true():
            states[i] = MISSING if values[i] is None else INVALID
    return states


def _first_broken_rule() -> pl.Expr:
    """The first rule a bar breaks, or null for a valid bar."""
    checks: list[tuple[pl.Expr, str]] = []
    for column, field in REQUIRED.items():
        checks.append((pl.col(f"{column}_state") == MISSING, f"missing field: {field}"))
        checks.append((pl.col(f"{column}_state") == INVALID, f"invalid value in field: {field}"))
        if column != "bar_date":
            checks.append((~pl.col(column).is_finite(), f"invalid value in field: {field}"))
    for column, field in OPTIONAL.items():
        checks.append((pl.col(f"{column}_state") == INVALID, f"invalid value in field: {field}"))
    prices = [pl.col(f) for f in PRICE_FIELDS]
    low, high = pl.col("low"), pl.col("high")
    checks += [
        (pl.all_horizontal(*(p == 0 for p in prices), pl.col("volume") == 0), "all-zero bar"),
        (pl.any_horizontal(*(p <= 0 for p in prices)), "non-positive price"),
        (high < low, "high below low"),
        (~pl.col("open").is_between(low, high), "open outside [low, high]"),
        (~pl.col("close").is_between(low, high), "close outside [low, high]"),
        (pl.col("volume") < 0, "negative volume"),
    ]
    expr = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, reason in checks[1:]:
        expr = expr.when(condition).then(pl.lit(reason))
    return expr.otherwise(pl.lit(None, pl.String))


REASON = _first_broken_rule()


def _rejected(bad: pl.DataFrame, payloads: list[BarPayload], bars: list[dict]) -> list[Rejected]:
    rejected = []
    for row, index, bar_date, reason in bad.sort("row").iter_rows():
        payload = payloads[index]
        rejected.append(Rejected(
            source=SOURCE, entity=IB_BARS.name,
            record_key=f"{payload.symbol}|{payload.what_to_show}|{bar_date or '?'}",
            reason=reason, payload=bars[row], file=payload.origin))
    return rejected
