"""Technical factors from adjusted daily bars; importing this package registers them."""

import importlib

from factor_models.technical.compute import RECURSIVE, compute_technical, to_long, validated_bars
from factor_models.technical.kernels import evaluate

# Registration order is the catalog's (and the docs page's) order.
THEMES = ("returns", "volatility", "oscillators", "volume", "market")
for _theme in THEMES:
    importlib.import_module(f"factor_models.technical.{_theme}")

__all__ = ["RECURSIVE", "THEMES", "compute_technical", "evaluate", "to_long", "validated_bars"]
