"""Rates: levels and changes, the curve, real rates and breakevens, policy rate, credit spreads."""

from __future__ import annotations

import polars as pl

from factor_models.macro.define import HALF_YEAR, MONTH, QUARTER, MacroPlan, days_ago, macro_factor

H15 = "Federal Reserve H.15 Selected Interest Rates (FRED)"
ESTRELLA = ("Estrella & Mishkin (1998), Predicting U.S. recessions: financial variables as "
            "leading indicators, REStat")


def _level(name: str, series_id: str, what: str, reference: str = H15) -> None:
    def build(plan: MacroPlan) -> pl.Expr:
        return plan.value(series_id)

    build.__qualname__ = f"level({series_id})"
    macro_factor(name, series=(series_id,), description=f"{what}, as known on the date.",
                 formula=f"{series_id} (value known at the close)", unit="percent", lookback=1,
                 cadence="daily", reference=reference)(build)


def _change(name: str, series_id: str, days: int, what: str) -> None:
    def build(plan: MacroPlan) -> pl.Expr:
        known = plan.value(series_id)
        return known - days_ago(known, days)

    build.__qualname__ = f"change({series_id}, {days})"
    macro_factor(name, series=(series_id,),
                 description=f"Change in {what} over {days} trading days, as known.",
                 formula=f"{series_id}[t] - {series_id}[t-{days}] (known values)",
                 unit="percentage points", lookback=days + 1, cadence="daily",
                 reference=H15)(build)


_level("dgs10_level", "DGS10", "10-year Treasury constant-maturity yield")
_change("dgs10_chg_21d", "DGS10", MONTH, "the 10-year Treasury yield")
_level("dgs2_level", "DGS2", "2-year Treasury yield (the market's policy-path expectation)")
_change("dgs2_chg_21d", "DGS2", MONTH, "the 2-year Treasury yield")


@macro_factor("curve_10y2y", series=("DGS10", "DGS2"),
              description="Treasury curve slope 10y minus 2y; inversions have preceded US "
              "recessions.", formula="DGS10 - DGS2", unit="percentage points", lookback=1,
              cadence="daily", reference=ESTRELLA)
def curve_10y2y(plan: MacroPlan) -> pl.Expr:
    """10y-2y slope."""
    return plan.value("DGS10") - plan.value("DGS2")


@macro_factor("curve_10y2y_chg_63d", series=("DGS10", "DGS2"),
              description="Change of the 10y-2y slope over a quarter: bull/bear steepening or "
              "flattening.", formula="curve_10y2y[t] - curve_10y2y[t-63]",
              unit="percentage points", lookback=QUARTER + 1, cadence="daily",
              reference=ESTRELLA)
def curve_10y2y_chg_63d(plan: MacroPlan) -> pl.Expr:
    """Quarterly change of the 10y-2y slope."""
    slope = plan.value("DGS10") - plan.value("DGS2")
    return slope - days_ago(slope, QUARTER)


@macro_factor("curve_10y3m", series=("DGS10", "DGS3MO"),
              description="Treasury curve slope 10y minus 3m, the spread with the best "
              "recession-forecasting record (null without DGS3MO).",
              formula="DGS10 - DGS3MO", unit="percentage points", lookback=1, cadence="daily",
              reference=ESTRELLA)
def curve_10y3m(plan: MacroPlan) -> pl.Expr:
    """10y-3m slope."""
    return plan.value("DGS10") - plan.value("DGS3MO")


@macro_factor("curve_30y10y", series=("DGS30", "DGS10"),
              description="Long-end slope 30y minus 10y: term premium at the long end.",
              formula="DGS30 - DGS10", unit="percentage points", lookback=1, cadence="daily",
              reference=H15)
def curve_30y10y(plan: MacroPlan) -> pl.Expr:
    """30y-10y slope."""
    return plan.value("DGS30") - plan.value("DGS10")


@macro_factor("real_rate_10y", series=("DGS10", "T10YIE"),
              description="10-year real yield: nominal 10y minus the 10y breakeven inflation "
              "rate; the real cost of long-term capital.", formula="DGS10 - T10YIE",
              unit="percent", lookback=1, cadence="daily",
              reference="Fisher relation; FRED T10YIE (nominal minus TIPS yield)")
def real_rate_10y(plan: MacroPlan) -> pl.Expr:
    """10y real rate."""
    return plan.value("DGS10") - plan.value("T10YIE")


_level("breakeven_10y", "T10YIE", "10-year breakeven inflation (nominal minus TIPS yield)",
       "FRED T10YIE, Federal Reserve Bank of St. Louis")
_level("breakeven_5y", "T5YIE", "5-year breakeven inflation (nominal minus TIPS yield)",
       "FRED T5YIE, Federal Reserve Bank of St. Louis")


@macro_factor("breakeven_5y5y", series=("T10YIE", "T5YIE"),
              description="5-year, 5-year-forward breakeven inflation: long-run inflation "
              "expectations, the Fed's preferred market gauge (compounding ignored).",
              formula="2 * T10YIE - T5YIE", unit="percent", lookback=1, cadence="daily",
              reference="FRED T5YIFR (Federal Reserve Bank of St. Louis)")
def breakeven_5y5y(plan: MacroPlan) -> pl.Expr:
    """5y5y forward breakeven."""
    return 2.0 * plan.value("T10YIE") - plan.value("T5YIE")


_change("breakeven_10y_chg_21d", "T10YIE", MONTH, "10-year breakeven inflation")


@macro_factor("fedfunds_level", series=("FEDFUNDS",),
              description="Effective federal funds rate (monthly average), as known.",
              formula="FEDFUNDS", unit="percent", lookback=21, cadence="monthly",
              reference="Federal Reserve H.15 (FRED FEDFUNDS)")
def fedfunds_level(plan: MacroPlan) -> pl.Expr:
    """Fed funds level."""
    return plan.value("FEDFUNDS")


@macro_factor("fedfunds_chg_126d", series=("FEDFUNDS",),
              description="Six-month change in the fed funds rate, as known: the policy cycle "
              "(tightening when positive); drives the regime's tightening flag.",
              formula="FEDFUNDS[t] - FEDFUNDS[t-126] (known values)", unit="percentage points",
              lookback=HALF_YEAR + 21, cadence="monthly",
              reference="Jensen, Mercer & Johnson (1996), Business conditions, monetary policy "
              "and expected security returns, JFE")
def fedfunds_chg_126d(plan: MacroPlan) -> pl.Expr:
    """Six-month policy-rate change."""
    known = plan.value("FEDFUNDS")
    return known - days_ago(known, HALF_YEAR)


BAML = "ICE BofA option-adjusted spreads (FRED); Gilchrist & Zakrajsek (2012), AER"

_level("credit_spread_ig", "BAMLC0A0CM",
       "US investment-grade corporate option-adjusted spread (null where not licensed)", BAML)
_level("credit_spread_hy", "BAMLH0A0HYM2",
       "US high-yield option-adjusted spread (null where not licensed)", BAML)


@macro_factor("credit_spread_hy_chg_21d", series=("BAMLH0A0HYM2",),
              description="One-month change in the high-yield spread: credit risk appetite "
              "(null where not licensed).", formula="HY_OAS[t] - HY_OAS[t-21]",
              unit="percentage points", lookback=MONTH + 1, cadence="daily", reference=BAML)
def credit_spread_hy_chg_21d(plan: MacroPlan) -> pl.Expr:
    """Monthly HY spread change."""
    known = plan.value("BAMLH0A0HYM2")
    return known - days_ago(known, MONTH)
