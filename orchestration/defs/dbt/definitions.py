"""The dbt folder's definitions; the code location merges them with the other folders."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.dbt.assets import dbt_models, incremental_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.lib.partitions import history_months


def build(settings: Settings) -> dg.Definitions:
    """dbt assets and checks, their jobs and the `dbt` resource (scheduled in
    `after_close_job`)."""
    months = history_months(settings)
    incremental = incremental_dbt_models(months)
    marts = dg.define_asset_job("marts_job", selection=dg.AssetSelection.assets(dbt_models))
    marts_daily = dg.define_asset_job("marts_daily_job",
                                      selection=dg.AssetSelection.assets(incremental))
    return dg.Definitions(
        assets=[dbt_models, incremental],
        jobs=[marts, marts_daily],
        resources={"dbt": dbt_resource(settings)},
    )
