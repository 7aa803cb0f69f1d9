"""The trading day's run: the day's bars, the marts, the month's factors and a new mart
version, in one run after the close."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.evaluation.assets import GROUP as EVALUATION
from orchestration.lib.partitions import history_months
from orchestration.lib.schedules import current_month_after_close

# Everything except the sources on their own timetable (EDGAR's filings sensor and evening
# refresh, FRED's evening refresh: they land before this run or are picked up by the next one)
# and the evaluation (its own nightly job). Unpartitioned assets (the dbt models, the publish)
# run once; the bars, the daily marts and the factors for the current month.
SELECTION = dg.AssetSelection.all() - dg.AssetSelection.groups("raw_edgar", "raw_fred",
                                                                EVALUATION)


def build(settings: Settings) -> dg.Definitions:
    """`after_close_job` and its schedule. One run instead of four (bars, marts, daily marts,
    factors, each then published): one process start and one publish a day, and no step waits
    on a clock time chosen for the step before it."""
    months = history_months(settings)
    job = dg.define_asset_job("after_close_job", selection=SELECTION, partitions_def=months)
    return dg.Definitions(
        jobs=[job],
        schedules=[current_month_after_close("after_close", job, months, hour=18, minute=0)])
