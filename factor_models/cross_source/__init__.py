"""Cross-source factors (prices x fundamentals x macro); importing this package registers them."""

import importlib

from factor_models.cross_source.compute import compute_cross_source, macro_conditions, stock_frame

THEMES = ("betas", "interactions")
for _theme in THEMES:
    importlib.import_module(f"factor_models.cross_source.{_theme}")

__all__ = ["THEMES", "compute_cross_source", "macro_conditions", "stock_frame"]
