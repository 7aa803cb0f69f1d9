"""EDGAR fundamentals models on real companyfacts (Apple; an IFRS filer), on both backends.

Reference figures are Apple's own, read by hand from tests/fixtures/edgar/companyfacts/
CIK0000320193.json.gz (data.sec.gov companyfacts via dgunning/edgartools recordings, MIT);
accession numbers name the filing each figure comes from.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect, ensure_raw_schema, land
from ingestion import edgar
from tests.dbt.dbt_invoke import dbt_build

ROOT = Path(__file__).resolve().parents[2]
EDGAR_FIXTURES = ROOT / "tests" / "fixtures" / "edgar"
APPLE, LPA = 320193, 1997711  # LPA: Logistic Properties of the Americas, an ifrs-full filer
SELECTION = ["+marts.fundamentals", "intermediate.fundamentals"]


def _build(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Land the two companies' EDGAR payloads and `dbt build` the fundamentals models."""
    with connect(settings) as wh:
        ensure_raw_schema(wh)
        client = edgar.ReplayClient(EDGAR_FIXTURES)
        for cik in (APPLE, LPA):
            land(wh, edgar.fetch(client, cik), f"test-{cik}", "edgar", str(cik))
    for name, value in settings.dbt_env().items():
        monkeypatch.setenv(name, value)
    dbt_build(tmp_path, SELECTION)


def _query(settings: Settings, sql: str) -> pl.DataFrame:
    with connect(settings) as wh:
        return wh.query(sql)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp_path = tmp_path_factory.mktemp("fundamentals")
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _build(settings, tmp_path, monkeypatch)
    return settings


def _apple_revenue_quarters(settings: Settings) -> dict[date, tuple]:
    frame = _query(settings, f"""
        select period_end, metric_value, ttm_value, value_source, known_from
        from marts.fct_fundamentals_pit
        where cik = {APPLE} and metric = 'revenue' and period_kind = 'quarter'
          and is_first_reported""")
    return {row[0]: row[1:] for row in frame.iter_rows()}


def test_apple_quarterly_revenue_matches_its_filings(built: Settings) -> None:
    quarters = _apple_revenue_quarters(built)
    # Reported three-month values (10-Qs 0000320193-22-000059, -23-000006, -23-000064,
    # -23-000077, -24-000006).
    assert quarters[date(2022, 3, 26)][:2] == (97_278e6, 386_017e6)
    assert quarters[date(2022, 12, 31)][0] == 117_154e6
    assert quarters[date(2023, 4, 1)][0] == 94_836e6
    assert quarters[date(2023, 7, 1)][0] == 81_797e6
    assert quarters[date(2023, 7, 1)][2] == "reported"
    # Q4 FY2023 = FY (10-K 0000320193-23-000106: 383,285) - 9M YTD (10-Q -23-000077: 293,787),
    # usable from Monday 2023-11-06 (filed Friday 2023-11-03).
    assert quarters[date(2023, 9, 30)] == (89_498e6, 383_285e6, "derived", date(2023, 11, 6))
    # Q4 FY2022 = 394,328 - 304,182; Q4 FY2021 = 365,817 - 282,457.
    assert quarters[date(2022, 9, 24)][0] == 90_146e6
    assert quarters[date(2021, 9, 25)][0] == 83_360e6
    # TTM at Q1 FY2024 = 119,575 + 94,836 + 81,797 + 89,498.
    assert quarters[date(2023, 12, 30)][1] == 385_706e6
    # TTM at a fiscal year end equals the 10-K's annual figure.
    assert quarters[date(2022, 9, 24)][1] == 394_328e6


def test_apple_restatement_keeps_both_versions(built: Settings) -> None:
    # FY2008 net sales: 32,479 in the 10-K filed 2009-10-27, restated to 37,491 by the 10-K/A
    # filed 2010-01-25 (the iPhone revenue-recognition change).
    versions = _query(built, f"""
        select metric_value, known_from, known_until, is_first_reported, accession_number
        from marts.fct_fundamentals_pit
        where cik = {APPLE} and metric = 'revenue' and period_kind = 'annual'
          and period_end = date '2008-09-27'
        order by known_from""").rows()
    assert versions == [
        (32_479e6, date(2009, 10, 28), date(2010, 1, 26), True, "0001193125-09-214859"),
        (37_491e6, date(2010, 1, 26), None, False, "0001193125-10-012091"),
    ]
    first = _query(built, f"""
        select metric_value from marts.fct_fundamentals_first_reported
        where cik = {APPLE} and metric = 'revenue' and period_kind = 'annual'
          and period_end = date '2008-09-27'""")
    assert first.item() == 32_479e6


def test_asof_panel_gives_latest_quarter_known_on_a_date(built: Settings) -> None:
    # On 2023-11-03 (10-K filed that day, not yet usable) the latest quarter is Q3 FY2023;
    # from 2023-11-06 it is Q4.
    rows = _query(built, f"""
        select d.as_of, f.period_end, f.ttm_value
        from (select date '2023-11-03' as as_of union all select date '2023-11-06') d
        join marts.fct_fundamentals_asof f
          on f.cik = {APPLE} and f.metric = 'revenue' and f.period_kind = 'quarter'
         and d.as_of >= f.known_from
         and (f.known_until is null or d.as_of < f.known_until)
        order by d.as_of""").rows()
    assert rows == [(date(2023, 11, 3), date(2023, 7, 1), 383_933e6),
                    (date(2023, 11, 6), date(2023, 9, 30), 383_285e6)]


def test_ifrs_filer_maps_or_reports_unmapped(built: Settings) -> None:
    coverage = dict(_query(built, f"""
        select metric, mapping_status from intermediate.int_fundamentals__metric_coverage
        where cik = {LPA}""").rows())
    assert coverage["revenue"] == coverage["total_assets"] == coverage["net_income"] == "mapped"
    # No gross profit line and only dividends to noncontrolling interests in its filings.
    assert coverage["gross_profit"] == coverage["dividends_paid"] == "unmapped"
    # ifrs-full Revenue (priority 1) wins over RevenueFromContractsWithCustomers (4,302,979).
    revenue = _query(built, f"""
        select metric_value, known_from from marts.fct_fundamentals_first_reported
        where cik = {LPA} and metric = 'revenue' and period_end = date '2023-12-31'""")
    assert revenue.rows() == [(39_436_343.0, date(2024, 4, 29))]
    unmapped = _query(built, f"""
        select reason from intermediate.int_fundamentals__unmapped_concepts
        where cik = {LPA} and concept = 'ProceedsFromSalesOfInvestmentProperty' and unit = 'COP'""")
    assert unmapped.item() == "concept_not_in_map"


@pytest.mark.postgres
def test_postgres_builds_identical_marts(built: Settings, postgres_dsn: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pg = Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn)
    _build(pg, tmp_path, monkeypatch)
    for table in ("marts.fct_fundamentals_pit", "marts.fct_fundamentals_asof",
                  "intermediate.int_fundamentals__metric_coverage"):
        frames = [_query(s, f"select * from {table}") for s in (built, pg)]
        duck, post = (f.sort(f.columns[0]).cast({c: pl.String for c in f.columns})
                      for f in frames)
        assert duck.height > 0 and duck.equals(post.select(duck.columns)), table
