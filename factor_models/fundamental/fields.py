"""The fundamental values factors read, each as known on the factor date.

A field is one metric of the point-in-time panel read one way: the latest period of a kind
(``quarter`` rows carry the trailing-twelve-month sum, ``annual`` the fiscal year, ``instant``
the balance sheet or share count) or the period about ``years_back`` years before that latest
period. Every value is the newest version of its period known on the date, so a year-ago
comparison uses the comparative as restated by later filings (e.g. split-adjusted share counts
and EPS), not the value as first reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

DAYS_PER_YEAR = 365.25
# A period ending within this many days of "n years before the latest period" is its match:
# 52/53-week fiscal years end 364 or 371 days apart, calendar years 365 or 366.
MATCH_TOLERANCE_DAYS = 10
# The latest period of a metric ending longer ago than this before the date is stale (a filer
# stopped reporting the concept): its fields are null rather than years old.
MAX_PERIOD_AGE_DAYS = 500


@dataclass(frozen=True)
class Field:
    """One metric read as a column: which panel rows, which value, how many years back."""

    metric: str
    period_kind: str
    ttm: bool = False
    years_back: int = 0

    @property
    def name(self) -> str:
        suffix = {"quarter": "_ttm" if self.ttm else "_q", "annual": "_fy", "instant": ""}
        lag = f"_{self.years_back}y_ago" if self.years_back else ""
        return f"{self.metric}{suffix[self.period_kind]}{lag}"

    @property
    def group(self) -> tuple[str, str]:
        return self.metric, self.period_kind

    def ago(self, years: int) -> Field:
        """The same field for the period `years` years before the latest one."""
        return Field(self.metric, self.period_kind, self.ttm, years)

    def __call__(self) -> pl.Expr:
        return pl.col(self.name)


def _ttm(metric: str) -> Field:
    return Field(metric, "quarter", ttm=True)


def _instant(metric: str) -> Field:
    return Field(metric, "instant")


# Flows: trailing twelve months at the latest quarter.
REVENUE = _ttm("revenue")
GROSS_PROFIT = _ttm("gross_profit")
OPERATING_INCOME = _ttm("operating_income")
NET_INCOME = _ttm("net_income")
OPERATING_CASH_FLOW = _ttm("operating_cash_flow")
CAPEX = _ttm("capex")
DIVIDENDS_PAID = _ttm("dividends_paid")
BUYBACKS = _ttm("buybacks")
INTEREST_EXPENSE = _ttm("interest_expense")
DEPRECIATION = _ttm("depreciation_amortization")
# Stocks: the latest balance sheet (or cover page) instant.
TOTAL_ASSETS = _instant("total_assets")
TOTAL_LIABILITIES = _instant("total_liabilities")
TOTAL_EQUITY = _instant("total_equity")
RETAINED_EARNINGS = _instant("retained_earnings")
LONG_TERM_DEBT = _instant("long_term_debt")
SHORT_TERM_BORROWINGS = _instant("short_term_borrowings")
CASH = _instant("cash")
CURRENT_ASSETS = _instant("current_assets")
CURRENT_LIABILITIES = _instant("current_liabilities")
SHARES_OUTSTANDING = _instant("shares_outstanding")
# Per-share and average-share figures do not add up over quarters: read them as reported.
WEIGHTED_SHARES_DILUTED = Field("weighted_shares_diluted", "quarter")
EPS_DILUTED = Field("eps_diluted", "annual")

# The factor date's unadjusted close (inputs.bars must carry it; see compute.py).
RAW_CLOSE = "raw_close"
MARKET_CAP = "market_cap"
ENTERPRISE_VALUE = "enterprise_value"


def market_cap() -> pl.Expr:
    """Unadjusted close x the latest share count known (cover page, else diluted average)."""
    shares = pl.coalesce(SHARES_OUTSTANDING(), WEIGHTED_SHARES_DILUTED())
    return pl.when(shares > 0).then(pl.col(RAW_CLOSE) * shares)


def total_debt(field_long: Field = LONG_TERM_DEBT, field_short: Field = SHORT_TERM_BORROWINGS
               ) -> pl.Expr:
    """Long-term debt (incl. current maturities) + short-term borrowings; a line the filer
    does not report counts as zero, but not both."""
    long, short = field_long(), field_short()
    return pl.when(long.is_not_null() | short.is_not_null()).then(
        long.fill_null(0.0) + short.fill_null(0.0)
    )


def enterprise_value() -> pl.Expr:
    """Market cap + total debt - cash."""
    return pl.col(MARKET_CAP) + total_debt() - CASH()


def ratio(numerator: pl.Expr, denominator: pl.Expr, *, positive_denominator: bool = False
          ) -> pl.Expr:
    """numerator / denominator; null when the denominator is zero (or not positive)."""
    valid = denominator > 0 if positive_denominator else denominator != 0
    return pl.when(valid).then(numerator / denominator)


def growth(current: pl.Expr, earlier: pl.Expr, years: int = 1) -> pl.Expr:
    """Annualised growth (current / earlier)^(1/years) - 1; null when earlier <= 0 or
    current < 0 with years > 1."""
    if years == 1:
        return ratio(current, earlier, positive_denominator=True) - 1.0
    return pl.when((earlier > 0) & (current >= 0)).then(
        (current / earlier) ** (1.0 / years) - 1.0
    )
