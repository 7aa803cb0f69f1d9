"""Schedules: over entity-partitioned sources, one run covering every partition; after the
close, the day's month."""

from collections.abc import Callable
from datetime import date

import dagster as dg

# Dagster's run tags for a single run over a partition range (as its backfills set them).
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_range_tags(keys: list[str]) -> dict[str, str]:
    """Tags that make one run cover partitions ``keys[0]..keys[-1]`` (a single-run backfill)."""
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


def all_partitions_daily(name: str, job: dg.JobDefinition,
                         partitions: dg.StaticPartitionsDefinition, cron: str,
                         timezone: str) -> dg.ScheduleDefinition:
    @dg.schedule(name=name, job=job, cron_schedule=cron, execution_timezone=timezone)
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        keys = partitions.get_partition_keys()
        return dg.RunRequest(run_key=f"{name}-{context.scheduled_execution_time:%Y-%m-%d}",
                             tags=partition_range_tags(keys))

    return _schedule


def current_month_after_close(name: str, job: dg.JobDefinition,
                              partitions: dg.TimeWindowPartitionsDefinition, hour: int,
                              minute: int, run_config: Callable[[date], dict]
                              ) -> dg.ScheduleDefinition:
    """Monday to Friday at ``hour:minute`` New York time, the month holding that day, with
    ``run_config(day)``: the day's new rows land and what is built from them is recomputed."""

    @dg.schedule(name=name, job=job, cron_schedule=f"{minute} {hour} * * 1-5",
                 execution_timezone=partitions.timezone)
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        when = context.scheduled_execution_time
        return dg.RunRequest(run_key=f"{name}-{when:%Y-%m-%d}",
                             partition_key=partitions.get_partition_key_for_timestamp(
                                 when.timestamp()),
                             run_config=run_config(when.date()))

    return _schedule
