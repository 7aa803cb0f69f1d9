import dagster as dg

from factor_mart.settings import Settings
from orchestration.lib.partitions import source_key_partitions
from orchestration.lib.sources import source_keys


def companies(settings: Settings) -> dg.StaticPartitionsDefinition:
    """One partition per CIK (10 digits)."""
    return source_key_partitions("edgar", source_keys("edgar", settings))
