"""The trading day's run: the day's bars, the marts, the day's factors and a new mart
version, in one run after the close."""

from datetime import date

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.evaluation.assets import GROUP as EVALUATION
from orchestration.defs.factors.assets import VALUES
from orchestration.lib.partitions import history_months
from orchestration.lib.schedules import current_month_after_close

# Everything except the sources on their own timetable (EDGAR's filings sensor and evening
# refresh, FRED's evening refresh: they land before this run or are picked up by the next one)
# and the evaluation (its own nightly job). Unpartitioned assets (the dbt models, the publish)
# run once; the bars and the daily marts for the current month, its factors from the day on.
AFTER_CLOSE_JOB = "after_close_job"
SELECTION = dg.AssetSelection.all() - dg.AssetSelection.groups("raw_edgar", "raw_fred",
                                                                EVALUATION)


def after_close_config(day: date) -> dict:
    """The after-close run's config for ``day``: the month's factors from that day on (see
    `FactorDays`); the month's earlier sessions keep their values."""
    return {"ops": {VALUES.to_python_identifier(): {"config": {"from_day": day.isoformat()}}}}


def build(settings: Settings) -> dg.Definitions:
    """`after_close_job` and its schedule. One run instead of four (bars, marts, daily marts,
    factors, each then published): one process start and one publish a day, and no step waits
    on a clock time chosen for the step before it."""
    months = history_months(settings)
    job = dg.define_asset_job(AFTER_CLOSE_JOB, selection=SELECTION, partitions_def=months)
    return dg.Definitions(
        jobs=[job],
        schedules=[current_month_after_close("after_close", job, months, hour=18, minute=0,
                                             run_config=after_close_config)])
