"""Growth: revenue and EPS against the same period one and three years earlier, as known now.

The earlier period is the one ending about n x 365.25 days (+-10) before the latest period,
read in its newest version known on the date: a restated comparative replaces the first report.
"""

from __future__ import annotations

import polars as pl

from factor_models.fundamental.define import fundamental_factor
from factor_models.fundamental.fields import EPS_DILUTED, REVENUE, Field, growth

LSV = ("Lakonishok, Shleifer & Vishny (1994), Contrarian investment, extrapolation, and risk, "
       "Journal of Finance")
CKL = ("Chan, Karceski & Lakonishok (2003), The level and persistence of growth rates, Journal "
       "of Finance")
AS_KNOWN = ("the earlier period's newest version known on the date (restatements and split "
            "adjustments included)")


def _define_growth(name: str, field: Field, years: int, label: str, reference: str) -> None:
    earlier = field.ago(years)

    def build() -> pl.Expr:
        return growth(field(), earlier(), years)

    build.__qualname__ = name
    if years == 1:
        formula = f"{name} = {field.name} / {earlier.name} - 1"
        what = "Year-over-year growth"
    else:
        formula = f"{name} = ({field.name} / {earlier.name})^(1/{years}) - 1"
        what = f"{years}-year compound annual growth"
    fundamental_factor(
        name,
        description=f"{what} of {label}, against {AS_KNOWN}.",
        formula=formula + f"; null when {earlier.name} <= 0"
        + (f" or {field.name} < 0" if years > 1 else ""),
        unit="fraction",
        direction=1,
        reference=reference,
        fields=(field, earlier),
    )(build)


_define_growth("revenue_growth_yoy", REVENUE, 1, "trailing-twelve-month revenue", LSV)
_define_growth("revenue_growth_3y", REVENUE, 3, "trailing-twelve-month revenue", LSV)
_define_growth("eps_growth_yoy", EPS_DILUTED, 1, "fiscal-year diluted EPS", CKL)
_define_growth("eps_growth_3y", EPS_DILUTED, 3, "fiscal-year diluted EPS", CKL)
