"""Compute the macro family: one row per trading date, one column per factor."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from factor_models.catalog import Factor, by_family, get
from factor_models.inputs import FactorInputs
from factor_models.macro.define import MacroPlan
from factor_models.macro.panel import prints, validated_macro, wide_daily


def _selected(factors: Sequence[str] | None) -> list[Factor]:
    if factors is None:
        return by_family("macro")
    chosen = [get(name) for name in factors]
    wrong = [f.name for f in chosen if f.family != "macro"]
    if wrong:
        raise ValueError(f"not macro factors: {wrong}")
    return chosen


def compute_macro_panel(macro: pl.DataFrame, factors: Sequence[str] | None = None
                        ) -> pl.DataFrame:
    """Wide frame (date, one Float64 column per macro factor) from a `FactorInputs.macro` panel
    (see `factor_models.macro.panel`), sorted by date; a factor on a missing series is null."""
    selected = _selected(factors)
    plan = MacroPlan()
    outputs = {f.name: f.compute(plan) for f in selected}
    panel = validated_macro(macro)
    wide = wide_daily(panel, sorted(plan.series))
    for series_id, features in plan.print_features.items():
        released = prints(panel, series_id).with_columns(**features)
        wide = wide.join(released.select("observation_date", *features),
                         left_on=f"{series_id}|obs", right_on="observation_date", how="left")
    return wide.sort("date").select(
        "date", *(e.cast(pl.Float64).alias(name) for name, e in outputs.items()))


def compute_macro(inputs: FactorInputs, factors: Sequence[str] | None = None) -> pl.DataFrame:
    """The macro family from ``inputs.macro``: wide (date, <factor columns>)."""
    return compute_macro_panel(inputs.macro, factors)


def to_long(wide: pl.DataFrame) -> pl.DataFrame:
    """Long (date, factor, value) without nulls: the shape of marts.fct_macro_series."""
    return (wide.unpivot(index="date", variable_name="factor", value_name="value")
            .drop_nulls("value").filter(pl.col("value").is_finite()))
