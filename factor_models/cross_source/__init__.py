"""Cross-source factors (prices x fundamentals x macro); importing this package registers them."""

import importlib

from factor_models.cross_source.compute import (
    HISTORY_COMPONENTS,
    SERIES_HISTORY_ROWS,
    compute_cross_source,
    cross_source_values,
    macro_conditions,
    recent_rows,
    scored_frame,
    stock_frame,
    stock_series,
)

THEMES = ("betas", "interactions")
for _theme in THEMES:
    importlib.import_module(f"factor_models.cross_source.{_theme}")

__all__ = ["HISTORY_COMPONENTS", "SERIES_HISTORY_ROWS", "THEMES", "compute_cross_source",
           "cross_source_values", "macro_conditions", "recent_rows", "scored_frame", "stock_frame",
           "stock_series"]
