"""Financial conditions, stress, volatility and the dollar."""

from __future__ import annotations

import polars as pl

from factor_models.macro.define import QUARTER, MacroPlan, days_ago, macro_factor


@macro_factor("fin_conditions", series=("ANFCI",),
              description="Chicago Fed adjusted national financial conditions index (positive = "
              "tighter than average given the state of the economy).", formula="ANFCI",
              unit="index (std devs)", lookback=5, cadence="weekly",
              reference="Brave & Butters (2011), Monitoring financial stability, Chicago Fed "
              "Economic Perspectives")
def fin_conditions(plan: MacroPlan) -> pl.Expr:
    """ANFCI."""
    return plan.value("ANFCI")


@macro_factor("stress", series=("STLFSI4",),
              description="St. Louis Fed financial stress index (0 = normal; positive = "
              "stress).", formula="STLFSI4", unit="index", lookback=5, cadence="weekly",
              reference="Kliesen & Smith (2010), Measuring financial market stress, St. Louis "
              "Fed Economic Synopses")
def stress(plan: MacroPlan) -> pl.Expr:
    """STLFSI4."""
    return plan.value("STLFSI4")


@macro_factor("vix_level", series=("VIXCLS",),
              description="Cboe VIX, implied 30-day S&P 500 volatility (null where not "
              "licensed).", formula="VIXCLS", unit="percent (annualised)", lookback=1,
              cadence="daily", reference="Whaley (2000), The investor fear gauge, JPM")
def vix_level(plan: MacroPlan) -> pl.Expr:
    """VIX."""
    return plan.value("VIXCLS")


@macro_factor("dollar_chg_63d", series=("DTWEXBGS",),
              description="Quarterly log change of the broad trade-weighted dollar (H.10).",
              formula="ln(DTWEXBGS[t] / DTWEXBGS[t-63])", unit="log change",
              lookback=QUARTER + 5, cadence="daily",
              reference="Federal Reserve H.10 (FRED DTWEXBGS); Lustig, Roussanov & Verdelhan "
              "(2014), Countercyclical currency risk premia, JFE")
def dollar_chg_63d(plan: MacroPlan) -> pl.Expr:
    """Quarterly dollar change."""
    known = plan.value("DTWEXBGS")
    return (known / days_ago(known, QUARTER)).log()
