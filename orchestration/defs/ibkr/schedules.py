import dagster as dg

from orchestration.lib.schedules import current_month_after_close


def bars_after_close(job: dg.JobDefinition,
                     partitions: dg.TimeWindowPartitionsDefinition) -> dg.ScheduleDefinition:
    """Load the day's bars at 18:00 New York time, Monday to Friday (the month's partition)."""
    return current_month_after_close("ibkr_after_close", job, partitions, hour=18, minute=0)
