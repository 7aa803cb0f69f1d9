"""The factors folder's definitions: assets, checks, the job and its daily schedule."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.factors.assets import (
    GROUP,
    dim_factor,
    factor_values_asset,
    factor_wide_views,
    macro_factors,
)
from orchestration.defs.factors.checks import FACTOR_CHECKS
from orchestration.lib.partitions import history_months
from orchestration.lib.schedules import current_month_after_close


def build(settings: Settings) -> dg.Definitions:
    """Factor assets over monthly partitions; `factors_job` runs after the daily marts."""
    months = history_months(settings)
    job = dg.define_asset_job("factors_job", selection=dg.AssetSelection.groups(GROUP))
    return dg.Definitions(
        assets=[factor_values_asset(months), macro_factors, dim_factor,
                factor_wide_views],
        asset_checks=FACTOR_CHECKS,
        jobs=[job],
        # After marts_daily_after_close (19:00) has refreshed the day's prices and macro panel.
        schedules=[current_month_after_close("factors_after_close", job, months,
                                             hour=19, minute=30)],
    )
