"""The Factor Mart code location: each source's definitions merged, resources from settings."""

import dagster as dg

from factor_mart.settings import Settings
from orchestration.defs.daily import definitions as daily
from orchestration.defs.dbt import definitions as dbt
from orchestration.defs.edgar import definitions as edgar
from orchestration.defs.evaluation import definitions as evaluation
from orchestration.defs.factors import definitions as factors
from orchestration.defs.fred import definitions as fred
from orchestration.defs.ibkr import definitions as ibkr
from orchestration.defs.publish import definitions as publish
from orchestration.defs.refresh import definitions as refresh
from orchestration.lib.resources import SourcesResource, WarehouseResource


def build_definitions(settings: Settings) -> dg.Definitions:
    """Everything Dagster shows, for one environment (replay / synthetic / live)."""
    built = dg.Definitions.merge(
        edgar.build(settings),
        fred.build(settings),
        refresh.build(settings),
        ibkr.build(settings),
        dbt.build(settings),
        factors.build(settings),
        evaluation.build(settings),
    )
    # The publish comes after every asset that writes a mart table, whichever folder has it.
    marts = [key for assets in built.assets or () for key in assets.keys
             if key.path[0] == "marts"]
    return dg.Definitions.merge(
        built,
        publish.build(settings, marts),
        daily.build(settings),
        # Steps in the run's own process: the multiprocess default started a process per
        # step, each loading the code location again (~4 s at 1,000 symbols), and the steps
        # writing the warehouse run one at a time anyway (the warehouse_writer pool).
        dg.Definitions(resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "sources": SourcesResource.from_settings(settings),
        }, executor=dg.in_process_executor),
    )


defs = build_definitions(Settings())
