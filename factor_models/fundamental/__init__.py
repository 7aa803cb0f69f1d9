"""Fundamental factors from point-in-time EDGAR filings; importing this package registers them."""

import importlib

from factor_models.fundamental.compute import compute_fundamental
from factor_models.fundamental.panel import FUNDAMENTALS_PANEL_SQL, fundamentals_panel

# Registration order is the catalog's (and the docs page's) order.
THEMES = ("valuation", "profitability", "growth", "quality", "investment")
for _theme in THEMES:
    importlib.import_module(f"factor_models.fundamental.{_theme}")

__all__ = ["FUNDAMENTALS_PANEL_SQL", "THEMES", "compute_fundamental", "fundamentals_panel"]
