"""`factor-mart demo`: run every job of the code location over all its partitions, in order."""

from __future__ import annotations

import dagster as dg
from rich.console import Console

from factor_mart.dagster_home import prepare_dagster_home
from factor_mart.settings import Settings

# Sources first, then the models that read them.
JOB_ORDER = ("edgar_job", "fred_job", "ibkr_job", "marts_job")


def run_demo(settings: Settings, console: Console) -> None:
    """Materialize every asset, each job as one run over all of its partitions."""
    home = prepare_dagster_home()
    from orchestration.definitions import build_definitions
    from orchestration.lib.schedules import partition_range_tags

    defs = build_definitions(settings)
    jobs = {job.name: job for job in defs.resolve_all_job_defs()}
    with dg.DagsterInstance.get() as instance:
        for name in (n for n in JOB_ORDER if n in jobs):
            job = jobs[name]
            tags = {}
            if job.partitions_def is not None:
                tags = partition_range_tags(job.partitions_def.get_partition_keys())
            console.print(f"[bold]{name}[/bold] ({tags or 'unpartitioned'})")
            result = job.execute_in_process(instance=instance, tags=tags)
            if not result.success:
                raise SystemExit(f"{name} failed; see the run in the Dagster UI ({home})")
    console.print(f"Dagster runs recorded in {home} (open them with `make ui`).")
