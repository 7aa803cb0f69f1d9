"""The refresh job lands any set of each source's keys in one run, recorded as materializations
of exactly those partitions, with the same rows as the partitioned job and the raw checks."""

from __future__ import annotations

import dagster as dg
import pytest

from factor_mart.warehouse import connect
from orchestration.definitions import build_definitions
from orchestration.lib.schedules import partition_range_tags

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
# Scattered keys: not one contiguous partition range.
KEYS = {"edgar": ["0001835632", "0000320193"], "fred": ["UNRATE", "CPIAUCSL"]}
TABLES = {"edgar": ("edgar_facts", "edgar_filings", "edgar_companies", "edgar_tickers"),
          "fred": ("fred_series", "fred_observations")}


def _rows(settings, source: str) -> dict[str, list[tuple]]:
    with connect(settings) as wh:
        frames = {t: wh.query(f"SELECT * EXCLUDE (load_id) FROM raw.{t}") for t in TABLES[source]}
    return {t: frame.sort(frame.columns).rows() for t, frame in frames.items()}


@pytest.mark.parametrize("source", ["edgar", "fred"])
def test_refresh_lands_scattered_keys_in_one_run(source, duckdb_settings, tmp_path):
    defs = build_definitions(duckdb_settings)
    refresh = defs.resolve_job_def("sources_refresh_job")
    keys = KEYS[source]
    config = QUIET | {"ops": {f"refresh_{source}": {"config": {"keys": keys}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        result = refresh.execute_in_process(instance=instance, run_config=config)
        assert result.success
        for table in TABLES[source]:
            assert instance.get_materialized_partitions(dg.AssetKey(["raw", table])) == set(keys)
        # The other source's op had no keys: it landed nothing.
        (other,) = set(TABLES) - {source}
        for table in TABLES[other]:
            assert not instance.get_materialized_partitions(dg.AssetKey(["raw", table]))
        checks = {(e.asset_key.path[-1], e.check_name, e.passed)
                  for e in result.get_asset_check_evaluations()}
    assert {(t, "no_future_available_at", True) for t in TABLES[source]} <= checks
    refreshed = _rows(duckdb_settings, source)

    # The partitioned job over the same keys, one run per key, into a second warehouse.
    other = duckdb_settings.model_copy(update={"duckdb_path": tmp_path / "other.duckdb"})
    job = build_definitions(other).resolve_job_def(f"{source}_job")
    with dg.DagsterInstance.ephemeral() as instance:
        for key in keys:
            assert job.execute_in_process(instance=instance, run_config=QUIET,
                                          tags=partition_range_tags([key])).success
    assert refreshed == _rows(other, source)
    assert refreshed[TABLES[source][0]]  # the keys had rows


def test_refresh_lands_every_source_in_one_run(duckdb_settings):
    refresh = build_definitions(duckdb_settings).resolve_job_def("sources_refresh_job")
    config = QUIET | {"ops": {f"refresh_{source}": {"config": {"keys": keys}}
                              for source, keys in KEYS.items()}}
    with dg.DagsterInstance.ephemeral() as instance:
        result = refresh.execute_in_process(instance=instance, run_config=config)
        assert result.success
        materialized = {table: instance.get_materialized_partitions(dg.AssetKey(["raw", table]))
                        for tables in TABLES.values() for table in tables}
    assert materialized == {table: set(KEYS[source])
                            for source, tables in TABLES.items() for table in tables}
    for source in KEYS:
        assert _rows(duckdb_settings, source)[TABLES[source][0]]
