"""FRED payloads -> validated rows for ``fred_series`` and ``fred_observations``."""

from __future__ import annotations

from typing import Any

import polars as pl

from ingestion.batch import Batch, Rejected

SOURCE = "fred"
MISSING_VALUE = "."
"""FRED's marker for 'no value in this vintage': kept as a row with a null value."""

_LAST_UPDATED_FORMAT = "%Y-%m-%d %H:%M:%S%#z"  # FRED writes e.g. '2024-12-19 07:55:01-06'
_OBSERVATION_FIELDS = ("realtime_start", "realtime_end", "date", "value")
_SERIES_FIELDS = ("id", "title", "frequency", "units", "seasonal_adjustment",
                  "observation_start", "observation_end", "last_updated", "notes")


def _strings(records: list[dict[str, Any]], fields: tuple[str, ...]) -> pl.DataFrame:
    """The payload's fields as strings (absent fields become null), plus the record index."""
    columns = {f: [None if r.get(f) is None else str(r.get(f)) for r in records] for f in fields}
    return pl.DataFrame(columns, schema=dict.fromkeys(fields, pl.String)).with_row_index("_row")


def _iso_date(column: str) -> pl.Expr:
    return pl.col(column).str.to_date("%Y-%m-%d", strict=False)


def _reason(*checks: tuple[pl.Expr, str]) -> pl.Expr:
    """All failed checks of a row joined into one reason (null when the row is valid)."""
    parts = [pl.when(failed).then(pl.lit(message)) for failed, message in checks]
    return pl.concat_str(parts, separator="; ", ignore_nulls=True).replace("", None)


def _rejected(frame: pl.DataFrame, records: list[dict[str, Any]], entity: str,
              key_fields: tuple[str, ...], source_file: str | None) -> list[Rejected]:
    return [
        Rejected(SOURCE, entity, "|".join(str(row[f]) for f in key_fields), row["_reason"],
                 records[row["_row"]], source_file)
        for row in frame.select("_row", "_reason", *key_fields).iter_rows(named=True)
    ]


def observations_batch(body: dict[str, Any], series_id: str,
                       source_file: str | None = None) -> Batch:
    """Every vintage row of an observations body; bad rows go to quarantine with a reason."""
    records = body["observations"]
    raw = _strings(records, _OBSERVATION_FIELDS)
    numeric = pl.col("value").str.strip_chars().cast(pl.Float64, strict=False)
    parsed = raw.with_columns(
        series_id=pl.lit(series_id),
        observation_date=_iso_date("date"),
        realtime_start_parsed=_iso_date("realtime_start"),
        realtime_end_parsed=_iso_date("realtime_end"),
        value_parsed=pl.when(pl.col("value") == MISSING_VALUE).then(None).otherwise(numeric),
    )
    key_seen = pl.int_range(pl.len()).over("observation_date", "realtime_start_parsed")
    checked = parsed.with_columns(_reason=_reason(
        (pl.col("observation_date").is_null(), "date missing or not YYYY-MM-DD"),
        (pl.col("realtime_start_parsed").is_null(), "realtime_start missing or not YYYY-MM-DD"),
        (pl.col("realtime_end_parsed").is_null(), "realtime_end missing or not YYYY-MM-DD"),
        (pl.col("realtime_end_parsed") < pl.col("realtime_start_parsed"),
         "realtime_end before realtime_start"),
        (pl.col("value").is_null(), "value missing"),
        ((pl.col("value") != MISSING_VALUE) & pl.col("value").is_not_null()
         & ~numeric.is_finite().fill_null(False),
         "value is neither a number nor '.'"),
        (key_seen > 0, "duplicate (date, realtime_start) in payload"),
    ))
    good = checked.filter(pl.col("_reason").is_null())
    bad = checked.filter(pl.col("_reason").is_not_null()).with_columns(
        pl.lit(series_id).alias("series_id"))
    rows = good.select(
        "series_id", "observation_date",
        pl.col("value_parsed").alias("value"),
        pl.col("realtime_start_parsed").alias("realtime_start"),
        pl.col("realtime_end_parsed").alias("realtime_end"),
        pl.col("realtime_start_parsed").cast(pl.Datetime("us")).alias("available_at"),
    )
    rejected = _rejected(bad, records, "fred_observations",
                         ("series_id", "date", "realtime_start"), source_file)
    return Batch("fred_observations", rows, rejected)


def series_batch(body: dict[str, Any], source_file: str | None = None) -> Batch:
    """Series metadata rows; ``last_updated`` (with FRED's UTC offset) becomes naive UTC."""
    records = body["seriess"]
    raw = _strings(records, _SERIES_FIELDS)
    last_updated = (
        pl.col("last_updated").str.to_datetime(_LAST_UPDATED_FORMAT, strict=False, time_unit="us")
        .dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    )
    parsed = raw.with_columns(
        series_id=pl.col("id").str.to_uppercase(),
        observation_start_parsed=_iso_date("observation_start"),
        observation_end_parsed=_iso_date("observation_end"),
        last_updated_parsed=last_updated,
    )
    checked = parsed.with_columns(_reason=_reason(
        (pl.col("series_id").is_null(), "id missing"),
        (pl.col("last_updated_parsed").is_null(),
         "last_updated missing or not 'YYYY-MM-DD HH:MM:SS±HH'"),
        (pl.col("observation_start").is_not_null()
         & pl.col("observation_start_parsed").is_null(), "observation_start not YYYY-MM-DD"),
        (pl.col("observation_end").is_not_null()
         & pl.col("observation_end_parsed").is_null(), "observation_end not YYYY-MM-DD"),
    ))
    good = checked.filter(pl.col("_reason").is_null())
    rows = good.select(
        "series_id", "title", "frequency", "units", "seasonal_adjustment",
        pl.col("observation_start_parsed").alias("observation_start"),
        pl.col("observation_end_parsed").alias("observation_end"),
        pl.col("last_updated_parsed").alias("last_updated"),
        "notes",
        pl.col("last_updated_parsed").alias("available_at"),
    )
    rejected = _rejected(checked.filter(pl.col("_reason").is_not_null()), records,
                         "fred_series", ("id", "last_updated"), source_file)
    return Batch("fred_series", rows, rejected)
