"""Dagster code location for Factor Mart."""
