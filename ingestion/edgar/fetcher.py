"""One partition of EDGAR data: a company's facts, filings and metadata as raw-table batches."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from ingestion.batch import Batch, EmptyResultError, PayloadError
from ingestion.edgar.clients import Payload
from ingestion.edgar.params import CompanyQuery
from ingestion.edgar.transform import (
    facts_batch,
    filings_batch,
    payload_cik,
    submissions_batches,
    tickers_batch,
)
from ingestion.raw_schema import EDGAR_COMPANIES, EDGAR_FACTS, EDGAR_FILINGS


class EdgarClient(Protocol):
    def keys(self) -> list[str]: ...
    def company_facts(self, cik: str | int) -> Payload: ...
    def submissions(self, cik: str | int) -> list[Payload]: ...


def _or_none(read, cik: str):
    try:
        return read(cik)
    except EmptyResultError:
        return None


def _check_cik(payload: Payload, expected: str) -> None:
    if payload_cik(payload, payload.origin) != int(expected):
        raise PayloadError(f"{payload.origin}: holds CIK {payload.get('cik')!r}, "
                           f"expected {expected}")


def fetch(client: EdgarClient, key: str | int, start: date | None = None,
          end: date | None = None) -> list[Batch]:
    """Batches for ``edgar_facts``, ``edgar_filings``, ``edgar_companies`` and ``edgar_tickers``.

    ``start``/``end`` keep facts and filings filed in that window (inclusive). A company without
    companyfacts (an individual filer, say) still yields its filings; a CIK with neither
    document raises ``EmptyResultError``.
    """
    query = CompanyQuery(cik=key, start=start, end=end)
    facts = _or_none(client.company_facts, query.cik)
    pages = _or_none(client.submissions, query.cik)
    if facts is None and pages is None:
        raise EmptyResultError(f"EDGAR has neither companyfacts nor submissions for CIK "
                               f"{query.cik}")
    for payload in ([facts] if facts is not None else []) + (pages[:1] if pages else []):
        _check_cik(payload, query.cik)
    filings, company = (submissions_batches(pages, query.start, query.end) if pages else
                        (Batch.from_records(EDGAR_FILINGS.name, []),
                         Batch.from_records(EDGAR_COMPANIES.name, [])))
    return [
        facts_batch(facts, facts.origin, query.start, query.end) if facts is not None
        else Batch.from_records(EDGAR_FACTS.name, []),
        filings,
        company,
        # The synthetic universe has no ticker map: its submissions carry the tickers.
        tickers_batch(client.company_tickers() if hasattr(client, "company_tickers") else None,
                      int(query.cik)),
    ]


def latest_accession(client: EdgarClient, key: str | int) -> str | None:
    """The accession number of the company's most recently accepted filing (None if none)."""
    pages = _or_none(client.submissions, CompanyQuery(cik=key).cik)
    if not pages:
        return None
    filings = filings_batch(pages[:1]).rows  # the main page holds the newest filings
    if filings.is_empty():
        return None
    return filings.sort("accepted_at", "accession_number")["accession_number"][-1]
