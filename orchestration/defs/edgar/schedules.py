import dagster as dg

from orchestration.lib.partitions import MARKET_TIMEZONE
from orchestration.lib.schedules import all_partitions_daily


def edgar_daily(job: dg.JobDefinition, partitions: dg.StaticPartitionsDefinition
                ) -> dg.ScheduleDefinition:
    """Refresh every company each evening (EDGAR accepts filings until 22:00 ET)."""
    return all_partitions_daily("edgar_daily", job, partitions, "30 22 * * *", MARKET_TIMEZONE)
