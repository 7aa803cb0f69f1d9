"""The factor families the mart computes, found by import so a family still being built is
skipped with a reason instead of breaking the others."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

# Families with one value per (date, symbol): normalised into fct_factor_values.
STOCK_FAMILIES = ("technical", "fundamental", "cross_source")


@dataclass(frozen=True)
class Family:
    """Where a family's compute function lives and what it takes."""

    name: str
    module: str
    function: str

    def load(self) -> Callable[..., pl.DataFrame]:
        """The compute function; ImportError/AttributeError when the family is not there."""
        return getattr(importlib.import_module(self.module), self.function)


# Computation order: cross-source reads the frames of the families before it.
TECHNICAL = Family("technical", "factor_models.technical", "compute_technical")
FUNDAMENTAL = Family("fundamental", "factor_models.fundamental", "compute_fundamental")
MACRO = Family("macro", "factor_models.macro", "compute_macro")
REGIME = Family("regime", "factor_models.regime", "compute_regime")
CROSS_SOURCE = Family("cross_source", "factor_models.cross_source", "compute_cross_source")
FAMILIES = (TECHNICAL, FUNDAMENTAL, MACRO, REGIME, CROSS_SOURCE)


def available() -> tuple[dict[str, Callable[..., pl.DataFrame]], dict[str, str]]:
    """Compute functions by family name, and the reason each missing family is skipped."""
    found, skipped = {}, {}
    for family in FAMILIES:
        try:
            found[family.name] = family.load()
        except (ImportError, AttributeError) as error:
            skipped[family.name] = f"{family.module}.{family.function} unavailable: {error}"
    return found, skipped

