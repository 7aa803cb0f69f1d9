import dagster as dg


def bars_after_close(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    """Load the day's bars at 18:00 New York time, Monday to Friday."""
    return dg.build_schedule_from_partitioned_job(
        job, name="ibkr_after_close", hour_of_day=18, minute_of_hour=0)
