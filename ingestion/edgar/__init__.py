"""SEC EDGAR adapter: companyfacts and submissions into edgar_facts, edgar_filings, edgar_companies.

``fetch(client, cik)`` works the same with ``ReplayClient(folder)`` (recorded payloads) and
``LiveClient(user_agent)`` (data.sec.gov through ``sec-edgar-api``); ``fetch_many(client, ciks)``
gives each company what ``fetch`` gives it, validating them all in one pass.
"""

from ingestion.edgar.clients import LiveClient, Payload, ReplayClient
from ingestion.edgar.fetcher import fetch, fetch_many, latest_accession
from ingestion.edgar.params import CompanyQuery, normalize_cik
from ingestion.edgar.transform import SOURCE

__all__ = ["SOURCE", "CompanyQuery", "LiveClient", "Payload", "ReplayClient", "fetch", "fetch_many",
           "latest_accession", "normalize_cik"]
