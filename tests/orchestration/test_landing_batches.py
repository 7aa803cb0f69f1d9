"""edgar_job lands companies in batches: an unreadable file is named and skipped, the rest
load, and each company's audit row counts its own rows."""

from __future__ import annotations

import shutil

import dagster as dg

from factor_mart.settings import SAMPLE_DIR
from factor_mart.warehouse import connect
from orchestration.definitions import build_definitions
from orchestration.lib import loading
from orchestration.lib.schedules import partition_range_tags

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
BROKEN = "0001318605"  # Tesla's companyfacts, overwritten with bytes that are not gzip


def _run(job: dg.JobDefinition, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    tags = partition_range_tags(job.partitions_def.get_partition_keys())
    return job.execute_in_process(instance=instance, tags=tags, run_config=QUIET)


def test_a_bad_file_is_named_and_skipped_and_batches_count_per_company(
        duckdb_settings, tmp_path, monkeypatch):
    replay = tmp_path / "replay"
    replay.mkdir()
    shutil.copytree(SAMPLE_DIR / "edgar", replay / "edgar")
    for source in ("fred", "ibkr"):  # the code location lists every source's keys
        (replay / source).symlink_to(SAMPLE_DIR / source)
    (replay / "edgar" / "companyfacts" / f"CIK{BROKEN}.json.gz").write_bytes(b"not gzip")
    monkeypatch.setattr(loading, "LANDING_BATCH_ROWS", 20_000)  # several batches
    settings = duckdb_settings.model_copy(update={"replay_dir": replay})
    job = build_definitions(settings).resolve_job_def("edgar_job")

    with dg.DagsterInstance.ephemeral() as instance:
        first = _run(job, instance)
        second = _run(job, instance)
    with connect(settings) as wh:
        audit = wh.query("SELECT load_id, partition_key, rows_inserted FROM audit.loads "
                         "WHERE table_name = 'edgar_facts' ORDER BY partition_key")
        stored = wh.query("SELECT lpad(cast(cik AS VARCHAR), 10, '0') AS partition_key, "
                          "count(*) AS n FROM raw.edgar_facts GROUP BY 1 ORDER BY 1")

    assert first.success and second.success
    facts = first.asset_materializations_for_node("land_edgar")
    failed = next(m.metadata["unreadable_payloads"].value for m in facts
                  if m.asset_key == dg.AssetKey(["raw", "edgar_facts"]))
    assert list(failed) == [BROKEN]
    assert f"CIK{BROKEN}.json.gz" in failed[BROKEN]
    assert BROKEN not in stored["partition_key"].to_list()
    assert stored.height >= 4  # every other company with companyfacts loaded
    first_run = audit.filter(audit["load_id"] == first.run_id)
    with_facts = first_run.filter(first_run["rows_inserted"] > 0)
    assert with_facts.select("partition_key", "rows_inserted").rows() == stored.rows()
    second_run = audit.filter(audit["load_id"] == second.run_id)
    assert second_run.height == first_run.height and second_run["rows_inserted"].sum() == 0
