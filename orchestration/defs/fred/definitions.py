import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.fred.assets import land_fred
from orchestration.defs.fred.partitions import series
from orchestration.defs.fred.schedules import fred_daily


def build(settings: Settings) -> dg.Definitions:
    partitions = series(settings)
    job = dg.define_asset_job("fred_job", selection=dg.AssetSelection.groups("raw_fred"))
    return dg.Definitions(assets=[land_fred(partitions)], jobs=[job],
                          schedules=[fred_daily(job, partitions)])
