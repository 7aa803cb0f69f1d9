from datetime import timedelta

import dagster as dg

from orchestration.lib.loading import raw_source_asset
from orchestration.lib.resources import SourcesResource

TABLES = ("ib_bars",)


def _window(context: dg.AssetExecutionContext, sources: SourcesResource):
    """Every symbol, for the days of the selected partitions."""
    window = context.partition_time_window
    symbols = sorted(sources.client("ibkr").keys())
    return symbols, window.start.date(), (window.end - timedelta(days=1)).date()


def land_ibkr(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """TRADES and ADJUSTED_LAST daily bars of every symbol for the selected days."""
    return raw_source_asset(
        "ibkr", TABLES, partitions, select=_window,
        description="IB daily bars, TRADES and ADJUSTED_LAST (available_at: session close).",
        quarantined="ib_bars")
