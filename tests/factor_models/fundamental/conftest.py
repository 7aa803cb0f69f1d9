"""Real inputs for the fundamental family: Apple's companyfacts through the real pipeline.

Apple's EDGAR payloads (tests/fixtures/edgar, see its PROVENANCE.md) and the sample AAPL bars
(data/sample/ibkr: synthetic prices with Apple's real 2020 split) are landed into a temporary
DuckDB file and the fundamentals, price and security marts are built with one dbt invocation
per session; the factor inputs are read back with the same SQL the orchestration uses.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner

from factor_mart.settings import PROJECT_ROOT, SAMPLE_DIR, Backend, Settings
from factor_mart.warehouse import connect, ensure_raw_schema, land
from factor_models.fundamental import fundamentals_panel
from factor_models.fundamental.bench import EMPTY_MACRO
from factor_models.inputs import FactorInputs
from ingestion import edgar, ibkr

EDGAR_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "edgar"
COMPANYFACTS = EDGAR_FIXTURES / "companyfacts" / "CIK0000320193.json.gz"
AAPL_TRADES = SAMPLE_DIR / "ibkr" / "bars" / "AAPL.TRADES.json"
APPLE_CIK = 320193
BARS_FROM = date(2019, 1, 2)
SELECTION = ["+marts.fundamentals", "+dim_security", "+fct_prices_daily"]

BARS_SQL = f"""
select symbol, trading_date as date, adjusted_open as open, adjusted_high as high,
       adjusted_low as low, adjusted_close as close, adjusted_volume as volume, raw_close
from marts.fct_prices_daily
where trading_date >= date '{BARS_FROM.isoformat()}'
order by symbol, trading_date
"""


def _land_and_build(settings: Settings, folder: Path) -> None:
    with connect(settings) as warehouse:
        ensure_raw_schema(warehouse)
        land(warehouse, edgar.fetch(edgar.ReplayClient(EDGAR_FIXTURES), APPLE_CIK),
             "test-edgar", "edgar", str(APPLE_CIK))
        land(warehouse, ibkr.fetch(ibkr.ReplayClient(SAMPLE_DIR / "ibkr"), "AAPL"),
             "test-ibkr", "ibkr", "AAPL")
    with pytest.MonkeyPatch.context() as env:
        for name, value in settings.dbt_env().items():
            env.setenv(name, value)
        try:
            result = dbtRunner().invoke([
                "build", "--select", *SELECTION, "--exclude", "test_type:data",
                "--project-dir", str(PROJECT_ROOT / "dbt_project"),
                "--profiles-dir", str(PROJECT_ROOT / "dbt_project"),
                "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
                "--quiet",
            ])
        finally:
            DuckDBConnectionManager.close_all_connections()
    failed = [r.node.name for r in (result.result or []) if r.status in ("error", "fail")]
    assert result.success and not failed, f"dbt build failed: {failed or result.exception}"


@pytest.fixture(scope="session")
def apple_inputs(tmp_path_factory: pytest.TempPathFactory) -> FactorInputs:
    """FactorInputs for AAPL from 2019: marts bars (with raw_close) and the pit panel."""
    folder = tmp_path_factory.mktemp("fundamental")
    settings = Settings(backend=Backend.duckdb, duckdb_path=folder / "warehouse.duckdb")
    _land_and_build(settings, folder)
    with connect(settings) as warehouse:
        bars = warehouse.query(BARS_SQL)
        panel = fundamentals_panel(warehouse)
    return FactorInputs(bars=bars, fundamentals=panel, macro=EMPTY_MACRO,
                        securities=pl.DataFrame({"symbol": ["AAPL"], "cik": [APPLE_CIK],
                                                 "sector": [None]}))


@pytest.fixture(scope="session")
def companyfacts() -> dict:
    with gzip.open(COMPANYFACTS) as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def raw_closes() -> dict[date, float]:
    """AAPL's unadjusted (TRADES) closes straight from the replay file."""
    bars = json.loads(AAPL_TRADES.read_text())
    return {date.fromisoformat(bar["date"]): bar["close"] for bar in bars}
