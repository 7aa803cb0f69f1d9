"""The dbt folder's definitions; the code location merges them with the other folders."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.dbt.assets import dbt_models, incremental_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.lib.partitions import trading_days


def build(settings: Settings) -> dg.Definitions:
    """dbt assets and checks plus the `dbt` resource (the `warehouse` resource is shared)."""
    return dg.Definitions(assets=[dbt_models, incremental_dbt_models(trading_days(settings))],
                          resources={"dbt": dbt_resource(settings)})
