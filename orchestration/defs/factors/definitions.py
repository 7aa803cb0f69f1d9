"""The factors folder's definitions: assets, checks and the job."""

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


def build(settings: Settings) -> dg.Definitions:
    """Factor assets over monthly partitions and `factors_job` (scheduled in `after_close_job`)."""
    months = history_months(settings)
    job = dg.define_asset_job("factors_job", selection=dg.AssetSelection.groups(GROUP))
    return dg.Definitions(
        assets=[factor_values_asset(months), macro_factors, dim_factor,
                factor_wide_views],
        asset_checks=FACTOR_CHECKS,
        jobs=[job],
    )
