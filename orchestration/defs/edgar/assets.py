import dagster as dg

from orchestration.lib.loading import raw_source_asset, refresh_op

TABLES = ("edgar_facts", "edgar_filings", "edgar_companies", "edgar_tickers")
QUARANTINED = "edgar_facts"


def land_edgar(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """Every fact version, filing and company record of the selected companies."""
    return raw_source_asset(
        "edgar", TABLES, partitions,
        select=lambda context, sources: (context.partition_keys, None, None),
        description="SEC EDGAR companyfacts and submissions (available_at: filing day end / "
                    "acceptance time).",
        quarantined=QUARANTINED)


def refresh_edgar() -> dg.OpDefinition:
    """The companies a sensor tick found with new filings."""
    return refresh_op("edgar", TABLES, QUARANTINED)
