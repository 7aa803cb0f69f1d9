"""ReplayClient and fetch() on real recorded SEC payloads (tests/fixtures/edgar)."""

import gzip
import shutil
from datetime import date, datetime

import polars as pl
import pytest
from edgar_fixtures import FIXTURES, read_fixture

from ingestion.batch import EmptyResultError, PayloadError
from ingestion.edgar import SOURCE, ReplayClient, fetch, fetch_many, latest_accession
from ingestion.raw_schema import RAW_TABLES


def by_table(batches):
    return {b.table: b for b in batches}


def test_keys_are_the_ciks_with_a_companyfacts_or_main_submissions_file(replay):
    assert SOURCE == "edgar"
    assert replay.keys() == ["0000315090", "0000320193", "0001009672", "0001318605",
                             "0001997711"]


def test_apple_facts_every_version_with_real_values(replay):
    batches = by_table(fetch(replay, "CIK0000320193"))
    assert list(batches) == ["edgar_facts", "edgar_filings", "edgar_companies", "edgar_tickers"]
    facts = batches["edgar_facts"]
    assert facts.rows.schema == RAW_TABLES["edgar_facts"].polars_schema
    assert facts.rejected == []
    # counted by walking the JSON with plain Python: 87 dei + 24,492 us-gaap fact versions
    assert facts.rows.height == 24_579
    assert dict(facts.rows["taxonomy"].value_counts().iter_rows()) == {"dei": 87,
                                                                       "us-gaap": 24_492}
    fy2017 = facts.rows.filter(
        pl.col("concept") == "RevenueFromContractWithCustomerExcludingAssessedTax",
        pl.col("accession_number") == "0000320193-19-000119",
        pl.col("period_end") == date(2017, 9, 30),
    ).to_dicts()
    assert fy2017 == [{
        "cik": 320193, "taxonomy": "us-gaap",
        "concept": "RevenueFromContractWithCustomerExcludingAssessedTax", "unit": "USD",
        "period_start": date(2016, 9, 25), "period_end": date(2017, 9, 30),
        "value": 229_234_000_000.0, "accession_number": "0000320193-19-000119",
        "fiscal_year": 2019, "fiscal_period": "FY", "form": "10-K", "filed": date(2019, 10, 31),
        "frame": "CY2017", "available_at": datetime(2019, 11, 1),  # filed + 1 day, 00:00
    }]
    # the same period as first reported in the FY2017 10-K is a separate version
    first = facts.rows.filter(pl.col("concept") == "SalesRevenueNet",
                              pl.col("period_end") == date(2017, 9, 30),
                              pl.col("period_start") == date(2016, 9, 25))
    assert first.select("accession_number", "value", "filed").row(0) == (
        "0000320193-17-000070", 229_234_000_000.0, date(2017, 11, 3))
    # instant facts have no start
    shares = facts.rows.filter(pl.col("concept") == "EntityCommonStockSharesOutstanding")
    assert shares["period_start"].null_count() == shares.height > 0
    assert shares["unit"].unique().to_list() == ["shares"]


def test_ifrs_filer_with_string_cik(replay):
    payload = read_fixture("companyfacts/CIK0001997711.json.gz")
    assert payload["cik"] == "0001997711"  # the real file gives the CIK as a string
    facts = by_table(fetch(replay, 1997711))["edgar_facts"]
    assert facts.rows["cik"].unique().to_list() == [1997711]
    assert dict(facts.rows["taxonomy"].value_counts().iter_rows()) == {"dei": 3,
                                                                       "ifrs-full": 765}


def test_tesla_filings_are_recent_plus_paging_rows(replay):
    main = read_fixture("submissions/CIK0001318605.json.gz")
    page = read_fixture("submissions/CIK0001318605-submissions-001.json.gz")
    expected = len(main["filings"]["recent"]["accessionNumber"]) + len(page["accessionNumber"])
    assert expected == 1720
    batches = by_table(fetch(replay, "1318605"))
    filings = batches["edgar_filings"].rows
    assert filings.height == expected
    assert filings["accession_number"].n_unique() == expected
    assert batches["edgar_facts"].rows.height == 0  # no companyfacts recorded for Tesla
    latest_10k = filings.filter(pl.col("accession_number") == "0001628280-26-003952").row(
        0, named=True)
    assert latest_10k == {
        "cik": 1318605, "accession_number": "0001628280-26-003952", "form": "10-K",
        "filing_date": date(2026, 1, 29), "report_date": date(2025, 12, 31),
        # "01:55:03.000Z" read as New York time (the conservative reading): 06:55 UTC.
        "accepted_at": datetime(2026, 1, 29, 6, 55, 3), "is_xbrl": True,
        "primary_document": "tsla-20251231.htm",
        "available_at": datetime(2026, 1, 29, 6, 55, 3),
    }
    from_page = filings.filter(pl.col("accession_number") == "0001564590-17-003118")
    assert from_page.select("form", "accepted_at").row(0) == (
        "10-K", datetime(2017, 3, 2, 2, 54, 21))  # 21:54:21 New York time
    company = batches["edgar_companies"].rows.to_dicts()
    assert company == [{
        "cik": 1318605, "name": "Tesla, Inc.", "entity_type": "operating", "tickers": "TSLA",
        "exchanges": "Nasdaq", "sic": "3711",
        "sic_description": "Motor Vehicles & Passenger Car Bodies", "fiscal_year_end": "1231",
        "state_of_incorporation": "TX", "available_at": datetime(2026, 1, 29, 6, 55, 3),
    }]


def test_carbo_delisted_with_paging_and_no_tickers(replay):
    batches = by_table(fetch(replay, 1009672))
    assert batches["edgar_filings"].rows.height == 1000 + 205
    company = batches["edgar_companies"].rows.row(0, named=True)
    assert (company["name"], company["tickers"], company["exchanges"]) == (
        "CARBO CERAMICS INC", None, None)


def test_individual_filer_without_companyfacts_still_yields_filings(replay):
    batches = by_table(fetch(replay, 315090))
    assert batches["edgar_facts"].rows.height == 0
    assert batches["edgar_facts"].rows.schema == RAW_TABLES["edgar_facts"].polars_schema
    assert batches["edgar_filings"].rows.height == 523
    assert batches["edgar_companies"].rows["name"].to_list() == ["BUFFETT WARREN E"]


def test_window_keeps_facts_and_filings_filed_in_it(replay):
    start, end = date(2019, 1, 1), date(2019, 12, 31)
    apple = by_table(fetch(replay, 320193, start=start, end=end))
    reference = read_fixture("companyfacts/CIK0000320193.json.gz")
    expected = sum(start.isoformat() <= f["filed"] <= end.isoformat()
                   for concepts in reference["facts"].values() for body in concepts.values()
                   for versions in body["units"].values() for f in versions)
    assert apple["edgar_facts"].rows.height == expected == 1478
    assert apple["edgar_facts"].rows["filed"].is_between(start, end).all()
    tesla = by_table(fetch(replay, 1318605, start=start, end=end))["edgar_filings"].rows
    assert tesla.height == 166
    assert tesla["filing_date"].is_between(start, end).all()


def test_unknown_cik_raises_empty_result(replay):
    with pytest.raises(EmptyResultError, match="neither companyfacts nor submissions"):
        fetch(replay, 789019)


def test_truncated_json_names_the_file(tmp_path):
    (tmp_path / "companyfacts").mkdir()
    source = gzip.decompress((FIXTURES / "companyfacts/CIK0001997711.json.gz").read_bytes())
    bad = tmp_path / "companyfacts/CIK0001997711.json"
    bad.write_bytes(source[: len(source) // 2])
    with pytest.raises(PayloadError, match=f"{bad}: not valid JSON"):
        fetch(ReplayClient(tmp_path), 1997711)


def test_truncated_gzip_names_the_file(tmp_path):
    (tmp_path / "companyfacts").mkdir()
    raw = (FIXTURES / "companyfacts/CIK0001997711.json.gz").read_bytes()
    bad = tmp_path / "companyfacts/CIK0001997711.json.gz"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(PayloadError, match=f"{bad}: not a readable gzip file"):
        ReplayClient(tmp_path).company_facts(1997711)


def test_missing_paging_file_is_quarantined_and_the_main_page_loads(tmp_path):
    (tmp_path / "submissions").mkdir()
    main = tmp_path / "submissions/CIK0001318605.json.gz"
    shutil.copy(FIXTURES / "submissions/CIK0001318605.json.gz", main)
    filings = by_table(fetch(ReplayClient(tmp_path), 1318605))["edgar_filings"]
    assert filings.rows.height == 1000  # the recent page; the 720 older filings are missing
    [missing] = filings.rejected
    assert (missing.record_key, missing.reason) == (
        "1318605/CIK0001318605-submissions-001.json", "missing paging file")
    assert f"{main} names a paging file that is missing" in missing.payload["error"]


def test_payload_of_another_company_is_refused(tmp_path):
    (tmp_path / "companyfacts").mkdir()
    wrong = tmp_path / "companyfacts/CIK0000320193.json.gz"
    shutil.copy(FIXTURES / "companyfacts/CIK0001997711.json.gz", wrong)
    with pytest.raises(PayloadError, match="holds CIK '0001997711', expected 0000320193"):
        fetch(ReplayClient(tmp_path), 320193)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(NotADirectoryError, match="nowhere"):
        ReplayClient(tmp_path / "nowhere")


def test_latest_accession_is_the_newest_accepted_filing(replay):
    # Tesla's 10-K for 2025 (accepted 2026-01-29) is the newest filing in the recording.
    assert latest_accession(replay, "1318605") == "0001628280-26-003952"


def test_ticker_map_rows_for_the_company_dated_by_the_recording(replay):
    tickers = by_table(fetch(replay, 320193))["edgar_tickers"].rows
    assert tickers.select("cik", "ticker", "title").rows() == [(320193, "AAPL", "Apple Inc.")]
    assert tickers["available_at"].to_list() == [datetime(2024, 5, 31)]


def test_fetch_many_gives_each_company_what_fetch_gives_it(tmp_path):
    # Apple, Tesla (a paging file) and Carbo, validated together; 1997711's companyfacts holds
    # another company's CIK (unreadable); 789019 (not recorded) is an empty result.
    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    shutil.copy(FIXTURES / "companyfacts/CIK0000320193.json.gz",
                tmp_path / "companyfacts/CIK0001997711.json.gz")
    client = ReplayClient(tmp_path)
    keys = client.keys()
    assert "0001997711" in keys and len(keys) > 3
    many = dict(fetch_many(client, keys, start=date(2019, 1, 1)))
    assert list(many) == keys
    for key in keys:
        try:
            alone = fetch(client, key, start=date(2019, 1, 1))
        except PayloadError as exc:
            assert isinstance(many[key], PayloadError) and str(many[key]) == str(exc), key
            continue
        assert [b.table for b in many[key]] == [b.table for b in alone], key
        for batch, single in zip(many[key], alone, strict=True):
            assert batch.rows.equals(single.rows), (key, batch.table)
            assert batch.rejected == single.rejected, (key, batch.table)
    assert isinstance(many["0001997711"], PayloadError)
    with pytest.raises(EmptyResultError):
        fetch_many(client, ["0000789019"])
