"""Validation: bad records become Rejected with a reason, the rest of the payload loads."""

import copy
import json
from datetime import UTC, date
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from edgar_fixtures import read_fixture

from ingestion.batch import PayloadError
from ingestion.edgar.clients import Payload
from ingestion.edgar.transform import (
    companies_batch,
    facts_batch,
    facts_batches,
    filings_batch,
    flatten_facts,
    read_submissions,
    submissions_batches_many,
)

APPLE_FACTS = "companyfacts/CIK0000320193.json.gz"
ORIGIN = "recorded/CIK0000320193.json"
REVENUE = "RevenueFromContractWithCustomerExcludingAssessedTax"


@pytest.fixture(scope="module")
def apple_facts() -> dict:
    return read_fixture(APPLE_FACTS)


def fy2017_revenue(payload: dict) -> dict:
    versions = payload["facts"]["us-gaap"][REVENUE]["units"]["USD"]
    return next(f for f in versions if f["accn"] == "0000320193-19-000119"
                and f["end"] == "2017-09-30")


def test_fact_missing_val_and_non_numeric_val_are_quarantined(apple_facts):
    payload = copy.deepcopy(apple_facts)
    del fy2017_revenue(payload)["val"]
    shares = payload["facts"]["dei"]["EntityCommonStockSharesOutstanding"]["units"]["shares"]
    shares[0]["val"] = "n/a"
    batch = facts_batch(payload, ORIGIN)
    assert batch.rows.height == 24_579 - 2
    reasons = {r.reason: r for r in batch.rejected}
    assert set(reasons) == {"missing field 'val'", "non-numeric value 'n/a'"}
    missing = reasons["missing field 'val'"]
    assert (missing.source, missing.entity, missing.file) == ("edgar", "edgar_facts", ORIGIN)
    assert missing.record_key == (f"320193/us-gaap/{REVENUE}/USD/0000320193-19-000119/"
                                  "2016-09-25/2017-09-30")
    assert missing.payload["fact"]["accn"] == "0000320193-19-000119"
    assert "val" not in missing.payload["fact"]
    json.loads(missing.as_row(None)["payload"])  # storable in the quarantine table
    same_filing = batch.rows.filter(pl.col("accession_number") == "0000320193-19-000119",
                                    pl.col("concept") == REVENUE)
    in_json = [f for f in apple_facts["facts"]["us-gaap"][REVENUE]["units"]["USD"]
               if f["accn"] == "0000320193-19-000119"]
    assert same_filing.height == len(in_json) - 1 == 10  # only the FY2017 version is held back
    assert date(2017, 9, 30) not in same_filing["period_end"].to_list()


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("end", None, "missing field 'end'"),
    ("accn", None, "missing field 'accn'"),
    ("filed", None, "missing field 'filed'"),
    ("val", True, "non-numeric value True"),
    ("val", float("nan"), "non-finite value nan"),
    ("end", "2017-13-30", "unparsable date in 'end': 2017-13-30"),
    ("start", "30/09/2016", "unparsable date in 'start': 30/09/2016"),
    ("filed", "yesterday", "unparsable date in 'filed': yesterday"),
    ("fy", "2019", "non-integer fiscal year '2019'"),
    ("start", "2018-01-01", "period end 2017-09-30 before start 2018-01-01"),
])
def test_each_fact_check_names_its_reason(apple_facts, field, value, reason):
    payload = copy.deepcopy(apple_facts)
    fact = fy2017_revenue(payload)
    if value is None:
        del fact[field]
    else:
        fact[field] = value
    batch = facts_batch(payload, ORIGIN)
    assert [r.reason for r in batch.rejected] == [reason]
    assert batch.rows.height == 24_579 - 1


def test_exact_repeat_is_dropped_and_conflicting_repeat_rejected(apple_facts):
    payload = copy.deepcopy(apple_facts)
    versions = payload["facts"]["us-gaap"][REVENUE]["units"]["USD"]
    original = fy2017_revenue(payload)
    versions.append(dict(original))
    versions.append(dict(original, val=1.0))
    batch = facts_batch(payload, ORIGIN)
    assert batch.rows.height == 24_579
    assert [r.reason for r in batch.rejected] == [
        "conflicting duplicate of the natural key taxonomy, concept, unit, period_start, "
        "period_end, accession_number"]
    assert batch.rejected[0].payload["fact"]["val"] == 1.0


def test_companies_validated_together_keep_their_own_rows_and_rejects(apple_facts):
    # The same facts under another CIK are not duplicates of Apple's; its bad fact is its own.
    other = copy.deepcopy(apple_facts)
    other["cik"] = 1
    fy2017_revenue(other)["val"] = "n/a"
    apple, second = facts_batches([flatten_facts(apple_facts, ORIGIN),
                                   flatten_facts(other, "other.json")])
    assert apple.rows.height == 24_579 and apple.rejected == []
    assert apple.rows.equals(facts_batch(apple_facts, ORIGIN).rows)
    assert second.rows.height == 24_579 - 1 and second.rows["cik"].unique().to_list() == [1]
    [bad] = second.rejected
    assert (bad.file, bad.reason) == ("other.json", "non-numeric value 'n/a'")
    assert bad.record_key.startswith(f"1/us-gaap/{REVENUE}/USD/0000320193-19-000119/")


def test_broken_structure_is_a_payload_error(apple_facts):
    payload = copy.deepcopy(apple_facts)
    payload["facts"]["us-gaap"][REVENUE] = {"label": "no units"}
    with pytest.raises(PayloadError, match=f"{ORIGIN}: .*{REVENUE}.* has no 'units'"):
        facts_batch(payload, ORIGIN)
    with pytest.raises(PayloadError, match="no valid 'cik'"):
        facts_batch({"facts": {}}, ORIGIN)


def submissions_pages():
    main = read_fixture("submissions/CIK0001009672.json.gz")
    page = read_fixture("submissions/CIK0001009672-submissions-001.json.gz")
    return (Payload(main, "main.json"),
            Payload(page, "CIK0001009672-submissions-001.json"))


def test_bad_filing_rows_are_quarantined_with_their_file():
    main, page = submissions_pages()
    page["acceptanceDateTime"][0] = "2003-12-08 16:00"
    page["filingDate"][1] = ""
    main["filings"]["recent"]["reportDate"][0] = "Q4"
    batch = filings_batch([main, page])
    assert batch.rows.height == 1205 - 3
    got = sorted((r.file, r.reason) for r in batch.rejected)
    assert got == [
        ("CIK0001009672-submissions-001.json", "missing field 'filingDate'"),
        ("CIK0001009672-submissions-001.json",
         "unparsable time in 'acceptanceDateTime': 2003-12-08 16:00"),
        ("main.json", "unparsable date in 'reportDate': Q4"),
    ]
    rejected_accession = page["accessionNumber"][0]
    assert any(r.record_key == f"1009672/{rejected_accession}"
               and r.payload["acceptanceDateTime"] == "2003-12-08 16:00"
               for r in batch.rejected)


def test_filings_of_many_companies_are_validated_apart():
    main, page = submissions_pages()
    other_main, other_page = copy.deepcopy(main), copy.deepcopy(page)
    other_main["cik"] = "0000000001"
    other_page["filingDate"][1] = ""
    (filings, company), (other_filings, other_company) = submissions_batches_many(
        [read_submissions([main, page]), read_submissions([other_main, other_page])])
    assert filings.rows.height == 1205 and filings.rejected == []
    assert filings.rows.equals(filings_batch([main, page]).rows)
    assert other_filings.rows.height == 1205 - 1
    assert [(r.record_key.split("/")[0], r.reason) for r in other_filings.rejected] == [
        ("1", "missing field 'filingDate'")]
    assert company.rows["cik"].to_list() == [1009672]
    assert other_company.rows["cik"].to_list() == [1]


def test_ragged_filing_columns_are_a_payload_error():
    main, page = submissions_pages()
    page["form"].pop()
    with pytest.raises(PayloadError, match="CIK0001009672-submissions-001.json: filings column "
                                           "'form' does not have 205 entries"):
        filings_batch([main, page])


def test_company_dated_by_latest_valid_acceptance():
    main, page = submissions_pages()
    expected = max(main["filings"]["recent"]["acceptanceDateTime"]
                   + page["acceptanceDateTime"])
    row = companies_batch([main, page]).rows.row(0, named=True)
    new_york = row["available_at"].replace(tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert new_york.strftime("%Y-%m-%dT%H:%M:%S.000Z") == expected  # the SEC clock is New York


def test_company_without_name_is_quarantined():
    main, page = submissions_pages()
    main["name"] = ""
    batch = companies_batch([main, page])
    assert batch.rows.height == 0
    assert [(r.record_key, r.reason, r.file) for r in batch.rejected] == [
        ("1009672", "missing field 'name'", "main.json")]
