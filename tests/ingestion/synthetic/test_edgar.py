"""EDGAR payloads: real shapes, filing lags, YTD cash flows, comparatives, restatements."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from ingestion.synthetic import SyntheticUniverse

# Keys of real payloads (shared/data/sec_edgar: Tesla's submissions, Apple's companyfacts).
SUBMISSIONS_KEYS = {
    "cik", "entityType", "sic", "sicDescription", "ownerOrg", "insiderTransactionForOwnerExists",
    "insiderTransactionForIssuerExists", "name", "tickers", "exchanges", "ein", "lei",
    "description", "website", "investorWebsite", "category", "fiscalYearEnd",
    "stateOfIncorporation", "stateOfIncorporationDescription", "addresses", "phone", "flags",
    "formerNames", "filings"}
FILING_FIELDS = {
    "accessionNumber", "filingDate", "reportDate", "acceptanceDateTime", "act", "form",
    "fileNumber", "filmNumber", "items", "core_type", "size", "isXBRL", "isInlineXBRL",
    "primaryDocument", "primaryDocDescription"}
FACT_KEYS = {"start", "end", "val", "accn", "fy", "fp", "form", "filed"}
CASH_TAGS = ("NetCashProvidedByUsedInOperatingActivities",
             "PaymentsToAcquirePropertyPlantAndEquipment", "DepreciationDepletionAndAmortization")


def _days(row: dict) -> int:
    return (date.fromisoformat(row["end"]) - date.fromisoformat(row["start"])).days + 1


@pytest.fixture(scope="module")
def payloads(universe):
    client = universe.edgar_client()
    ciks = client.keys()
    return {cik: (client.company_facts(cik), client.submissions(cik)) for cik in ciks}


def test_shapes_match_the_real_apis(payloads):
    for facts, (main, *_pages) in payloads.values():
        assert set(main) == SUBMISSIONS_KEYS
        assert set(main["filings"]["recent"]) == FILING_FIELDS
        assert len({len(v) for v in main["filings"]["recent"].values()}) == 1
        assert set(facts) == {"cik", "entityName", "facts"} and isinstance(facts["cik"], int)
        assert "EntityCommonStockSharesOutstanding" in facts["facts"]["dei"]
        for concept in facts["facts"]["us-gaap"].values():
            (unit, rows), = concept["units"].items()
            assert unit in ("USD", "USD/shares")
            for row in rows:
                assert FACT_KEYS - {"start"} <= set(row) <= FACT_KEYS | {"frame"}


def test_filing_lags_are_within_the_stated_ranges(payloads):
    lags = defaultdict(list)
    for _, (main, *_pages) in payloads.values():
        recent = main["filings"]["recent"]
        for form, filed, report in zip(recent["form"], recent["filingDate"],
                                       recent["reportDate"], strict=True):
            if form in ("10-Q", "10-K"):
                lags[form].append((date.fromisoformat(filed) - date.fromisoformat(report)).days)
    assert min(lags["10-Q"]) >= 25 and max(lags["10-Q"]) <= 45
    assert min(lags["10-K"]) >= 45 and max(lags["10-K"]) <= 75
    assert max(lags["10-Q"]) - min(lags["10-Q"]) >= 10  # spread, not one fixed lag


def test_no_fourth_quarter_filing_and_10k_carries_fiscal_years(payloads):
    for facts, _ in payloads.values():
        income = facts["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
        assert {r["fp"] for r in income if r["form"] == "10-Q"} <= {"Q1", "Q2", "Q3"}
        assert {r["fp"] for r in income if r["form"] == "10-K"} == {"FY"}
        assert all(350 <= _days(r) <= 380 for r in income if r["form"] == "10-K")


def test_cash_flow_tags_are_year_to_date_only(payloads):
    seen = set()
    for facts, _ in payloads.values():
        for tag in CASH_TAGS:
            for r in facts["facts"]["us-gaap"][tag]["units"]["USD"]:
                months = round(_days(r) / 30.4)
                expected = {"Q1": 3, "Q2": 6, "Q3": 9, "FY": 12}[r["fp"]]
                assert months == expected, (tag, r)
                seen.add(months)
        quarterly_income = [r for r in facts["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
                            if r["fp"] in ("Q2", "Q3") and _days(r) < 100]
        assert quarterly_income, "income statement tags keep their three-month values"
    assert seen == {3, 6, 9, 12}


def test_comparatives_repeat_under_the_later_filing(payloads):
    facts, _ = next(iter(payloads.values()))
    by_period = defaultdict(list)
    for r in facts["facts"]["us-gaap"]["Assets"]["units"]["USD"]:
        by_period[r["end"]].append(r)
    repeated = [rows for rows in by_period.values() if len(rows) >= 2]
    assert repeated
    for rows in repeated:
        assert len({r["accn"] for r in rows}) == len(rows)
        assert rows[-1]["filed"] > rows[0]["filed"] and rows[-1]["fy"] >= rows[0]["fy"]


def test_restatements_change_earlier_periods_in_later_filings(payloads):
    restated = 0
    for facts, _ in payloads.values():
        for tag in ("NetIncomeLoss", "Assets"):
            versions = defaultdict(set)
            for r in facts["facts"]["us-gaap"][tag]["units"]["USD"]:
                versions[(r.get("start"), r["end"])].add(r["val"])
            restated += sum(len(v) > 1 for v in versions.values())
    assert restated >= 3


def test_accounting_identities_hold_per_filing(payloads):
    for facts, _ in payloads.values():
        gaap = facts["facts"]["us-gaap"]
        revenue_tag = next(t for t in ("Revenues",
                                       "RevenueFromContractWithCustomerExcludingAssessedTax")
                           if t in gaap)
        revenue = {(r["accn"], r["start"], r["end"]): r["val"]
                   for r in gaap[revenue_tag]["units"]["USD"]}
        for r in gaap.get("GrossProfit", {"units": {"USD": []}})["units"]["USD"]:
            key = (r["accn"], r["start"], r["end"])
            if key in revenue:
                assert r["val"] <= revenue[key]
        liabilities = {(r["accn"], r["end"]): r["val"] for r in gaap["Liabilities"]["units"]["USD"]}
        for r in gaap["StockholdersEquity"]["units"]["USD"]:
            assets = next(a["val"] for a in gaap["Assets"]["units"]["USD"]
                          if a["accn"] == r["accn"] and a["end"] == r["end"])
            assert abs(assets - liabilities[(r["accn"], r["end"])] - r["val"]) <= 2000


def test_frames_are_unique_per_concept(payloads):
    for facts, _ in payloads.values():
        for concept in facts["facts"]["us-gaap"].values():
            frames = [r["frame"] for rows in concept["units"].values() for r in rows
                      if "frame" in r]
            assert len(frames) == len(set(frames))


def test_delisted_companies_have_no_tickers(universe, payloads):
    delisted = [p for p in universe.profiles if p.delisted_on]
    assert delisted
    for p in delisted:
        main = payloads[p.cik10][1][0]
        assert main["tickers"] == [] and "15-12B" in main["filings"]["recent"]["form"]


def test_fiscal_year_ends_vary(universe, payloads):
    ends = {payloads[p.cik10][1][0]["fiscalYearEnd"] for p in universe.profiles}
    assert "1231" in ends and len(ends) >= 3


def test_busy_filers_get_paging_files():
    big = SyntheticUniverse(symbols=200, years=10, seed=11)
    busiest = max(big.profiles, key=lambda p: p.insider_filings_per_year)
    main, *pages = big.edgar_client().submissions(busiest.cik10)
    files = main["filings"]["files"]
    assert pages and len(files) == len(pages)
    assert len(main["filings"]["recent"]["form"]) >= 1000
    assert files[0]["filingCount"] == len(pages[0]["form"])
    assert files[0]["filingTo"] < min(main["filings"]["recent"]["filingDate"]) or \
        files[0]["filingTo"] == min(main["filings"]["recent"]["filingDate"])


def test_eps_of_earlier_periods_is_restated_for_a_later_split():
    big = SyntheticUniverse(symbols=300, years=10, seed=11)
    checked = 0
    for p in big.profiles:
        splits = [s for s in big.company(p.index).prices.splits if s.ratio > 1]
        if not splits:
            continue
        split_day = str(splits[0].day)
        gaap = big.edgar_client().company_facts(p.cik10)["facts"]["us-gaap"]
        income = {(r["accn"], r["start"], r["end"]): r["val"]
                  for r in gaap["NetIncomeLoss"]["units"]["USD"]}
        eps = defaultdict(list)
        for r in gaap["EarningsPerShareBasic"]["units"]["USD/shares"]:
            eps[(r["start"], r["end"])].append(r)
        for (start, end), rows in eps.items():
            before = [r for r in rows if r["filed"] < split_day and end < split_day]
            after = [r for r in rows if r["filed"] >= split_day]
            for a in before[:1]:
                for b in after[:1]:
                    if income[(a["accn"], start, end)] != income[(b["accn"], start, end)]:
                        continue  # restated in between: EPS moves for that reason too
                    assert b["val"] == pytest.approx(a["val"] / splits[0].ratio, abs=0.011)
                    checked += 1
        if checked >= 3:
            break
    assert checked >= 3
