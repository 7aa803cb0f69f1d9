"""Polars factor code, the factor catalog, normalisation and evaluation: pure functions."""
