"""Dagster's own storage: SQLite by default, PostgreSQL when FACTOR_MART_DAGSTER_POSTGRES_DSN is
set (dagster.postgres.yaml); a run records its events in either."""

import dagster as dg
import pytest

from factor_mart.dagster_home import prepare_dagster_home
from factor_mart.warehouse.scratch import scratch_database
from tests.postgres import PG_ADMIN_DSN, require_postgres


@dg.op
def _land(context: dg.OpExecutionContext) -> None:
    for key in ("0000320193", "0000789019"):
        context.log_event(dg.AssetMaterialization(["raw", "edgar_facts"], partition=key))


@dg.job
def _landing_job() -> None:
    _land()


def _run_and_read(storage: str) -> None:
    with dg.DagsterInstance.get() as instance:
        assert type(instance.event_log_storage).__name__ == storage
        result = _landing_job.execute_in_process(instance=instance)
        assert result.success
        records = instance.fetch_materializations(dg.AssetKey(["raw", "edgar_facts"]), limit=10)
        assert sorted(r.partition_key for r in records.records) == ["0000320193", "0000789019"]


def test_sqlite_storage_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("FACTOR_MART_DAGSTER_POSTGRES_DSN", raising=False)
    prepare_dagster_home()
    _run_and_read("SqliteEventLogStorage")


def test_postgres_storage(tmp_path, monkeypatch):
    # SQLAlchemy 2.1 maps postgresql:// URLs to psycopg 3, whose server-side parameters break
    # dagster-postgres' NOTIFY of every event: the run failed (hence sqlalchemy < 2.1).
    require_postgres()
    with scratch_database(PG_ADMIN_DSN, "fm_test_dagster") as dsn:
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
        monkeypatch.setenv("FACTOR_MART_DAGSTER_POSTGRES_DSN", dsn)
        prepare_dagster_home()
        _run_and_read("PostgresEventLogStorage")


@pytest.fixture(autouse=True)
def _restore_dagster_home(monkeypatch):
    """prepare_dagster_home exports DAGSTER_HOME; monkeypatch puts the old value back."""
    monkeypatch.setenv("DAGSTER_HOME", "")
