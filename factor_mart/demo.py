"""`factor-mart demo`: run every job of the code location over all its partitions, in order."""

from __future__ import annotations

import dagster as dg
from rich.console import Console

from factor_mart.dagster_home import prepare_dagster_home
from factor_mart.settings import Settings

# Sources first, then the models that read them.
JOB_ORDER = ("edgar_job", "fred_job", "ibkr_job", "marts_job",
             "factors_job", "evaluation_job", "publish_job")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_demo(settings: Settings, console: Console, record: bool = False) -> None:
    """Materialize every asset, each job as one run over all of its partitions.

    By default the runs use an in-memory Dagster instance: a single-run backfill writes events
    per partition, and on a disk with slow fsync (this kind of VM: ~50 ms a commit) SQLite is
    slow. ``record`` keeps the runs in $DAGSTER_HOME for the UI instead.
    """
    from orchestration.definitions import build_definitions
    from orchestration.lib.schedules import partition_range_tags

    defs = build_definitions(settings)
    jobs = {job.name: job for job in defs.resolve_all_job_defs()}
    instance = dg.DagsterInstance.get() if record and prepare_dagster_home() else (
        dg.DagsterInstance.ephemeral())
    with instance:
        for name in (n for n in JOB_ORDER if n in jobs):
            job = jobs[name]
            tags = {}
            if job.partitions_def is not None:
                keys = job.partitions_def.get_partition_keys()
                tags = partition_range_tags(keys)
            console.print(f"[bold]{name}[/bold]: "
                          + (f"partitions {keys[0]} .. {keys[-1]}" if tags else "unpartitioned"))
            result = job.execute_in_process(instance=instance, tags=tags, run_config=QUIET)
            if not result.success:
                raise SystemExit(f"{name} failed")
            _report_checks(result, console)


def _report_checks(result: dg.ExecuteInProcessResult, console: Console) -> None:
    """Print asset checks that did not pass (a warning check does not fail the run)."""
    for event in result.get_asset_check_evaluations():
        if not event.passed:
            console.print(f"  [yellow]check {event.check_name} on "
                          f"{event.asset_key.to_user_string()}[/yellow]: {event.metadata}")
