import dagster as dg

from factor_mart.settings import Settings
from orchestration.lib.partitions import source_key_partitions
from orchestration.lib.sources import source_keys


def series(settings: Settings) -> dg.StaticPartitionsDefinition:
    """One partition per FRED series id."""
    return source_key_partitions("fred", source_keys("fred", settings))
