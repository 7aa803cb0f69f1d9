import dagster as dg

from orchestration.lib.partitions import MARKET_TIMEZONE
from orchestration.lib.schedules import all_partitions_daily


def fred_daily(job: dg.JobDefinition, partitions: dg.StaticPartitionsDefinition
               ) -> dg.ScheduleDefinition:
    """Refresh every series each evening, after the day's releases."""
    return all_partitions_daily("fred_daily", job, partitions, "0 19 * * *", MARKET_TIMEZONE)
