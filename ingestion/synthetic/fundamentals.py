"""Quarterly fundamentals of one company, loosely tied to its price path, with restatements.

Flows are per fiscal quarter; instants are at quarter ends; everything in the share units of the
day it happened. A restatement is an additive change to some quarters' values that becomes known
on a filing date, so each filing reports what was known when it was filed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ingestion.synthetic.market import MarketFactors
from ingestion.synthetic.prices import PriceHistory
from ingestion.synthetic.profiles import CompanyProfile, month_end

INCOME_RESTATED = ("revenue", "gross_profit", "operating_income", "net_income")
TAX_RATE = 0.21


@dataclass(frozen=True)
class FiscalQuarter:
    start: date
    end: date
    fiscal_year: int
    fiscal_quarter: int


@dataclass(frozen=True)
class Restatement:
    effective: date  # filing date on which the new values are first reported
    deltas: dict[str, dict[int, float]]  # concept -> quarter index -> change


@dataclass
class Fundamentals:
    quarters: list[FiscalQuarter]
    base: dict[str, np.ndarray]  # FLOWS and INSTANTS as first reported
    weighted_shares: np.ndarray  # average shares over each quarter (units of its end date)
    dilution: np.ndarray  # diluted / basic share count
    restatements: list[Restatement] = field(default_factory=list)
    _versions: dict[int, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)

    def as_of(self, day: date) -> dict[str, np.ndarray]:
        """Every concept's values as reported on ``day`` (restatements known by then applied)."""
        known = sum(r.effective <= day for r in self.restatements)
        cached = self._versions.get(known)
        if cached is None:
            cached = {c: v.copy() for c, v in self.base.items()}
            for r in sorted(self.restatements, key=lambda r: r.effective)[:known]:
                for concept, changes in r.deltas.items():
                    for k, delta in changes.items():
                        cached[concept][k] += delta
            self._versions[known] = cached
        return cached


def fiscal_quarters(fye_month: int, first_end: date, last_end: date) -> list[FiscalQuarter]:
    """Fiscal quarters whose end falls in [first_end, last_end]."""
    out, year, month = [], first_end.year, (fye_month % 3) or 3
    end = month_end(year, month)
    while end < first_end:
        month += 3
        end = month_end(year + (month - 1) // 12, (month - 1) % 12 + 1)
    prev = None
    while end <= last_end:
        q = ((end.month - fye_month - 1) % 12) // 3 + 1
        fy = end.year if end.month <= fye_month else end.year + 1
        start = prev + timedelta(days=1) if prev else month_end(
            end.year - (1 if end.month <= 3 else 0), (end.month - 4) % 12 + 1) + timedelta(days=1)
        out.append(FiscalQuarter(start, end, fy, q))
        prev = end
        month += 3
        end = month_end(year + (month - 1) // 12, (month - 1) % 12 + 1)
    return out


def _quarter_rows(dates: np.ndarray, quarters: list[FiscalQuarter]) -> np.ndarray:
    """Quarter index of each session (-1 outside every quarter)."""
    ends = np.array([q.end for q in quarters], dtype="datetime64[D]")
    idx = np.searchsorted(ends, dates)
    first = np.datetime64(quarters[0].start)
    return np.where((idx < len(quarters)) & (dates >= first), idx, -1)


def simulate_fundamentals(profile: CompanyProfile, prices: PriceHistory, factors: MarketFactors,
                          quarters: list[FiscalQuarter], rng: np.random.Generator
                          ) -> Fundamentals:
    """Quarterly statements for ``quarters`` consistent with the company's bars."""
    n, sector = len(quarters), profile.sector
    rows = _quarter_rows(prices.dates, quarters)
    sessions = np.searchsorted(factors.sessions, prices.dates)
    excess = prices.log_returns - profile.beta * factors.market[sessions]
    excess_q = np.bincount(rows[rows >= 0], excess[rows >= 0], minlength=n)
    ends = np.array([q.end for q in quarters], dtype="datetime64[D]")
    recession = factors.in_recession(ends).astype(float)

    listed = np.array([q.end >= profile.listed_from for q in quarters])
    first_shares = prices.shares[0] * (0.85 if profile.is_ipo else 1.0)
    q_shares = np.full(n, first_shares)
    count = np.bincount(rows[rows >= 0], minlength=n)
    summed = np.bincount(rows[rows >= 0], prices.shares[rows >= 0], minlength=n)
    q_shares[count > 0] = summed[count > 0] / count[count > 0]
    last_known = np.maximum.accumulate(np.where(count > 0, np.arange(n), -1))
    tail = (count == 0) & (last_known >= 0)
    q_shares[tail] = q_shares[last_known[tail]]
    price_sum = np.bincount(rows[rows >= 0], prices.close[rows >= 0], minlength=n)
    q_price = np.where(count > 0, price_sum / np.maximum(count, 1), prices.close[0])

    growth = (profile.revenue_growth / 4 + 0.25 * excess_q - 0.03 * recession
              + rng.normal(0, 0.025, n))
    annual_sales0 = profile.start_price * profile.shares_at_listing / sector.price_to_sales
    listing_q = int(np.argmax(listed)) if listed.any() else 0
    log_rev = np.cumsum(growth)
    revenue = annual_sales0 / 4 * np.exp(log_rev - log_rev[listing_q])
    gm = np.clip(sector.gross_margin + rng.normal(0, 0.05) + rng.normal(0, 0.01, n), 0.05, 1.0)
    om = (sector.operating_margin + rng.normal(0, 0.04) + 0.3 * excess_q - 0.02 * recession
          + rng.normal(0, 0.015, n))
    om = np.minimum(om, gm - 0.02)
    gross_profit = revenue * gm
    operating_income = revenue * om

    assets = np.empty(n)
    assets[0] = 4 * revenue[0] * sector.assets_to_sales * np.exp(rng.normal(0, 0.2))
    assets[1:] = assets[0] * (revenue[1:] / revenue[0]) ** 0.7 * np.exp(rng.normal(0, 0.01, n - 1))
    debt_ratio = rng.uniform(0.05, 0.35) * (0.4 if not sector.classified_balance_sheet else 1.0)
    long_term_debt = assets * debt_ratio * np.exp(rng.normal(0, 0.03, n))
    rate = rng.uniform(0.03, 0.07)
    interest = np.concatenate([[long_term_debt[0]], long_term_debt[:-1]]) * rate / 4
    pretax = operating_income - interest
    net_income = pretax - np.maximum(pretax, 0) * TAX_RATE
    capex = revenue * sector.capex_to_sales * np.exp(rng.normal(0, 0.15, n))
    dda = capex * 0.8 * np.exp(rng.normal(0, 0.05, n))
    ocf = net_income + dda + revenue * rng.normal(0, 0.04, n)

    dividends_paid = np.zeros(n)
    for d in prices.dividends:
        i = int(np.searchsorted(prices.dates, d.day))
        if rows[i] >= 0:
            dividends_paid[rows[i]] += d.amount * prices.shares[i]
    before = ~listed & ~np.array([profile.is_ipo] * n)
    dividends_paid[before] = profile.dividend_yield / 4 * profile.start_price * first_shares
    pre_ipo = ~listed & profile.is_ipo
    buybacks = np.where(pre_ipo, 0.0, profile.buyback_rate / 4 * q_shares * q_price)

    equity = np.empty(n)
    equity_ratio = rng.uniform(0.3, 0.6) if sector.classified_balance_sheet else 0.1
    equity[0] = assets[0] * equity_ratio
    for k in range(1, n):
        equity[k] = equity[k - 1] + net_income[k] - dividends_paid[k] - buybacks[k]
    cash = assets * rng.uniform(0.04, 0.15) * np.exp(rng.normal(0, 0.1, n))
    assets_current = cash + assets * rng.uniform(0.15, 0.35)
    liabilities_current = assets * rng.uniform(0.1, 0.25)
    liabilities = np.maximum(assets - equity, (long_term_debt + liabilities_current) * 1.05)
    assets = liabilities + equity

    base = {
        "revenue": revenue, "gross_profit": gross_profit, "operating_income": operating_income,
        "net_income": net_income, "interest_expense": interest, "dda": dda,
        "operating_cash_flow": ocf, "capex": capex, "dividends_paid": dividends_paid,
        "buybacks": buybacks, "assets": assets, "assets_current": assets_current,
        "liabilities": liabilities, "liabilities_current": liabilities_current, "equity": equity,
        "long_term_debt": long_term_debt, "cash": cash,
    }
    dilution = 1.0 + rng.uniform(0.002, 0.03) + np.zeros(n)
    return Fundamentals(quarters, base, q_shares, dilution)


def add_restatements(funds: Fundamentals, annual_filings: list[tuple[int, date]],
                     rate: float, rng: np.random.Generator) -> None:
    """Now and then a 10-K restates the prior fiscal year (income) or prior year end (balance)."""
    for k, filed in annual_filings[1:]:
        if rng.random() >= rate or k < 7:
            continue
        change = rng.choice((-1.0, 1.0)) * rng.uniform(0.01, 0.06)
        if rng.random() < 0.7:
            prior_year = range(k - 7, k - 3)
            deltas = {c: {q: float(funds.base[c][q] * change) for q in prior_year}
                      for c in INCOME_RESTATED}
        else:
            delta = float(funds.base["assets"][k - 4] * change)
            deltas = {"assets": {k - 4: delta}, "liabilities": {k - 4: delta}}
        funds.restatements.append(Restatement(filed, deltas))
