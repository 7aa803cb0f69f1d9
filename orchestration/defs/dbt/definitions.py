"""The dbt folder's definitions; the code location merges them with the other folders."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.dbt.assets import dbt_models
from orchestration.defs.dbt.resources import dbt_resource


def build(settings: Settings) -> dg.Definitions:
    """dbt assets and checks, their job and the `dbt` resource (scheduled in
    `after_close_job`)."""
    marts = dg.define_asset_job("marts_job", selection=dg.AssetSelection.assets(dbt_models))
    return dg.Definitions(
        assets=[dbt_models],
        jobs=[marts],
        resources={"dbt": dbt_resource(settings)},
    )
