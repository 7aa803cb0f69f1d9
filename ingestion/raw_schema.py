"""The raw schema: the contract between the adapters and the warehouse.

Every adapter's transform returns rows with exactly these columns (minus ``load_id``, which the
loader stamps). Both backends create the same tables from this one definition. ``key`` is the
natural key that makes loading idempotent; ``available_at`` is when the fact became knowable (UTC,
naive timestamp).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: dict[str, pl.DataType]
    key: tuple[str, ...]
    description: str

    @property
    def polars_schema(self) -> pl.Schema:
        """Schema of adapter output (everything but ``load_id``)."""
        return pl.Schema({c: t for c, t in self.columns.items() if c != "load_id"})


def _table(
    table_name: str, key: tuple[str, ...], description: str, /, **columns: pl.DataType
) -> RawTable:
    cols = dict(columns) | {"available_at": pl.Datetime("us"), "load_id": pl.String()}
    return RawTable(table_name, cols, key, description)


S, F, I, D, T, B = pl.String(), pl.Float64(), pl.Int64(), pl.Date(), pl.Datetime("us"), pl.Boolean()

EDGAR_FACTS = _table(
    "edgar_facts",
    ("cik", "taxonomy", "concept", "unit", "period_start", "period_end", "accession_number"),
    "Every version of every XBRL fact from companyfacts; available_at is the end of the filing day.",
    cik=I, taxonomy=S, concept=S, unit=S, period_start=D, period_end=D, value=F,
    accession_number=S, fiscal_year=I, fiscal_period=S, form=S, filed=D, frame=S,
)
EDGAR_FILINGS = _table(
    "edgar_filings",
    ("cik", "accession_number"),
    "Filings from submissions (recent and paging files); available_at is the SEC acceptance time.",
    cik=I, accession_number=S, form=S, filing_date=D, report_date=D, accepted_at=T,
    is_xbrl=B, primary_document=S,
)
EDGAR_COMPANIES = _table(
    "edgar_companies",
    ("cik", "name", "tickers", "exchanges", "sic", "fiscal_year_end"),
    "Company metadata from submissions; a new row only when something changed. available_at is "
    "the latest filing acceptance in the payload.",
    cik=I, name=S, entity_type=S, tickers=S, exchanges=S, sic=S, sic_description=S,
    fiscal_year_end=S, state_of_incorporation=S,
)
FRED_SERIES = _table(
    "fred_series",
    ("series_id", "last_updated"),
    "FRED series metadata; available_at is last_updated.",
    series_id=S, title=S, frequency=S, units=S, seasonal_adjustment=S,
    observation_start=D, observation_end=D, last_updated=T, notes=S,
)
FRED_OBSERVATIONS = _table(
    "fred_observations",
    ("series_id", "observation_date", "realtime_start"),
    "Every ALFRED vintage of every observation (value null where FRED reports '.'); "
    "available_at is realtime_start.",
    series_id=S, observation_date=D, value=F, realtime_start=D, realtime_end=D,
)
IB_BARS = _table(
    "ib_bars",
    ("symbol", "bar_date", "what_to_show"),
    "IB daily bars, TRADES (unadjusted) and ADJUSTED_LAST (split and dividend adjusted); "
    "available_at is the session close.",
    symbol=S, bar_date=D, what_to_show=S, open=F, high=F, low=F, close=F, volume=F,
    average=F, bar_count=I,
)
QUARANTINE = _table(
    "quarantine",
    ("source", "entity", "record_key", "reason"),
    "Records that failed validation: what, why, and the raw payload, so nothing is lost.",
    source=S, entity=S, record_key=S, reason=S, payload=S, file=S,
)

RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (EDGAR_FACTS, EDGAR_FILINGS, EDGAR_COMPANIES, FRED_SERIES, FRED_OBSERVATIONS,
              IB_BARS, QUARANTINE)
}
