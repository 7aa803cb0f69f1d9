"""Profitability: returns on capital and margins over the trailing twelve months."""

from __future__ import annotations

import polars as pl

from factor_models.fundamental.define import fundamental_factor
from factor_models.fundamental.fields import (
    GROSS_PROFIT,
    NET_INCOME,
    OPERATING_INCOME,
    REVENUE,
    TOTAL_ASSETS,
    TOTAL_EQUITY,
    Field,
    ratio,
)

SOLIMAN = ("Soliman (2008), The use of DuPont analysis by market participants, The Accounting "
           "Review")


@fundamental_factor(
    "roe_ttm",
    description="Return on equity: trailing-twelve-month net income over the latest book "
    "equity.",
    formula="roe_ttm = net_income_ttm / total_equity; null when total_equity <= 0",
    unit="fraction",
    direction=1,
    reference="Hou, Xue & Zhang (2015), Digesting anomalies: an investment approach, Review of "
    "Financial Studies",
    fields=(NET_INCOME, TOTAL_EQUITY),
)
def roe_ttm() -> pl.Expr:
    """Return on equity."""
    return ratio(NET_INCOME(), TOTAL_EQUITY(), positive_denominator=True)


@fundamental_factor(
    "roa_ttm",
    description="Return on assets: trailing-twelve-month net income over the latest total "
    "assets.",
    formula="roa_ttm = net_income_ttm / total_assets; null when total_assets <= 0",
    unit="fraction",
    direction=1,
    reference="Chen, Novy-Marx & Zhang (2011), An alternative three-factor model, working paper "
    "(SSRN 1418117)",
    fields=(NET_INCOME, TOTAL_ASSETS),
)
def roa_ttm() -> pl.Expr:
    """Return on assets."""
    return ratio(NET_INCOME(), TOTAL_ASSETS(), positive_denominator=True)


@fundamental_factor(
    "gross_profitability",
    description="Gross profitability: trailing-twelve-month gross profit over the latest total "
    "assets.",
    formula="gross_profitability = gross_profit_ttm / total_assets; null when total_assets <= 0",
    unit="fraction",
    direction=1,
    reference="Novy-Marx (2013), The other side of value: the gross profitability premium, "
    "Journal of Financial Economics",
    fields=(GROSS_PROFIT, TOTAL_ASSETS),
)
def gross_profitability() -> pl.Expr:
    """Gross profit to assets."""
    return ratio(GROSS_PROFIT(), TOTAL_ASSETS(), positive_denominator=True)


def _define_margin(name: str, numerator: Field, what: str) -> None:
    def build() -> pl.Expr:
        return ratio(numerator(), REVENUE(), positive_denominator=True)

    build.__qualname__ = name
    fundamental_factor(
        name,
        description=f"{what}: trailing-twelve-month {numerator.metric.replace('_', ' ')} over "
        "revenue.",
        formula=f"{name} = {numerator.name} / revenue_ttm; null when revenue_ttm <= 0",
        unit="fraction",
        direction=1,
        reference=SOLIMAN,
        fields=(numerator, REVENUE),
    )(build)


_define_margin("gross_margin_ttm", GROSS_PROFIT, "Gross margin")
_define_margin("operating_margin_ttm", OPERATING_INCOME, "Operating margin")
_define_margin("net_margin_ttm", NET_INCOME, "Net margin")


@fundamental_factor(
    "asset_turnover_ttm",
    description="Asset turnover: trailing-twelve-month revenue over the latest total assets.",
    formula="asset_turnover_ttm = revenue_ttm / total_assets; null when total_assets <= 0",
    unit="ratio",
    direction=1,
    reference=SOLIMAN,
    fields=(REVENUE, TOTAL_ASSETS),
)
def asset_turnover_ttm() -> pl.Expr:
    """Revenue to assets."""
    return ratio(REVENUE(), TOTAL_ASSETS(), positive_denominator=True)
