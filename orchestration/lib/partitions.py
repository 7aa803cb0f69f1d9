"""Partitions shared across folders (bars and the incremental dbt models use the same days)."""


import dagster as dg

from factor_mart.settings import Settings

MARKET_TIMEZONE = "America/New_York"


def trading_days(settings: Settings) -> dg.DailyPartitionsDefinition:
    """One partition per calendar day; today's partition exists so it can load after the close."""
    return dg.DailyPartitionsDefinition(start_date=settings.history_start,
                                        timezone=MARKET_TIMEZONE, end_offset=1)


def source_key_partitions(name: str, keys: list[str]) -> dg.StaticPartitionsDefinition:
    """Per-entity partitions (a company, a series) — how those sources load."""
    if not keys:
        raise ValueError(f"no {name} keys configured: set them in the environment or replay dir")
    return dg.StaticPartitionsDefinition(keys)
