import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.edgar.assets import land_edgar
from orchestration.defs.edgar.partitions import companies
from orchestration.defs.edgar.schedules import edgar_daily


def build(settings: Settings) -> dg.Definitions:
    partitions = companies(settings)
    job = dg.define_asset_job("edgar_job", selection=dg.AssetSelection.groups("raw_edgar"))
    return dg.Definitions(assets=[land_edgar(partitions)], jobs=[job],
                          schedules=[edgar_daily(job, partitions)])
