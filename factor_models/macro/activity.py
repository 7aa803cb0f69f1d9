"""Real activity: labour market, industrial production, GDP, money, recession indicators."""

from __future__ import annotations

import polars as pl

from factor_models.macro.define import MacroPlan, macro_factor

BLS_EMPSIT = "BLS Employment Situation (FRED UNRATE, PAYEMS)"


@macro_factor("unrate_chg_3m", series=("UNRATE",),
              description="Change in the unemployment rate over the last three releases: a "
              "rising rate marks a weakening labour market.",
              formula="UNRATE[k] - UNRATE[k-3] over releases k", unit="percentage points",
              lookback=84, cadence="monthly", reference=BLS_EMPSIT, direction=0)
def unrate_chg_3m(plan: MacroPlan) -> pl.Expr:
    """Three-release change in unemployment."""
    value = pl.col("value")
    return plan.from_prints("UNRATE", "_unrate_chg_3m", value - value.shift(3))


@macro_factor("sahm_rule", series=("UNRATE",),
              description="Sahm recession indicator: the 3-release average unemployment rate "
              "minus its low over the previous 12 releases (>= 0.5 has signalled every "
              "recession since 1970).",
              formula="mean(UNRATE[k-2..k]) - min(mean3[k-12..k-1])", unit="percentage points",
              lookback=336, cadence="monthly",
              reference="Sahm (2019), Direct stimulus payments to individuals, Hamilton Project")
def sahm_rule(plan: MacroPlan) -> pl.Expr:
    """Sahm rule indicator."""
    mean3 = pl.col("value").rolling_mean(3, min_samples=3)
    low = mean3.shift(1).rolling_min(12, min_samples=12)
    return plan.from_prints("UNRATE", "_sahm", mean3 - low)


@macro_factor("payrolls_chg_3m", series=("PAYEMS",),
              description="Average monthly nonfarm payroll gain over the last three releases.",
              formula="(PAYEMS[k] - PAYEMS[k-3]) / 3 over releases k", unit="thousands of jobs",
              lookback=84, cadence="monthly", reference=BLS_EMPSIT)
def payrolls_chg_3m(plan: MacroPlan) -> pl.Expr:
    """Three-release average payroll gain."""
    value = pl.col("value")
    return plan.from_prints("PAYEMS", "_payrolls_chg_3m", (value - value.shift(3)) / 3.0)


@macro_factor("payrolls_surprise_vs_trend", series=("PAYEMS",),
              description="Payrolls surprise: the newest monthly gain minus the average gain of "
              "the 12 releases before it (a trend proxy for the consensus).",
              formula="chg[k] - mean(chg[k-12..k-1]) over releases k", unit="thousands of jobs",
              lookback=294, cadence="monthly",
              reference="Boyd, Hu & Jagannathan (2005), The stock market's reaction to "
              "unemployment news, JF")
def payrolls_surprise_vs_trend(plan: MacroPlan) -> pl.Expr:
    """Payroll gain versus trailing mean."""
    gain = pl.col("change")
    return plan.from_prints("PAYEMS", "_payrolls_surprise",
                            gain - gain.shift(1).rolling_mean(12, min_samples=12))


@macro_factor("indpro_yoy", series=("INDPRO",),
              description="Industrial production growth, year over year (one vintage).",
              formula="INDPRO[obs] / INDPRO[obs - 1 year] - 1", unit="fraction", lookback=273,
              cadence="monthly", reference="Federal Reserve G.17 (FRED INDPRO); Chen, Roll & "
              "Ross (1986), Economic forces and the stock market, JB")
def indpro_yoy(plan: MacroPlan) -> pl.Expr:
    """IP growth y/y."""
    return plan.field("INDPRO", "|yoy")


@macro_factor("claims_4w_chg", series=("ICSA",),
              description="Initial jobless claims: 4-week average versus the 4 weeks before; "
              "the most timely labour-market signal.",
              formula="mean(ICSA[k-3..k]) / mean(ICSA[k-7..k-4]) - 1 over weekly releases",
              unit="fraction", lookback=45, cadence="weekly",
              reference="US Department of Labor weekly claims (FRED ICSA)")
def claims_4w_chg(plan: MacroPlan) -> pl.Expr:
    """4-week claims change."""
    mean4 = pl.col("value").rolling_mean(4, min_samples=4)
    return plan.from_prints("ICSA", "_claims_4w_chg", mean4 / mean4.shift(4) - 1.0)


@macro_factor("gdp_growth_saar", series=("GDPC1",),
              description="Real GDP growth of the newest quarter known, annualised.",
              formula="(GDPC1[q] / GDPC1[q-1])^4 - 1 (one vintage)", unit="fraction",
              lookback=126, cadence="quarterly", reference="BEA NIPA (FRED GDPC1)")
def gdp_growth_saar(plan: MacroPlan) -> pl.Expr:
    """Annualised real GDP growth."""
    return (1.0 + plan.field("GDPC1", "|pct")).pow(4) - 1.0


@macro_factor("m2_yoy", series=("M2SL",),
              description="M2 money stock growth, year over year: broad liquidity.",
              formula="M2SL[obs] / M2SL[obs - 1 year] - 1 (one vintage)", unit="fraction",
              lookback=273, cadence="monthly", reference="Federal Reserve H.6 (FRED M2SL)")
def m2_yoy(plan: MacroPlan) -> pl.Expr:
    """M2 growth y/y."""
    return plan.field("M2SL", "|yoy")


@macro_factor("cfnai_3m", series=("CFNAI",),
              description="Chicago Fed National Activity Index, 3-release average (below -0.7 "
              "signals recession; null without CFNAI).",
              formula="mean(CFNAI[k-2..k])", unit="index (std devs)", lookback=84,
              cadence="monthly", reference="Federal Reserve Bank of Chicago, CFNAI-MA3")
def cfnai_3m(plan: MacroPlan) -> pl.Expr:
    """CFNAI-MA3."""
    return plan.from_prints("CFNAI", "_cfnai_3m", pl.col("value").rolling_mean(3, min_samples=3))


@macro_factor("recession", series=("USREC",),
              description="NBER recession indicator as known on the date: NBER announces "
              "turning points months later, so a month reads 0 until the peak is dated (null "
              "where USREC's vintages are not carried, as in the sample bundle).",
              formula="USREC (newest month known, its vintage)", unit="0/1", lookback=21,
              cadence="monthly", reference="NBER Business Cycle Dating Committee (FRED USREC)")
def recession(plan: MacroPlan) -> pl.Expr:
    """USREC as known."""
    return plan.value("USREC")
