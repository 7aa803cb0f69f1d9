"""The factor catalog: one registry that feeds `dim_factor`, the docs page and the API's list."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

FAMILIES = ("technical", "fundamental", "macro", "cross_source")
CADENCES = ("daily", "weekly", "monthly", "quarterly")
DIRECTIONS = {1: "higher is better", -1: "lower is better", 0: "neutral"}

# Modules whose import registers a family's factors; extend as families are built.
FAMILY_MODULES = {"technical": "factor_models.technical",
                  "fundamental": "factor_models.fundamental",
                  "macro": "factor_models.macro",
                  "cross_source": "factor_models.cross_source"}

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@dataclass(frozen=True)
class Factor:
    """One catalog entry: what the factor is, how to check it, and what computes it."""

    name: str
    family: str
    sources: tuple[str, ...]
    description: str
    formula: str
    unit: str
    direction: int
    lookback: int
    cadence: str
    reference: str
    inputs: tuple[str, ...]
    compute: Callable[..., Any] | str = field(compare=False, repr=False)

    @property
    def compute_path(self) -> str:
        """Where the values come from: `module:function` for Python, else the given name."""
        if isinstance(self.compute, str):
            return self.compute
        return f"{self.compute.__module__}:{self.compute.__qualname__}"

    def validate(self) -> None:
        """Raise ValueError naming the factor and field when an entry is malformed."""
        problems = []
        if not _NAME_PATTERN.match(self.name):
            problems.append("name must be lower snake_case")
        if self.family not in FAMILIES:
            problems.append(f"family must be one of {FAMILIES}")
        if self.cadence not in CADENCES:
            problems.append(f"cadence must be one of {CADENCES}")
        if self.direction not in DIRECTIONS:
            problems.append("direction must be +1, -1 or 0")
        if self.lookback < 0:
            problems.append("lookback must be >= 0")
        if not self.sources or not self.inputs:
            problems.append("sources and inputs must not be empty")
        for text_field in ("description", "formula", "unit", "reference"):
            if not getattr(self, text_field).strip():
                problems.append(f"{text_field} must not be empty")
        if problems:
            raise ValueError(f"factor {self.name!r}: " + "; ".join(problems))


FACTORS: dict[str, Factor] = {}


def register(factor: Factor) -> Factor:
    """Add a factor to the catalog; names are unique."""
    factor.validate()
    if factor.name in FACTORS:
        raise ValueError(f"factor {factor.name!r} is already registered")
    FACTORS[factor.name] = factor
    return factor


def load_all() -> dict[str, Factor]:
    """Import every family module and return the registry in catalog order: by family (as in
    FAMILIES), then in registration order — whatever order the modules were imported in."""
    for module in FAMILY_MODULES.values():
        importlib.import_module(module)
    return {f.name: f for family in FAMILIES for f in FACTORS.values() if f.family == family}


def get(name: str) -> Factor:
    """The factor called `name`; KeyError lists the known names when it does not exist."""
    load_all()
    try:
        return FACTORS[name]
    except KeyError:
        raise KeyError(f"unknown factor {name!r}; known: {', '.join(sorted(FACTORS))}") from None


def by_family(family: str) -> list[Factor]:
    """Factors of one family, in registration order."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")
    return [f for f in load_all().values() if f.family == family]


DIM_FACTOR_SCHEMA = {
    "factor": pl.String,
    "family": pl.String,
    "sources": pl.String,
    "description": pl.String,
    "formula": pl.String,
    "unit": pl.String,
    "direction": pl.Int8,
    "higher_is_better": pl.Boolean,
    "lookback_days": pl.Int32,
    "cadence": pl.String,
    "reference": pl.String,
    "inputs": pl.String,
    "compute": pl.String,
}


def catalog_frame() -> pl.DataFrame:
    """The catalog as `dim_factor` rows (lists joined with ', ' so every backend can store them)."""
    rows = [
        {
            "factor": f.name,
            "family": f.family,
            "sources": ", ".join(f.sources),
            "description": f.description,
            "formula": f.formula,
            "unit": f.unit,
            "direction": f.direction,
            "higher_is_better": None if f.direction == 0 else f.direction > 0,
            "lookback_days": f.lookback,
            "cadence": f.cadence,
            "reference": f.reference,
            "inputs": ", ".join(f.inputs),
            "compute": f.compute_path,
        }
        for f in load_all().values()
    ]
    return pl.DataFrame(rows, schema=DIM_FACTOR_SCHEMA, orient="row")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalog_markdown() -> str:
    """A Markdown reference page: one section per family, one table row per factor."""
    load_all()
    lines = [
        "# Factor reference",
        "",
        "Generated from `factor_models.catalog`; do not edit by hand.",
        "Direction: +1 higher is better, -1 lower is better, 0 no established sign.",
        "Lookback: trading days before the first value (the row index of the first non-null).",
        "",
    ]
    for family in FAMILIES:
        factors = [f for f in FACTORS.values() if f.family == family]
        if not factors:
            continue
        lines += [
            f"## {family.replace('_', '-').capitalize()} ({len(factors)})",
            "",
            "| factor | description | formula | unit | direction | lookback | inputs | reference |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for f in factors:
            cells = [
                f"`{f.name}`",
                f.description,
                f.formula,
                f.unit,
                f"{f.direction:+d}" if f.direction else "0",
                str(f.lookback),
                ", ".join(f.inputs),
                f.reference,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m factor_models.catalog > docs/factors.md
    # Import the package's module: the family modules register into it, not into __main__.
    from factor_models import catalog

    print(catalog.catalog_markdown(), end="")
