"""Valuation: fundamentals per dollar of market value (price on the date, filings known then)."""

from __future__ import annotations

import polars as pl

from factor_models.fundamental.define import fundamental_factor
from factor_models.fundamental.fields import (
    BUYBACKS,
    CAPEX,
    DEPRECIATION,
    DIVIDENDS_PAID,
    ENTERPRISE_VALUE,
    MARKET_CAP,
    NET_INCOME,
    OPERATING_CASH_FLOW,
    OPERATING_INCOME,
    REVENUE,
    TOTAL_EQUITY,
)

MCAP = pl.col(MARKET_CAP)
MARKET_CAP_NOTE = ("market_cap = raw (unadjusted) close on the date x shares_outstanding "
                   "(dei cover-page count, else diluted weighted-average shares)")


@fundamental_factor(
    "log_market_cap",
    description="Size: natural log of market capitalisation in USD.",
    formula=f"ln(market_cap); {MARKET_CAP_NOTE}",
    unit="log USD",
    direction=-1,
    reference="Banz (1981), The relationship between return and market value of common "
    "stocks, Journal of Financial Economics",
    fields=(),
    market_cap=True,
)
def log_market_cap() -> pl.Expr:
    """Log market capitalisation."""
    return MCAP.log()


@fundamental_factor(
    "ep_ttm",
    description="Earnings yield: trailing-twelve-month net income over market capitalisation.",
    formula=f"ep_ttm = net_income_ttm / market_cap; {MARKET_CAP_NOTE}",
    unit="fraction",
    direction=1,
    reference="Basu (1977), Investment performance of common stocks in relation to their "
    "price-earnings ratios, Journal of Finance",
    fields=(NET_INCOME,),
    market_cap=True,
)
def ep_ttm() -> pl.Expr:
    """Earnings-to-price."""
    return NET_INCOME() / MCAP


@fundamental_factor(
    "bm",
    description="Book-to-market: latest book equity over market capitalisation.",
    formula="bm = total_equity / market_cap; null when total_equity <= 0",
    unit="ratio",
    direction=1,
    reference="Fama & French (1992), The cross-section of expected stock returns, Journal of "
    "Finance",
    fields=(TOTAL_EQUITY,),
    market_cap=True,
)
def bm() -> pl.Expr:
    """Book-to-market."""
    return pl.when(TOTAL_EQUITY() > 0).then(TOTAL_EQUITY() / MCAP)


@fundamental_factor(
    "sp_ttm",
    description="Sales yield: trailing-twelve-month revenue over market capitalisation.",
    formula="sp_ttm = revenue_ttm / market_cap",
    unit="ratio",
    direction=1,
    reference="Barbee, Mukherji & Raines (1996), Do sales-price and debt-equity explain stock "
    "returns better than book-market and firm size?, Financial Analysts Journal",
    fields=(REVENUE,),
    market_cap=True,
)
def sp_ttm() -> pl.Expr:
    """Sales-to-price."""
    return REVENUE() / MCAP


@fundamental_factor(
    "cfp_ttm",
    description="Cash-flow yield: trailing-twelve-month operating cash flow over market "
    "capitalisation.",
    formula="cfp_ttm = operating_cash_flow_ttm / market_cap",
    unit="fraction",
    direction=1,
    reference="Lakonishok, Shleifer & Vishny (1994), Contrarian investment, extrapolation, "
    "and risk, Journal of Finance",
    fields=(OPERATING_CASH_FLOW,),
    market_cap=True,
)
def cfp_ttm() -> pl.Expr:
    """Cash-flow-to-price."""
    return OPERATING_CASH_FLOW() / MCAP


@fundamental_factor(
    "fcf_yield_ttm",
    description="Free-cash-flow yield: operating cash flow minus capital expenditure, over "
    "market capitalisation.",
    formula="fcf_yield_ttm = (operating_cash_flow_ttm - capex_ttm) / market_cap",
    unit="fraction",
    direction=1,
    reference="Lakonishok, Shleifer & Vishny (1994), Contrarian investment, extrapolation, "
    "and risk, Journal of Finance",
    fields=(OPERATING_CASH_FLOW, CAPEX),
    market_cap=True,
)
def fcf_yield_ttm() -> pl.Expr:
    """Free-cash-flow-to-price."""
    return (OPERATING_CASH_FLOW() - CAPEX()) / MCAP


@fundamental_factor(
    "ev_ebitda_ttm",
    description="Enterprise multiple: enterprise value over trailing-twelve-month EBITDA "
    "(lower is cheaper).",
    formula="ev_ebitda_ttm = (market_cap + long_term_debt + short_term_borrowings - cash) / "
    "(operating_income_ttm + depreciation_amortization_ttm); an unreported debt line counts "
    "as 0; null when EBITDA <= 0 or EV <= 0",
    unit="ratio",
    direction=-1,
    reference="Loughran & Wellman (2011), New evidence on the relation between the enterprise "
    "multiple and average stock returns, Journal of Financial and Quantitative Analysis",
    fields=(OPERATING_INCOME, DEPRECIATION),
    enterprise_value=True,
)
def ev_ebitda_ttm() -> pl.Expr:
    """Enterprise value to EBITDA."""
    ev, ebitda = pl.col(ENTERPRISE_VALUE), OPERATING_INCOME() + DEPRECIATION()
    return pl.when((ebitda > 0) & (ev > 0)).then(ev / ebitda)


@fundamental_factor(
    "dividend_yield_ttm",
    description="Dividend yield: common dividends paid over the trailing twelve months over "
    "market capitalisation.",
    formula="dividend_yield_ttm = dividends_paid_ttm / market_cap (cash paid, positive)",
    unit="fraction",
    direction=1,
    reference="Litzenberger & Ramaswamy (1979), The effect of personal taxes and dividends on "
    "capital asset prices, Journal of Financial Economics",
    fields=(DIVIDENDS_PAID,),
    market_cap=True,
)
def dividend_yield_ttm() -> pl.Expr:
    """Dividend yield."""
    return DIVIDENDS_PAID() / MCAP


@fundamental_factor(
    "buyback_yield_ttm",
    description="Buyback yield: cash spent repurchasing common stock over the trailing twelve "
    "months over market capitalisation.",
    formula="buyback_yield_ttm = buybacks_ttm / market_cap",
    unit="fraction",
    direction=1,
    reference="Boudoukh, Michaely, Richardson & Roberts (2007), On the importance of measuring "
    "payout yield, Journal of Finance",
    fields=(BUYBACKS,),
    market_cap=True,
)
def buyback_yield_ttm() -> pl.Expr:
    """Buyback yield."""
    return BUYBACKS() / MCAP


@fundamental_factor(
    "shareholder_yield_ttm",
    description="Total payout yield: dividends plus buybacks over the trailing twelve months "
    "over market capitalisation.",
    formula="shareholder_yield_ttm = (dividends_paid_ttm + buybacks_ttm) / market_cap; a payout "
    "the filer does not report counts as 0, but not both",
    unit="fraction",
    direction=1,
    reference="Boudoukh, Michaely, Richardson & Roberts (2007), On the importance of measuring "
    "payout yield, Journal of Finance",
    fields=(DIVIDENDS_PAID, BUYBACKS),
    market_cap=True,
)
def shareholder_yield_ttm() -> pl.Expr:
    """Dividends plus buybacks over market cap."""
    paid = DIVIDENDS_PAID().fill_null(0.0) + BUYBACKS().fill_null(0.0)
    return pl.when(DIVIDENDS_PAID().is_not_null() | BUYBACKS().is_not_null()).then(paid / MCAP)

