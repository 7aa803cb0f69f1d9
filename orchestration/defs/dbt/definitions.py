"""The dbt folder's definitions; the code location merges them with the other folders."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.dbt.assets import dbt_models, incremental_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.lib.partitions import MARKET_TIMEZONE, history_months
from orchestration.lib.schedules import current_month_after_close


def build(settings: Settings) -> dg.Definitions:
    """dbt assets and checks, their jobs and schedules, and the `dbt` resource."""
    months = history_months(settings)
    incremental = incremental_dbt_models(months)
    marts = dg.define_asset_job("marts_job", selection=dg.AssetSelection.assets(dbt_models))
    marts_daily = dg.define_asset_job("marts_daily_job",
                                      selection=dg.AssetSelection.assets(incremental))
    return dg.Definitions(
        assets=[dbt_models, incremental],
        jobs=[marts, marts_daily],
        schedules=[
            # After the bars (18:00) and before the incremental marts read the rebuilt tables.
            dg.ScheduleDefinition(name="marts_after_close", job=marts,
                                  cron_schedule="30 18 * * 1-5",
                                  execution_timezone=MARKET_TIMEZONE),
            current_month_after_close("marts_daily_after_close", marts_daily, months,
                                      hour=19, minute=0),
        ],
        resources={"dbt": dbt_resource(settings)},
    )
