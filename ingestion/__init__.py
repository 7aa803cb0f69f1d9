"""Source adapters: query params -> extract (live, replay or synthetic) -> transform into raw rows.

No Dagster imports here: adapters are plain functions and clients so that the CLI, Dagster
assets and tests all share one code path.
"""
