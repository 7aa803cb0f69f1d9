import dagster as dg

from orchestration.lib.loading import raw_source_asset, refresh_op

TABLES = ("fred_series", "fred_observations")
QUARANTINED = "fred_observations"


def land_fred(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """Series metadata and all ALFRED vintages of the selected series."""
    return raw_source_asset(
        "fred", TABLES, partitions,
        select=lambda context, sources: (context.partition_keys, None, None),
        description="FRED series and observations with every vintage (available_at: "
                    "realtime_start).",
        quarantined=QUARANTINED)


def refresh_fred() -> dg.OpDefinition:
    """The series released since the last refresh."""
    return refresh_op("fred", TABLES, QUARANTINED)
