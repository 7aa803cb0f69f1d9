"""How a macro factor is declared: an expression over the wide daily panel, registered in the
catalog. Every input is a value known at that date's close, so a factor only ever looks back."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from factor_models.catalog import Factor, register

# Weekday sessions in a month, a quarter and a half year: lags in trading days.
MONTH, QUARTER, HALF_YEAR, YEAR = 21, 63, 126, 252

# The FRED series the family reads (the sample bundle lacks the copyrighted VIXCLS and BAML
# spreads and USREC; the synthetic bundle has them; factors on a missing series are null).
KNOWN_SERIES = (
    "DGS3MO", "DGS2", "DGS10", "DGS30", "T10YIE", "T5YIE", "FEDFUNDS", "BAMLC0A0CM",
    "BAMLH0A0HYM2", "CPIAUCSL", "CPILFESL", "PCEPILFE", "UNRATE", "PAYEMS", "ICSA", "INDPRO",
    "GDPC1", "M2SL", "ANFCI", "STLFSI4", "VIXCLS", "DTWEXBGS", "USREC", "CFNAI",
)


class MacroPlan:
    """What the declared factors need: series read from the daily panel, and features computed
    on a series' release history (one row per observation, in order) before joining back."""

    def __init__(self) -> None:
        self.series: set[str] = set()
        self.print_features: dict[str, dict[str, pl.Expr]] = {}

    def value(self, series_id: str) -> pl.Expr:
        """The series' value known on the date."""
        self._check(series_id)
        return pl.col(series_id)

    def field(self, series_id: str, suffix: str) -> pl.Expr:
        """A field of the known vintage: "|chg", "|pct", "|yoy" or "|obs"."""
        self._check(series_id)
        return pl.col(series_id + suffix)

    def from_prints(self, series_id: str, alias: str, feature: pl.Expr) -> pl.Expr:
        """`feature` evaluated on the series' releases (columns value, change, pct_change, yoy,
        sorted by observation), carried to each date through the newest observation known."""
        self._check(series_id)
        self.print_features.setdefault(series_id, {})[alias] = feature
        return pl.col(alias)

    def _check(self, series_id: str) -> None:
        if series_id not in KNOWN_SERIES:
            raise ValueError(f"macro series {series_id!r} is not in KNOWN_SERIES")
        self.series.add(series_id)


MacroBuilder = Callable[[MacroPlan], pl.Expr]


def days_ago(values: pl.Expr, days: int) -> pl.Expr:
    """The value `days` trading sessions earlier (the daily panel has one row per session)."""
    return values.shift(days)


def macro_factor(
    name: str,
    *,
    series: tuple[str, ...],
    description: str,
    formula: str,
    unit: str,
    lookback: int,
    cadence: str,
    reference: str,
    direction: int = 0,
) -> Callable[[MacroBuilder], MacroBuilder]:
    """Register the decorated builder (MacroPlan -> expression over the daily panel)."""

    def decorate(build: MacroBuilder) -> MacroBuilder:
        register(Factor(
            name=name, family="macro", sources=("fred",), description=description,
            formula=formula, unit=unit, direction=direction, lookback=lookback, cadence=cadence,
            reference=reference, inputs=series, compute=build,
        ))
        return build

    return decorate
