"""Investment, payout and share issuance."""

from __future__ import annotations

import polars as pl

from factor_models.fundamental.define import fundamental_factor
from factor_models.fundamental.fields import (
    CAPEX,
    DIVIDENDS_PAID,
    NET_INCOME,
    TOTAL_ASSETS,
    WEIGHTED_SHARES_DILUTED,
    growth,
    ratio,
)


@fundamental_factor(
    "asset_growth_yoy",
    description="Asset growth: total assets against the balance sheet a year earlier.",
    formula="asset_growth_yoy = total_assets / total_assets_1y_ago - 1; null when "
    "total_assets_1y_ago <= 0",
    unit="fraction",
    direction=-1,
    reference="Cooper, Gulen & Schill (2008), Asset growth and the cross-section of stock "
    "returns, Journal of Finance",
    fields=(TOTAL_ASSETS, TOTAL_ASSETS.ago(1)),
)
def asset_growth_yoy() -> pl.Expr:
    """Year-over-year total asset growth."""
    return growth(TOTAL_ASSETS(), TOTAL_ASSETS.ago(1)())


@fundamental_factor(
    "capex_to_assets_ttm",
    description="Capital investment: trailing-twelve-month capital expenditure over total "
    "assets.",
    formula="capex_to_assets_ttm = capex_ttm / total_assets; null when total_assets <= 0",
    unit="fraction",
    direction=-1,
    reference="Titman, Wei & Xie (2004), Capital investments and stock returns, Journal of "
    "Financial and Quantitative Analysis",
    fields=(CAPEX, TOTAL_ASSETS),
)
def capex_to_assets_ttm() -> pl.Expr:
    """Capex over assets."""
    return ratio(CAPEX(), TOTAL_ASSETS(), positive_denominator=True)


@fundamental_factor(
    "payout_ratio_ttm",
    description="Dividend payout ratio: common dividends paid over net income, trailing "
    "twelve months.",
    formula="payout_ratio_ttm = dividends_paid_ttm / net_income_ttm; null when "
    "net_income_ttm <= 0",
    unit="fraction",
    direction=0,
    reference="Fama & French (2001), Disappearing dividends: changing firm characteristics or "
    "lower propensity to pay?, Journal of Financial Economics",
    fields=(DIVIDENDS_PAID, NET_INCOME),
)
def payout_ratio_ttm() -> pl.Expr:
    """Dividends over earnings."""
    return ratio(DIVIDENDS_PAID(), NET_INCOME(), positive_denominator=True)


@fundamental_factor(
    "net_share_issuance_yoy",
    description="Net share issuance: log change in diluted weighted-average shares of the latest "
    "quarter against the same quarter a year earlier, as restated in later filings (so splits "
    "cancel out).",
    formula="net_share_issuance_yoy = ln(weighted_shares_diluted_q / "
    "weighted_shares_diluted_q_1y_ago); null when either <= 0",
    unit="log change",
    direction=-1,
    reference="Pontiff & Woodgate (2008), Share issuance and cross-sectional returns, Journal "
    "of Finance",
    fields=(WEIGHTED_SHARES_DILUTED, WEIGHTED_SHARES_DILUTED.ago(1)),
)
def net_share_issuance_yoy() -> pl.Expr:
    """Log growth of diluted shares."""
    now, then = WEIGHTED_SHARES_DILUTED(), WEIGHTED_SHARES_DILUTED.ago(1)()
    return pl.when((now > 0) & (then > 0)).then((now / then).log())
