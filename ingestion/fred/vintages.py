"""FRED's real-time period rules, shared by the replay client, the live client and the stand-in.

An observation row is valid from ``realtime_start`` to ``realtime_end`` (inclusive). Asked for a
real-time window, FRED returns every row whose period overlaps the window, with the period
clipped to it; that is why a long history fetched in chunks has to be stitched back together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_iso(value: Any) -> bool:
    return isinstance(value, str) and bool(_ISO_DATE.fullmatch(value))


def clip_to_window(observations: Iterable[dict[str, Any]], start: date,
                   end: date) -> list[dict[str, Any]]:
    """FRED's answer for a real-time window: rows overlapping it, their periods clipped to it."""
    lo, hi = start.isoformat(), end.isoformat()
    kept = []
    for row in observations:
        row_start, row_end = row.get("realtime_start"), row.get("realtime_end")
        if not (_is_iso(row_start) and _is_iso(row_end)):
            kept.append(row)  # malformed: let the transform quarantine it rather than drop it
        elif row_start <= hi and row_end >= lo:
            kept.append({**row, "realtime_start": max(row_start, lo),
                         "realtime_end": min(row_end, hi)})
    return kept


def vintage_dates(observations: Iterable[dict[str, Any]]) -> list[date]:
    """The distinct ``realtime_start`` dates of a payload's rows, ascending."""
    starts = {row.get("realtime_start") for row in observations}
    return sorted(date.fromisoformat(s) for s in starts if _is_iso(s))


def chunk_windows(vintages: Sequence[date], start: date, end: date,
                  max_vintages: int) -> list[tuple[date, date]]:
    """Split ``[start, end]`` into consecutive windows spanning at most ``max_vintages`` each.

    The vintage already in effect at ``start`` is counted too, so a window never exceeds the
    limit however the server counts it.
    """
    ordered = sorted(vintages)
    covered = [v for v in ordered if v <= start][-1:] + [v for v in ordered if start < v <= end]
    if len(covered) <= max_vintages:
        return [(start, end)]
    firsts = [start] + covered[max_vintages::max_vintages]
    lasts = [first - timedelta(days=1) for first in firsts[1:]] + [end]
    return list(zip(firsts, lasts, strict=True))


def reconstruct_realtime_end(rows: list[dict[str, Any]], window_end: date) -> list[dict[str, Any]]:
    """Fill ``realtime_end`` (fredapi drops it) from the next vintage of the same date.

    A row is valid until the day before the same observation date's next ``realtime_start``;
    the last row of a date is valid until the end of the requested window. This holds because
    FRED's periods for one date are contiguous (checked on GDP's 3,201 ALFRED rows).
    """
    if not rows:
        return []
    frame = pl.DataFrame(rows, schema={"realtime_start": pl.String, "date": pl.String,
                                       "value": pl.String})
    frame = frame.with_columns(pl.col("realtime_start", "date").str.to_date()).sort(
        "date", "realtime_start")
    filled = frame.with_columns(
        realtime_end=(pl.col("realtime_start").shift(-1).over("date") - pl.duration(days=1))
        .fill_null(window_end)
    )
    return _as_records(filled)


def merge_chunks(chunks: Sequence[list[dict[str, Any]]],
                 boundaries: Sequence[date]) -> list[dict[str, Any]]:
    """Stitch chunked answers: join a row's pieces that a chunk boundary split in two.

    A piece continues the previous row of the same date when it starts exactly on a boundary,
    the previous row ends the day before, and the value is the same (FRED never emits two
    consecutive periods with one value, so this rebuilds exactly the unchunked answer).
    """
    rows = [row for chunk in chunks for row in chunk]
    if not rows:
        return []
    frame = pl.DataFrame(rows, schema={"realtime_start": pl.String, "realtime_end": pl.String,
                                       "date": pl.String, "value": pl.String})
    frame = frame.with_columns(pl.col("realtime_start", "realtime_end", "date").str.to_date())
    frame = frame.sort("date", "realtime_start")
    continues = (
        pl.col("realtime_start").is_in(pl.Series(list(boundaries), dtype=pl.Date).implode())
        & (pl.col("realtime_end").shift(1).over("date")
           == pl.col("realtime_start") - pl.duration(days=1))
        & (pl.col("value").shift(1).over("date") == pl.col("value"))
    ).fill_null(False)
    merged = (
        frame.with_columns(run=(~continues).cum_sum())
        .group_by("run", maintain_order=True)
        .agg(pl.col("realtime_start").first(), pl.col("realtime_end").last(),
             pl.col("date").first(), pl.col("value").first())
        .drop("run")
    )
    return _as_records(merged)


def _as_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows in FRED's JSON shape (ISO date strings), ordered by date then vintage."""
    return (
        frame.sort("date", "realtime_start")
        .select(pl.col("realtime_start", "realtime_end", "date").dt.to_string("%Y-%m-%d"),
                pl.col("value"))
        .to_dicts()
    )
