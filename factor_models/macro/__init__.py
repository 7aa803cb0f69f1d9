"""Macro factors from the as-of FRED panel (one value per date); importing registers them."""

import importlib

from factor_models.macro.compute import compute_macro, compute_macro_panel, to_long
from factor_models.macro.panel import MACRO_PANEL_SQL, macro_panel_sql

THEMES = ("rates", "inflation", "activity", "conditions")
for _theme in THEMES:
    importlib.import_module(f"factor_models.macro.{_theme}")

__all__ = ["MACRO_PANEL_SQL", "THEMES", "compute_macro", "compute_macro_panel", "macro_panel_sql",
           "to_long"]
