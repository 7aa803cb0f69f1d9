"""Inflation: year-over-year and month-over-month prints, and the latest print versus trend."""

from __future__ import annotations

import polars as pl

from factor_models.macro.define import MacroPlan, macro_factor

BLS_CPI = "BLS Consumer Price Index (FRED CPIAUCSL, CPILFESL)"
SURPRISE_PRINTS = 12


def _yoy(name: str, series_id: str, what: str, reference: str) -> None:
    def build(plan: MacroPlan) -> pl.Expr:
        return plan.field(series_id, "|yoy")

    build.__qualname__ = f"yoy({series_id})"
    macro_factor(name, series=(series_id,),
                 description=f"{what}, year over year, from the newest print known and the "
                 "year-ago value as that same vintage states it.",
                 formula=f"{series_id}[obs] / {series_id}[obs - 1 year] - 1 (one vintage)",
                 unit="fraction", lookback=273, cadence="monthly", reference=reference)(build)


_yoy("cpi_yoy", "CPIAUCSL", "Headline CPI inflation", BLS_CPI)
_yoy("core_cpi_yoy", "CPILFESL", "Core CPI (ex food and energy) inflation", BLS_CPI)
_yoy("core_pce_yoy", "PCEPILFE", "Core PCE inflation (the Fed's target measure)",
     "BEA Personal Income and Outlays (FRED PCEPILFE)")


@macro_factor("cpi_mom", series=("CPIAUCSL",),
              description="Headline CPI month over month, from the newest print known.",
              formula="CPIAUCSL[obs] / CPIAUCSL[obs - 1 month] - 1 (one vintage)",
              unit="fraction", lookback=42, cadence="monthly", reference=BLS_CPI)
def cpi_mom(plan: MacroPlan) -> pl.Expr:
    """Monthly CPI change."""
    return plan.field("CPIAUCSL", "|pct")


@macro_factor("cpi_surprise_vs_trend", series=("CPIAUCSL",),
              description="Inflation surprise: the newest CPI month-over-month print minus the "
              "average of the 12 prints before it (as each was first printed); a proxy for the "
              "unexpected part of the release when no survey consensus is available.",
              formula="cpi_mom[k] - mean(cpi_mom[k-12..k-1]) over releases k",
              unit="fraction", lookback=294, cadence="monthly",
              reference="Flannery & Protopapadakis (2002), Macroeconomic factors do influence "
              "aggregate stock returns, RFS")
def cpi_surprise_vs_trend(plan: MacroPlan) -> pl.Expr:
    """CPI m/m versus its trailing-12-print mean."""
    mom = pl.col("pct_change")
    trend = mom.shift(1).rolling_mean(SURPRISE_PRINTS, min_samples=SURPRISE_PRINTS)
    return plan.from_prints("CPIAUCSL", "_cpi_surprise", mom - trend)
