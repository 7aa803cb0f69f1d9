from collections.abc import Iterable

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.publish.assets import mart_versions_asset

# Jobs that land raw rows only (the marts are unchanged) or publish themselves.
NOT_TO_PUBLISH = {"edgar_job", "fred_job", "ibkr_job", "sources_refresh_job", "after_close_job"}


def build(settings: Settings, marts: Iterable[dg.AssetKey]) -> dg.Definitions:
    """The publish asset (downstream of ``marts``, the assets writing mart tables), its job,
    and a sensor that runs it after every successful build run."""
    mart_versions = mart_versions_asset(marts)
    job = dg.define_asset_job("publish_job", selection=dg.AssetSelection.assets(mart_versions))

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, request_job=job,
                          name="publish_after_build", minimum_interval_seconds=30)
    def publish_after_build(context: dg.RunStatusSensorContext):
        finished = context.dagster_run.job_name
        if finished == job.name or finished in NOT_TO_PUBLISH:
            return dg.SkipReason(f"{finished} does not change the marts or published them")
        return dg.RunRequest(run_key=f"publish-after-{context.dagster_run.run_id}")

    return dg.Definitions(assets=[mart_versions], jobs=[job], sensors=[publish_after_build])
