"""Helpers shared by the per-source definitions."""
