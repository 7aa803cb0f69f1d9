"""The code location loads, and its jobs land the bundled sample idempotently on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from factor_mart.settings import Settings
from factor_mart.warehouse import connect
from ingestion.raw_schema import RAW_TABLES
from orchestration.definitions import build_definitions
from orchestration.defs.daily.definitions import after_close_config
from orchestration.lib.schedules import partition_range_tags

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
SOURCE_JOBS = ("edgar_job", "fred_job", "ibkr_job")


def test_dagster_definitions_validate(tmp_path):
    env = os.environ | {"DAGSTER_HOME": str(tmp_path), "FACTOR_MART_DUCKDB_PATH":
                        str(tmp_path / "w.duckdb")}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate",
                           "-m", "orchestration.definitions"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_raw_table_is_an_asset_with_checks():
    defs = build_definitions(Settings())
    graph = defs.resolve_asset_graph()
    raw_keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "raw"}
    assert raw_keys == {dg.AssetKey(["raw", t]) for t in RAW_TABLES if t != "quarantine"}
    checks = {(c.asset_key.path[1], c.name) for c in graph.asset_check_keys}
    for table in raw_keys:
        assert (table.path[1], "no_future_available_at") in checks
        assert (table.path[1], "has_rows") in checks
    schedules = {s.name for s in defs.schedules}
    assert {"after_close", "fred_daily", "edgar_daily", "evaluation_after_factors"} == schedules
    assert {s.name for s in defs.sensors} >= {"source_updates"}


def _run_sources(settings: Settings) -> dict[str, list[tuple]]:
    defs = build_definitions(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        for name in SOURCE_JOBS:
            job = defs.resolve_job_def(name)
            tags = partition_range_tags(job.partitions_def.get_partition_keys())
            result = job.execute_in_process(instance=instance, tags=tags, run_config=QUIET)
            assert result.success, name
            # One check step per source evaluates every raw table's checks.
            evaluated = {(e.asset_key.path[-1], e.check_name)
                         for e in result.get_asset_check_evaluations()}
            tables = {key.path[-1] for key in job.asset_layer.executable_asset_keys}
            assert {(t, c) for t in tables for c in ("has_rows", "no_future_available_at")
                    } <= evaluated, name
            # Only the optional ticker map may be empty without failing the run's checks.
            severities = {e.asset_key.path[-1]: e.severity.value
                          for e in result.get_asset_check_evaluations()
                          if e.check_name == "has_rows"}
            assert {t: s for t, s in severities.items() if s == "WARN"} == (
                {"edgar_tickers": "WARN"} if "edgar_tickers" in tables else {}), name
    with connect(settings) as wh:
        return {t: wh.query(f"SELECT * FROM raw.{t}").sort(wh.query(
            f"SELECT * FROM raw.{t}").columns).rows() for t in RAW_TABLES}


def test_sample_lands_twice_with_identical_contents(backend_settings):
    # A short daily-partition window keeps the run small; EDGAR and FRED load in full.
    settings = backend_settings.model_copy(update={"history_start": "2025-10-01"})
    first = _run_sources(settings)
    second = _run_sources(settings)
    assert first == second
    counts = {t: len(rows) for t, rows in first.items()}
    assert counts["fred_observations"] == 56_560 and counts["fred_series"] == 20
    assert counts["edgar_facts"] == 79_605 and counts["edgar_companies"] == 5
    # 8 sample symbols x 2 kinds over the trading days from 2025-10-01 to 2025-12-31
    assert counts["ib_bars"] == 8 * 2 * 64
    assert counts["quarantine"] == 4  # the paging files the recording lacks (AAPL, MSFT x2, NVDA)


def _ticks(sensor, resources, cursor=None):
    """Evaluate ``sensor`` once: its run requests and the cursor it leaves."""
    with dg.build_sensor_context(resources=resources, cursor=cursor) as context:
        return list(sensor(context)), context.cursor


def test_source_updates_sensor_requests_every_changed_key_in_one_run():
    defs = build_definitions(Settings())
    sensor = next(s for s in defs.sensors if s.name == "source_updates")
    first, cursor = _ticks(sensor, defs.resources)
    second, _ = _ticks(sensor, defs.resources, cursor)
    # Every company that filed and every series, in one run, however scattered the keys.
    assert sensor.job_name == "sources_refresh_job" and len(first) == 1
    ops = first[0].run_config["ops"]
    # Companies with submissions in the sample: AAPL, MSFT, NVDA, TSLA, MRVL.
    assert sorted(ops["refresh_edgar"]["config"]["keys"]) == [
        "0000320193", "0000789019", "0001045810", "0001318605", "0001835632"]
    assert sorted(ops["refresh_fred"]["config"]["keys"]) == sorted(
        defs.resolve_job_def("fred_job").partitions_def.get_partition_keys())
    assert second == []

    # A series revised since: only it is asked for, under a new run key.
    seen = json.loads(cursor)
    seen["fred"]["UNRATE"] = "2025-01-01 00:00:00+00"
    (third,), _ = _ticks(sensor, defs.resources, json.dumps(seen))
    assert third.run_config["ops"] == {"refresh_fred": {"config": {"keys": ["UNRATE"]}}}
    assert third.run_key != first[0].run_key


def test_source_updates_sensor_polls_the_other_sources_when_one_fails(tmp_path):
    settings = Settings(replay_dir=tmp_path / "replay")
    (tmp_path / "replay").symlink_to(Settings().replay_dir)
    defs = build_definitions(settings)
    sensor = next(s for s in defs.sensors if s.name == "source_updates")
    (tmp_path / "replay").unlink()  # both sources unreadable now...
    (tmp_path / "replay" / "fred").mkdir(parents=True)
    (tmp_path / "replay" / "edgar").symlink_to(Settings().replay_dir / "edgar")  # ...but EDGAR
    requests, cursor = _ticks(sensor, defs.resources)
    assert list(requests[0].run_config["ops"]) == ["refresh_edgar"]
    assert set(json.loads(cursor)) == {"edgar"}  # FRED's keys stay unseen: asked again


@pytest.mark.parametrize("name", ["edgar_daily", "fred_daily"])
def test_entity_schedules_cover_every_partition_in_one_run(name):
    defs = build_definitions(Settings())
    schedule = next(s for s in defs.schedules if s.name == name)
    when = datetime(2026, 11, 20, 22, 30, tzinfo=ZoneInfo("America/New_York"))
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    keys = defs.resolve_job_def(schedule.job_name).partitions_def.get_partition_keys()
    assert partition_range_tags(keys).items() <= request.tags.items()


@pytest.mark.parametrize(("day", "month"), [(date(2026, 11, 20), "2026-11-01"),
                                            (date(2026, 12, 1), "2026-12-01")])
def test_after_close_schedule_rematerializes_the_current_month(day, month):
    defs = build_definitions(Settings())
    schedule = next(s for s in defs.schedules if s.name == "after_close")
    assert schedule.cron_schedule.endswith("* * 1-5")  # trading weekdays
    when = datetime.combine(day, time(20, 0), tzinfo=ZoneInfo("America/New_York"))
    with dg.build_schedule_context(scheduled_execution_time=when,
                                   repository_def=defs.get_repository_def()) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == month
    # The month's factors from the day on (the earlier sessions' values are final).
    assert request.run_config == after_close_config(day)
    assert request.run_config["ops"]["marts__fct_factor_values"]["config"] == {
        "from_day": day.isoformat()}


def test_after_close_job_runs_the_day_from_bars_to_a_new_version():
    defs = build_definitions(Settings())
    job = defs.resolve_job_def("after_close_job")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"raw/ib_bars", "marts/fct_prices_daily", "marts/fct_fundamentals_asof",
            "marts/fct_factor_values", "marts/dim_factor", "marts/mart_versions"} <= keys
    # Sources on their own timetable and the evaluation are not part of it.
    assert not {k for k in keys if k.startswith(("raw/edgar", "raw/fred"))}
    assert not keys & {"marts/fct_factor_ic", "marts/fct_factor_eval", "marts/fct_forward_returns"}


def test_every_job_runs_its_steps_in_the_run_process():
    # A process per step would load the code location again for each (seconds a step).
    defs = build_definitions(Settings())
    executors = {job.name: job.executor_def.name for job in defs.resolve_all_job_defs()}
    assert set(executors.values()) == {"in_process"}, executors
