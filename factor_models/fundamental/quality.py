"""Quality: accruals, balance-sheet strength, distress scores (Piotroski F, Altman Z)."""

from __future__ import annotations

import polars as pl

from factor_models.fundamental.define import fundamental_factor
from factor_models.fundamental.fields import (
    CURRENT_ASSETS,
    CURRENT_LIABILITIES,
    GROSS_PROFIT,
    INTEREST_EXPENSE,
    LONG_TERM_DEBT,
    MARKET_CAP,
    NET_INCOME,
    OPERATING_CASH_FLOW,
    OPERATING_INCOME,
    RETAINED_EARNINGS,
    REVENUE,
    SHORT_TERM_BORROWINGS,
    TOTAL_ASSETS,
    TOTAL_EQUITY,
    TOTAL_LIABILITIES,
    WEIGHTED_SHARES_DILUTED,
    ratio,
    total_debt,
)

BHANDARI = ("Bhandari (1988), Debt/equity ratio and expected common stock returns: empirical "
            "evidence, Journal of Finance")
TOTAL_DEBT = "(long_term_debt + short_term_borrowings; an unreported line counts as 0)"


def _average(current: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (current + earlier) / 2.0


@fundamental_factor(
    "accruals_ttm",
    description="Total accruals: the part of trailing-twelve-month earnings not backed by "
    "operating cash flow, scaled by average total assets.",
    formula="accruals_ttm = (net_income_ttm - operating_cash_flow_ttm) / "
    "((total_assets + total_assets_1y_ago) / 2); null when that average <= 0",
    unit="fraction",
    direction=-1,
    reference="Sloan (1996), Do stock prices fully reflect information in accruals and cash "
    "flows about future earnings?, The Accounting Review",
    fields=(NET_INCOME, OPERATING_CASH_FLOW, TOTAL_ASSETS, TOTAL_ASSETS.ago(1)),
)
def accruals_ttm() -> pl.Expr:
    """Cash-flow accruals over average assets."""
    return ratio(NET_INCOME() - OPERATING_CASH_FLOW(),
                 _average(TOTAL_ASSETS(), TOTAL_ASSETS.ago(1)()), positive_denominator=True)


def _roa(years_back: int) -> pl.Expr:
    """Net income TTM over total assets at the start of that twelve-month window."""
    return ratio(NET_INCOME.ago(years_back)(), TOTAL_ASSETS.ago(years_back + 1)(),
                 positive_denominator=True)


def _leverage(years_back: int) -> pl.Expr:
    """Long-term debt over average total assets."""
    assets = _average(TOTAL_ASSETS.ago(years_back)(), TOTAL_ASSETS.ago(years_back + 1)())
    return ratio(LONG_TERM_DEBT.ago(years_back)(), assets, positive_denominator=True)


def _current_ratio(years_back: int) -> pl.Expr:
    return ratio(CURRENT_ASSETS.ago(years_back)(), CURRENT_LIABILITIES.ago(years_back)(),
                 positive_denominator=True)


def _gross_margin(years_back: int) -> pl.Expr:
    return ratio(GROSS_PROFIT.ago(years_back)(), REVENUE.ago(years_back)(),
                 positive_denominator=True)


def _turnover(years_back: int) -> pl.Expr:
    return ratio(REVENUE.ago(years_back)(), TOTAL_ASSETS.ago(years_back + 1)(),
                 positive_denominator=True)


def piotroski_signals() -> dict[str, pl.Expr]:
    """The nine binary signals (1.0 / 0.0; null when an input is missing)."""
    signals = {
        "roa_positive": _roa(0) > 0,
        "cfo_positive": OPERATING_CASH_FLOW() > 0,
        "roa_improved": _roa(0) > _roa(1),
        "cfo_exceeds_net_income": OPERATING_CASH_FLOW() > NET_INCOME(),
        "leverage_fell": _leverage(0) < _leverage(1),
        "current_ratio_rose": _current_ratio(0) > _current_ratio(1),
        "no_share_issuance": WEIGHTED_SHARES_DILUTED() <= WEIGHTED_SHARES_DILUTED.ago(1)(),
        "gross_margin_rose": _gross_margin(0) > _gross_margin(1),
        "asset_turnover_rose": _turnover(0) > _turnover(1),
    }
    return {name: signal.cast(pl.Float64) for name, signal in signals.items()}


@fundamental_factor(
    "piotroski_f",
    description="Piotroski F-score: nine binary signals of profitability, funding and "
    "efficiency, on trailing-twelve-month flows against the year before.",
    formula="sum of 1[x] for: ROA = net_income_ttm / total_assets_1y_ago > 0; "
    "operating_cash_flow_ttm > 0; ROA > ROA a year earlier (net_income_ttm_1y_ago / "
    "total_assets_2y_ago); operating_cash_flow_ttm > net_income_ttm; long_term_debt / average "
    "total assets fell; current ratio rose; weighted_shares_diluted_q <= its value a year "
    "earlier (no issuance); gross margin rose; revenue_ttm / total_assets_1y_ago rose. "
    "Null when any signal's inputs are missing",
    unit="score 0-9",
    direction=1,
    reference="Piotroski (2000), Value investing: the use of historical financial statement "
    "information to separate winners from losers, Journal of Accounting Research",
    fields=(NET_INCOME, NET_INCOME.ago(1), OPERATING_CASH_FLOW, TOTAL_ASSETS,
            TOTAL_ASSETS.ago(1), TOTAL_ASSETS.ago(2), LONG_TERM_DEBT, LONG_TERM_DEBT.ago(1),
            CURRENT_ASSETS, CURRENT_ASSETS.ago(1), CURRENT_LIABILITIES,
            CURRENT_LIABILITIES.ago(1), WEIGHTED_SHARES_DILUTED,
            WEIGHTED_SHARES_DILUTED.ago(1), GROSS_PROFIT, GROSS_PROFIT.ago(1), REVENUE,
            REVENUE.ago(1)),
)
def piotroski_f() -> pl.Expr:
    """Sum of the nine Piotroski signals."""
    return pl.sum_horizontal(piotroski_signals().values(), ignore_nulls=False)


@fundamental_factor(
    "altman_z",
    description="Altman Z-score of bankruptcy distance (higher is safer).",
    formula="altman_z = 1.2 (current_assets - current_liabilities) / total_assets + 1.4 "
    "retained_earnings / total_assets + 3.3 operating_income_ttm / total_assets + 0.6 "
    "market_cap / total_liabilities + 1.0 revenue_ttm / total_assets; null when total_assets "
    "or total_liabilities <= 0",
    unit="score",
    direction=1,
    reference="Altman (1968), Financial ratios, discriminant analysis and the prediction of "
    "corporate bankruptcy, Journal of Finance",
    fields=(CURRENT_ASSETS, CURRENT_LIABILITIES, RETAINED_EARNINGS, OPERATING_INCOME,
            TOTAL_LIABILITIES, REVENUE, TOTAL_ASSETS),
    market_cap=True,
)
def altman_z() -> pl.Expr:
    """Altman's 1968 Z."""
    assets = pl.when(TOTAL_ASSETS() > 0).then(TOTAL_ASSETS())
    return (
        1.2 * (CURRENT_ASSETS() - CURRENT_LIABILITIES()) / assets
        + 1.4 * RETAINED_EARNINGS() / assets
        + 3.3 * OPERATING_INCOME() / assets
        + 0.6 * ratio(pl.col(MARKET_CAP), TOTAL_LIABILITIES(), positive_denominator=True)
        + 1.0 * REVENUE() / assets
    )


@fundamental_factor(
    "leverage",
    description="Debt to assets: total debt over total assets.",
    formula=f"leverage = total_debt / total_assets, total_debt = {TOTAL_DEBT}; null when "
    "total_assets <= 0",
    unit="fraction",
    direction=-1,
    reference=BHANDARI,
    fields=(LONG_TERM_DEBT, SHORT_TERM_BORROWINGS, TOTAL_ASSETS),
)
def leverage() -> pl.Expr:
    """Debt over assets."""
    return ratio(total_debt(), TOTAL_ASSETS(), positive_denominator=True)


@fundamental_factor(
    "debt_to_equity",
    description="Debt to book equity.",
    formula=f"debt_to_equity = total_debt / total_equity, total_debt = {TOTAL_DEBT}; null "
    "when total_equity <= 0",
    unit="ratio",
    direction=-1,
    reference=BHANDARI,
    fields=(LONG_TERM_DEBT, SHORT_TERM_BORROWINGS, TOTAL_EQUITY),
)
def debt_to_equity() -> pl.Expr:
    """Debt over book equity."""
    return ratio(total_debt(), TOTAL_EQUITY(), positive_denominator=True)


@fundamental_factor(
    "interest_coverage_ttm",
    description="Interest coverage: trailing-twelve-month operating income over interest "
    "expense.",
    formula="interest_coverage_ttm = operating_income_ttm / interest_expense_ttm; null when "
    "interest_expense_ttm <= 0",
    unit="ratio",
    direction=1,
    reference="Ohlson (1980), Financial ratios and the probabilistic prediction of bankruptcy, "
    "Journal of Accounting Research (coverage and solvency ratios)",
    fields=(OPERATING_INCOME, INTEREST_EXPENSE),
)
def interest_coverage_ttm() -> pl.Expr:
    """Operating income over interest."""
    return ratio(OPERATING_INCOME(), INTEREST_EXPENSE(), positive_denominator=True)


@fundamental_factor(
    "current_ratio",
    description="Current ratio: current assets over current liabilities.",
    formula="current_ratio = current_assets / current_liabilities; null when "
    "current_liabilities <= 0",
    unit="ratio",
    direction=1,
    reference="Piotroski (2000), Journal of Accounting Research (liquidity signal); Ohlson "
    "(1980), Journal of Accounting Research",
    fields=(CURRENT_ASSETS, CURRENT_LIABILITIES),
)
def current_ratio() -> pl.Expr:
    """Current assets over current liabilities."""
    return _current_ratio(0)
