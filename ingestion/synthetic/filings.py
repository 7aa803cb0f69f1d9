"""The filing calendar of one synthetic company: periodic reports and the filings around them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from ingestion.synthetic.edgar import (
    TEN_K_LAG,
    TEN_Q_LAG,
    Filing,
    SessionRoll,
    acceptance_times,
    periodic_filing_date,
)
from ingestion.synthetic.fundamentals import FiscalQuarter
from ingestion.synthetic.profiles import CompanyProfile

REPORTING_HISTORY = timedelta(days=460)  # already-listed names report from ~15 months before

_DOCUMENTS = {"10-Q": "10-Q", "10-K": "10-K", "8-K": "8-K", "4": "FORM 4",
              "DEF 14A": "DEF 14A", "S-1": "S-1", "424B4": "424B4", "8-A12B": "8-A12B",
              "25-NSE": "25-NSE", "15-12B": "15-12B"}


def first_reported_period_end(profile: CompanyProfile, window_start: date) -> date:
    """Periodic reports cover periods ending on or after this day."""
    return profile.listed_from if profile.is_ipo else window_start - REPORTING_HISTORY


def schedule_filings(profile: CompanyProfile, quarters: list[FiscalQuarter], window_start: date,
                     end: date, roll: SessionRoll, rng: np.random.Generator) -> list[Filing]:
    """Every filing of the company up to ``end`` (and before its delisting), with accessions."""
    stop = min(end, profile.delisted_on) if profile.delisted_on else end
    first_end = first_reported_period_end(profile, window_start)
    drafts: list[tuple[str, date, date | None, str, int | None]] = []
    for k, q in enumerate(quarters):
        if q.end < first_end:
            continue
        form = "10-K" if q.fiscal_quarter == 4 else "10-Q"
        filed = periodic_filing_date(q.end, TEN_K_LAG if form == "10-K" else TEN_Q_LAG, roll, rng)
        if filed > stop:
            continue
        drafts.append((form, filed, q.end, "", k))
        release = roll.on_or_after(max(q.end + timedelta(days=14),
                                       filed - timedelta(days=int(rng.integers(0, 11)))))
        drafts.append(("8-K", min(release, filed), min(release, filed), "2.02,9.01", None))
        if form == "10-K":
            proxy = roll.on_or_after(filed + timedelta(days=int(rng.integers(25, 46))))
            if proxy <= stop:
                drafts.append(("DEF 14A", proxy, None, "", None))
    listed_days = max((stop - profile.listed_from).days, 1)
    # One draw of all insider-filing days (the same numbers as one draw each, in order).
    offsets = rng.integers(0, listed_days + 1, size=rng.poisson(
        profile.insider_filings_per_year * listed_days / 365.25))
    for day in roll.all_on_or_before(np.datetime64(profile.listed_from) + offsets):
        if profile.listed_from <= day <= stop:
            drafts.append(("4", day, day - timedelta(days=2), "", None))
    if profile.is_ipo:
        ipo = profile.listed_from
        drafts += [("S-1", roll.on_or_before(ipo - timedelta(days=90)), None, "", None),
                   ("8-A12B", roll.on_or_before(ipo - timedelta(days=2)), None, "", None),
                   ("424B4", roll.on_or_before(ipo - timedelta(days=1)), None, "", None)]
    if profile.delisted_on and profile.delisted_on <= end:
        gone = profile.delisted_on
        items = "2.01,3.01,5.01" if profile.delist_reason == "acquired" else "1.03,3.01"
        drafts += [("8-K", gone, gone, items, None),
                   ("25-NSE", roll.on_or_before(gone - timedelta(days=10)), None, "", None)]
        deregistered = roll.on_or_after(gone + timedelta(days=10))
        if deregistered <= end:
            drafts.append(("15-12B", deregistered, None, "", None))
    return _with_accessions(profile, drafts, rng)


def _with_accessions(profile: CompanyProfile, drafts: list, rng: np.random.Generator
                     ) -> list[Filing]:
    """Accession numbers ``CIK-YY-NNNNNN`` numbered by filing order within each year."""
    drafts.sort(key=lambda d: (d[1], d[0]))
    counters: dict[int, int] = {}
    ticker, cik10 = profile.symbol.lower(), profile.cik10
    out = []
    accepted = acceptance_times([d[1] for d in drafts], rng)
    for (form, filed, report, items, quarter), accepted_at in zip(drafts, accepted, strict=True):
        counters[filed.year] = counters.get(filed.year, 0) + 1
        accession = f"{cik10}-{filed.year % 100:02d}-{counters[filed.year]:06d}"
        if form in ("10-Q", "10-K"):
            document = f"{ticker}-{report:%Y%m%d}.htm"
        elif form == "4":
            document = f"xslF345X05/wf-form4_{accession[-6:]}.xml"
        else:
            document = f"{ticker}-{form.lower().replace(' ', '')}_{filed:%Y%m%d}.htm"
        out.append(Filing(form, filed, accepted_at, report, accession, document,
                          _DOCUMENTS[form], items, quarter))
    return out
