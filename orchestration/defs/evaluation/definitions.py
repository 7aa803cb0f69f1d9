"""The evaluation folder's definitions: assets, checks, the job and its nightly schedule."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.evaluation.assets import (
    GROUP,
    factor_evaluation,
    fct_factor_redundancy,
    fct_forward_returns,
)
from orchestration.defs.evaluation.checks import EVALUATION_CHECKS
from orchestration.lib.partitions import MARKET_TIMEZONE


def build(settings: Settings) -> dg.Definitions:
    """Evaluation assets; `evaluation_job` refreshes them after the nightly factor build."""
    job = dg.define_asset_job("evaluation_job", selection=dg.AssetSelection.groups(GROUP))
    return dg.Definitions(
        assets=[fct_forward_returns, factor_evaluation, fct_factor_redundancy],
        asset_checks=EVALUATION_CHECKS,
        jobs=[job],
        # After after_close_job (18:00 ET) has written the day's factor values.
        schedules=[dg.ScheduleDefinition(name="evaluation_after_factors", job=job,
                                          cron_schedule="0 20 * * 1-5",
                                          execution_timezone=MARKET_TIMEZONE)],
    )
