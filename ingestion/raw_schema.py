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


TEXT, FLOAT, INT, DATE = pl.String(), pl.Float64(), pl.Int64(), pl.Date()
TIMESTAMP, BOOL = pl.Datetime("us"), pl.Boolean()

EDGAR_FACTS = _table(
    "edgar_facts",
    ("cik", "taxonomy", "concept", "unit", "period_start", "period_end", "accession_number"),
    "Every version of every XBRL fact from companyfacts; available_at: end of the filing day.",
    cik=INT,
    taxonomy=TEXT,
    concept=TEXT,
    unit=TEXT,
    period_start=DATE,
    period_end=DATE,
    value=FLOAT,
    accession_number=TEXT,
    fiscal_year=INT,
    fiscal_period=TEXT,
    form=TEXT,
    filed=DATE,
    frame=TEXT,
)
EDGAR_FILINGS = _table(
    "edgar_filings",
    ("cik", "accession_number"),
    "Filings from submissions (recent and paging files); available_at is the SEC acceptance time.",
    cik=INT,
    accession_number=TEXT,
    form=TEXT,
    filing_date=DATE,
    report_date=DATE,
    accepted_at=TIMESTAMP,
    is_xbrl=BOOL,
    primary_document=TEXT,
)
EDGAR_COMPANIES = _table(
    "edgar_companies",
    ("cik", "name", "tickers", "exchanges", "sic", "fiscal_year_end"),
    "Company metadata from submissions; a new row only when something changed. available_at is "
    "the latest filing acceptance in the payload.",
    cik=INT,
    name=TEXT,
    entity_type=TEXT,
    tickers=TEXT,
    exchanges=TEXT,
    sic=TEXT,
    sic_description=TEXT,
    fiscal_year_end=TEXT,
    state_of_incorporation=TEXT,
)
EDGAR_TICKERS = _table(
    "edgar_tickers",
    ("cik", "ticker"),
    "SEC's ticker -> CIK map (company_tickers.json); available_at: when the map was recorded.",
    cik=INT,
    ticker=TEXT,
    title=TEXT,
)
FRED_SERIES = _table(
    "fred_series",
    ("series_id", "last_updated"),
    "FRED series metadata; available_at is last_updated.",
    series_id=TEXT,
    title=TEXT,
    frequency=TEXT,
    units=TEXT,
    seasonal_adjustment=TEXT,
    observation_start=DATE,
    observation_end=DATE,
    last_updated=TIMESTAMP,
    notes=TEXT,
)
FRED_OBSERVATIONS = _table(
    "fred_observations",
    ("series_id", "observation_date", "realtime_start"),
    "Every ALFRED vintage of every observation (value null where FRED reports '.'); "
    "available_at is realtime_start.",
    series_id=TEXT,
    observation_date=DATE,
    value=FLOAT,
    realtime_start=DATE,
    realtime_end=DATE,
)
IB_BARS = _table(
    "ib_bars",
    ("symbol", "bar_date", "what_to_show"),
    "IB daily bars, TRADES (unadjusted) and ADJUSTED_LAST (split and dividend adjusted); "
    "available_at is the session close.",
    symbol=TEXT,
    bar_date=DATE,
    what_to_show=TEXT,
    open=FLOAT,
    high=FLOAT,
    low=FLOAT,
    close=FLOAT,
    volume=FLOAT,
    average=FLOAT,
    bar_count=INT,
)
QUARANTINE = _table(
    "quarantine",
    ("source", "entity", "record_key", "reason"),
    "Records that failed validation: what, why, and the raw payload, so nothing is lost.",
    source=TEXT,
    entity=TEXT,
    record_key=TEXT,
    reason=TEXT,
    payload=TEXT,
    file=TEXT,
)

RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (
        EDGAR_FACTS,
        EDGAR_FILINGS,
        EDGAR_COMPANIES,
        EDGAR_TICKERS,
        FRED_SERIES,
        FRED_OBSERVATIONS,
        IB_BARS,
        QUARANTINE,
    )
}
