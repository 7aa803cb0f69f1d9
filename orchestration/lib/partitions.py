"""Partitions shared across folders (bars, the incremental dbt models and the factors use the
same months)."""

from datetime import date

import dagster as dg

from factor_mart.settings import Settings

MARKET_TIMEZONE = "America/New_York"


def history_months(settings: Settings) -> dg.MonthlyPartitionsDefinition:
    """One partition per calendar month of history; the current month's partition exists, and
    the after-close schedules rematerialize it each trading day.

    Months, not days: a single-run backfill writes a planned and a materialization event per
    partition and asset (~1 ms each even in memory), so ten years of daily partitions cost
    Dagster more than the data work itself; 120 months cost nothing.
    """
    first = date.fromisoformat(settings.history_start).replace(day=1)
    return dg.MonthlyPartitionsDefinition(start_date=first.isoformat(),
                                          timezone=MARKET_TIMEZONE, end_offset=1)


def month_key(day: date) -> str:
    """The partition key of the month holding ``day``."""
    return day.replace(day=1).isoformat()


def source_key_partitions(name: str, keys: list[str]) -> dg.StaticPartitionsDefinition:
    """Per-entity partitions (a company, a series) — how those sources load."""
    if not keys:
        raise ValueError(f"no {name} keys configured: set them in the environment or replay dir")
    return dg.StaticPartitionsDefinition(keys)
