"""The fundamentals models are incremental by filer: an incremental run after new facts arrive
gives exactly what a full rebuild gives, and recomputes only the filers that got new facts.

Apple's real companyfacts arrive in two loads: everything available before 2010 (including the
FY2008 10-K), then the rest (including the 10-K/A that restated FY2008 net sales). The IFRS filer
arrives once, in the first load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect, ensure_raw_schema, land
from factor_mart.warehouse.scratch import scratch_database
from ingestion import edgar
from ingestion.batch import Batch
from tests.dbt.dbt_invoke import dbt_build
from tests.postgres import PG_ADMIN_DSN, require_postgres

ROOT = Path(__file__).resolve().parents[2]
EDGAR_FIXTURES = ROOT / "tests" / "fixtures" / "edgar"
APPLE, LPA = 320193, 1997711
SECOND_LOAD_FROM = datetime(2010, 1, 1)
SELECTION = ["+marts.fundamentals", "intermediate.fundamentals"]
# Every table the fundamentals build writes, with its grain (the sort for comparing).
TABLES = {
    "staging.stg_edgar__facts": "fact_key",
    "intermediate.int_fundamentals__facts_mapped": "mapped_fact_key",
    "intermediate.int_fundamentals__reported_versions": "version_key",
    "intermediate.int_fundamentals__quarters_derived": "cik, metric, period_end, known_from",
    "intermediate.int_fundamentals__quarterly_versions": "quarter_version_key",
    "intermediate.int_fundamentals__quarterly_ttm": "cik, metric, period_end, known_from",
    "intermediate.int_fundamentals__metric_coverage": "coverage_key",
    "intermediate.int_fundamentals__unmapped_concepts": "unmapped_concept_key",
    "marts.fct_fundamentals_pit": "fundamentals_pit_key",
    "marts.fct_fundamentals_asof": "fundamentals_asof_key",
}


def _split(batches: list[Batch], second: bool) -> list[Batch]:
    """The facts of one load (before / from SECOND_LOAD_FROM); the other tables in the first."""
    split = []
    for batch in batches:
        if batch.table != "edgar_facts":
            split += [] if second else [batch]
            continue
        late = pl.col("available_at") >= SECOND_LOAD_FROM
        split.append(Batch(batch.table, batch.rows.filter(late if second else ~late)))
    return split


def _dbt(settings: Settings, tmp_path: Path, *extra: str) -> None:
    dbt_build(tmp_path, SELECTION, "--exclude-resource-type", "unit_test", *extra)


def _query(settings: Settings, sql: str) -> pl.DataFrame:
    with connect(settings) as wh:
        return wh.query(sql)


def _tables(settings: Settings) -> dict[str, pl.DataFrame]:
    return {t: _query(settings, f"select * from {t} order by {key}")
            for t, key in TABLES.items()}


def _settings(backend: str, folder: Path, stack: ExitStack) -> Settings:
    if backend == "duckdb":
        return Settings(backend=Backend.duckdb, duckdb_path=folder / "warehouse.duckdb")
    require_postgres()
    dsn = stack.enter_context(scratch_database(PG_ADMIN_DSN, "fm_test"))
    return Settings(backend=Backend.postgres, postgres_dsn=dsn)


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def incremental_then_full(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The tables after load 1 + build + load 2 + incremental build, the filers that incremental
    build recomputed, and the tables after a --full-refresh of the same warehouse."""
    tmp_path = tmp_path_factory.mktemp("fundamentals_incremental")
    client = edgar.ReplayClient(EDGAR_FIXTURES)
    apple = edgar.fetch(client, APPLE)
    with ExitStack() as stack, pytest.MonkeyPatch.context() as monkeypatch:
        settings = _settings(request.param, tmp_path, stack)
        for name, value in settings.dbt_env().items():
            monkeypatch.setenv(name, value)
        with connect(settings) as wh:
            ensure_raw_schema(wh)
            land(wh, _split(apple, second=False), "load-1", "edgar", str(APPLE))
            land(wh, edgar.fetch(client, LPA), "load-1", "edgar", str(LPA))
        _dbt(settings, tmp_path)
        first_build_rows = _query(settings, "select count(*) as n from marts.fct_fundamentals_pit"
                                  ).item()
        with connect(settings) as wh:
            land(wh, _split(apple, second=True), "load-2", "edgar", str(APPLE))
        _dbt(settings, tmp_path)
        refreshed = _query(settings, "select distinct cik, load_id "
                                     "from staging.stg_edgar__filers_to_refresh").rows()
        incremental = _tables(settings)
        _dbt(settings, tmp_path, "--full-refresh")
        full = _tables(settings)
        yield first_build_rows, refreshed, incremental, full


def test_incremental_run_recomputes_only_filers_with_new_facts(incremental_then_full):
    first_build_rows, refreshed, incremental, _ = incremental_then_full
    assert refreshed == [(APPLE, "load-2")]
    assert 0 < first_build_rows < incremental["marts.fct_fundamentals_pit"].height


@pytest.mark.parametrize("table", TABLES)
def test_incremental_run_equals_full_refresh(incremental_then_full, table):
    _, _, incremental, full = incremental_then_full
    assert full[table].height > 0
    assert_frame_equal(incremental[table], full[table])


def test_restatement_in_a_later_load_keeps_both_versions(incremental_then_full):
    _, _, incremental, _ = incremental_then_full
    pit = incremental["marts.fct_fundamentals_pit"]
    fy2008 = pit.filter((pl.col("cik") == APPLE) & (pl.col("metric") == "revenue")
                        & (pl.col("period_kind") == "annual")
                        & (pl.col("period_end") == pl.date(2008, 9, 27))).sort("known_from")
    assert fy2008["metric_value"].to_list() == [32_479e6, 37_491e6]
    assert fy2008["is_first_reported"].to_list() == [True, False]
