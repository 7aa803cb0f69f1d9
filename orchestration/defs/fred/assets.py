import dagster as dg

from orchestration.lib.loading import raw_source_asset, refresh_job

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


def refresh_fred() -> dg.JobDefinition:
    """The series released since the last refresh, in one run."""
    return refresh_job("fred", TABLES, QUARANTINED)
