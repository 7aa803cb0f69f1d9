import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.ibkr.assets import land_ibkr
from orchestration.lib.partitions import history_months


def build(settings: Settings) -> dg.Definitions:
    partitions = history_months(settings)
    job = dg.define_asset_job("ibkr_job", selection=dg.AssetSelection.groups("raw_ibkr"))
    return dg.Definitions(assets=[land_ibkr(partitions)],
                          jobs=[job])
