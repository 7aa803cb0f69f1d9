"""Warehouse access shared by the CLI, Dagster assets, dbt wiring and the API."""

from factor_mart.warehouse.connection import Warehouse, connect
from factor_mart.warehouse.landing import LandingReport, land
from factor_mart.warehouse.schema import ensure_raw_schema
from factor_mart.warehouse.tables import replace_partition, replace_table

__all__ = ["LandingReport", "Warehouse", "connect", "ensure_raw_schema", "land",
           "replace_partition", "replace_table"]
