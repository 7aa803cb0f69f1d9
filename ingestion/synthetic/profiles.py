"""Company profiles: the per-company traits every source draws on (identity, life, policies).

A profile depends only on (seed, company index, window), so universes of different sizes with the
same seed share their first companies and every source sees the same company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from ingestion.synthetic.rng import key_rng
from ingestion.synthetic.sectors import SECTORS, Sector

FIRST_SYNTHETIC_CIK = 9_000_001  # far above real CIKs (~2.0 M in 2026): never clashes with SEC data
TICKER_SPACE = 26**4
_TICKER_STEP = 7919  # prime, coprime with 26**4: index -> ticker is a bijection
_NAME_HEADS = ("Al", "Bel", "Cor", "Dyn", "El", "Fair", "Gran", "Har", "Ion", "Jun", "Kel", "Lum",
               "Mer", "Nor", "Or", "Pax", "Quan", "Ros", "Sol", "Tel", "Ur", "Ver", "Wes", "Zen")
_NAME_TAILS = ("ara", "ex", "ion", "ova", "tek", "co", "ium", "ant", "is", "on", "yx", "ora")
_NAME_KINDS = ("Corp", "Inc.", "Holdings, Inc.", "Group, Inc.", "Technologies Inc.",
               "Industries Inc.", "Brands Inc.", "Systems Corp")
_STATES = ("DE", "DE", "DE", "DE", "NV", "MD", "NY", "CA", "TX", "OH", "PA", "NJ")
FISCAL_YEAR_END_MONTHS = (12, 1, 6, 9)
_FYE_WEIGHTS = (0.72, 0.08, 0.10, 0.10)
REVENUE_TAGS = ("Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax")


@dataclass(frozen=True)
class CompanyProfile:
    index: int
    symbol: str
    cik: int
    name: str
    sector: Sector
    sector_index: int
    sic: str
    exchange: str
    state: str
    fiscal_year_end_month: int
    listed_from: date  # first session (the IPO day, or the window start for names already listed)
    is_ipo: bool
    delisted_on: date | None  # last session, None while listed
    delist_reason: str | None  # "acquired" or "bankrupt"
    start_price: float
    shares_at_listing: float
    beta: float
    sector_loading: float
    idio_vol: float
    alpha: float  # annual drift beyond the factors
    turnover: float  # median daily volume / shares outstanding
    trade_size: float  # median shares per trade
    dividend_yield: float  # 0 for non-payers
    dividend_month: int  # first month (1-3) of the quarterly ex-date cycle
    dividend_day: int
    split_threshold: float | None  # TRADES price that triggers a forward split
    buyback_rate: float  # annual fraction of shares retired
    revenue_tags: str  # "Revenues", "Revenue...Tax", "switch" (2018 adoption) or "both"
    insider_filings_per_year: float
    revenue_growth: float  # annual organic growth of sales
    restatement_rate: float  # chance per 10-K of restating the prior year

    @property
    def cik10(self) -> str:
        return f"{self.cik:010d}"

    @property
    def fiscal_year_end(self) -> str:
        """EDGAR's MMDD form, e.g. '1231' or '0131'."""
        last = month_end(2001, self.fiscal_year_end_month)
        return f"{last:%m%d}"


def ticker_for(index: int) -> str:
    """A four-letter ticker, unique per index."""
    if not 0 <= index < TICKER_SPACE:
        raise ValueError(f"company index {index} outside 0..{TICKER_SPACE - 1}")
    code = (index * _TICKER_STEP + 104_729) % TICKER_SPACE
    letters = []
    for _ in range(4):
        code, rest = divmod(code, 26)
        letters.append(chr(65 + rest))
    return "".join(reversed(letters))


def month_end(year: int, month: int) -> date:
    """The last day of ``month`` in ``year``."""
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def company_profile(seed: int, index: int, start: date, end: date) -> CompanyProfile:
    """The profile of company ``index`` in a universe trading from ``start`` to ``end``."""
    rng = key_rng(seed, "profile", index)
    sector_index = int(rng.choice(len(SECTORS), p=[s.weight for s in SECTORS]))
    sector = SECTORS[sector_index]
    span = (end - start).days
    is_ipo = span > 400 and rng.random() < 0.15
    listed_from = start + timedelta(days=int(rng.integers(60, span - 250))) if is_ipo else start
    delisted_on, delist_reason = None, None
    if (end - listed_from).days > 400 and rng.random() < 0.10:
        delisted_on = listed_from + timedelta(
            days=int(rng.integers(250, (end - listed_from).days - 20)))
        delist_reason = "bankrupt" if rng.random() < 0.3 else "acquired"
    start_price = float(np.clip(np.exp(rng.normal(np.log(45.0), 0.8)), 4.0, 600.0))
    market_cap = float(np.clip(np.exp(rng.normal(np.log(12e9), 1.2)), 6e8, 2.5e12))
    pays = rng.random() < sector.dividend_share
    return CompanyProfile(
        index=index,
        symbol=ticker_for(index),
        cik=FIRST_SYNTHETIC_CIK + index,
        name=f"{rng.choice(_NAME_HEADS)}{rng.choice(_NAME_TAILS)} {rng.choice(_NAME_KINDS)}",
        sector=sector,
        sector_index=sector_index,
        sic=str(rng.choice([sic for sic, _ in sector.sics])),
        exchange="Nasdaq" if rng.random() < sector.nasdaq_share else "NYSE",
        state=str(rng.choice(_STATES)),
        fiscal_year_end_month=int(rng.choice(FISCAL_YEAR_END_MONTHS, p=_FYE_WEIGHTS)),
        listed_from=listed_from,
        is_ipo=is_ipo,
        delisted_on=delisted_on,
        delist_reason=delist_reason,
        start_price=round(start_price, 2),
        shares_at_listing=round(market_cap / start_price, -3),
        beta=float(np.clip(rng.normal(sector.beta, 0.25), 0.2, 2.2)),
        sector_loading=float(np.clip(rng.normal(1.0, 0.2), 0.4, 1.6)),
        idio_vol=float(sector.idio_vol * np.exp(rng.normal(0.0, 0.3))),
        alpha=float(rng.normal(0.0, 0.06)),
        turnover=float(np.exp(rng.normal(np.log(0.007), 0.4))),
        trade_size=float(np.exp(rng.normal(np.log(110.0), 0.3))),
        dividend_yield=float(sector.dividend_yield * np.exp(rng.normal(0, 0.35))) if pays else 0.0,
        dividend_month=int(rng.integers(1, 4)),
        dividend_day=int(rng.integers(5, 26)),
        split_threshold=(max(1.6 * start_price, float(rng.uniform(100.0, 400.0)))
                         if rng.random() < 0.6 else None),
        buyback_rate=float(rng.uniform(0.005, 0.03)) if rng.random() < 0.45 else 0.0,
        revenue_tags=str(rng.choice(("Revenues", REVENUE_TAGS[1], "switch", "both"),
                                    p=(0.35, 0.25, 0.3, 0.1))),
        insider_filings_per_year=float(np.exp(rng.normal(np.log(12.0), 0.7))
                                       * (10.0 if rng.random() < 0.04 else 1.0)),
        revenue_growth=float(rng.normal(0.06, 0.06)),
        restatement_rate=0.10,
    )
