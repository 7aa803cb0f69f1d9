"""EDGAR payloads of one synthetic company: submissions pages and companyfacts.

Filings follow real practice: a 10-Q for fiscal Q1-Q3 25-45 days after quarter end, a 10-K (no Q4
filing) 45-75 days after year end; income statement tags for the quarter and year-to-date,
cash-flow tags year-to-date only; balance sheet instants at the period end and the prior year
end; prior-period comparatives repeated under the later filing's fy/fp; EPS and share counts of
earlier periods restated for later splits; some 10-Ks restate the prior year.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from operator import itemgetter
from zoneinfo import ZoneInfo

import numpy as np

from ingestion.synthetic.fundamentals import Fundamentals
from ingestion.synthetic.prices import PriceHistory
from ingestion.synthetic.profiles import REVENUE_TAGS, CompanyProfile
from ingestion.synthetic.sectors import SIC_DESCRIPTIONS

TEN_Q_LAG = (25, 45)  # days from quarter end to filing
TEN_K_LAG = (45, 75)
RECENT_MIN = 1000  # the submissions page keeps at least this many filings (and a full year)
PAGE_SIZE = 2000
REVENUE_SWITCH = date(2018, 7, 1)  # ASC 606 adoption: "switch" filers change tag from here
INLINE_XBRL_FROM = date(2019, 6, 15)
_NEW_YORK = ZoneInfo("America/New_York")

# tag -> (label, unit, kind, fundamentals key); kind: income (quarter + YTD), cash (YTD only),
# instant (period end + prior year end), eps (per share over the income periods)
CONCEPTS: dict[str, tuple[str, str, str, str]] = {
    "GrossProfit": ("Gross Profit", "USD", "income", "gross_profit"),
    "OperatingIncomeLoss": ("Operating Income (Loss)", "USD", "income", "operating_income"),
    "NetIncomeLoss": ("Net Income (Loss) Attributable to Parent", "USD", "income", "net_income"),
    "InterestExpense": ("Interest Expense", "USD", "income", "interest_expense"),
    "EarningsPerShareBasic": ("Earnings Per Share, Basic", "USD/shares", "eps", "basic"),
    "EarningsPerShareDiluted": ("Earnings Per Share, Diluted", "USD/shares", "eps", "diluted"),
    "NetCashProvidedByUsedInOperatingActivities": (
        "Net Cash Provided by (Used in) Operating Activities", "USD", "cash",
        "operating_cash_flow"),
    "PaymentsToAcquirePropertyPlantAndEquipment": (
        "Payments to Acquire Property, Plant, and Equipment", "USD", "cash", "capex"),
    "DepreciationDepletionAndAmortization": (
        "Depreciation, Depletion and Amortization", "USD", "cash", "dda"),
    "PaymentsOfDividends": ("Payments of Dividends", "USD", "cash", "dividends_paid"),
    "PaymentsForRepurchaseOfCommonStock": (
        "Payments for Repurchase of Common Stock", "USD", "cash", "buybacks"),
    "Assets": ("Assets", "USD", "instant", "assets"),
    "AssetsCurrent": ("Assets, Current", "USD", "instant", "assets_current"),
    "Liabilities": ("Liabilities", "USD", "instant", "liabilities"),
    "LiabilitiesCurrent": ("Liabilities, Current", "USD", "instant", "liabilities_current"),
    "StockholdersEquity": ("Stockholders' Equity Attributable to Parent", "USD", "instant",
                           "equity"),
    "LongTermDebt": ("Long-Term Debt", "USD", "instant", "long_term_debt"),
    "CashAndCashEquivalentsAtCarryingValue": ("Cash and Cash Equivalents, at Carrying Value",
                                              "USD", "instant", "cash"),
}
REVENUE_LABELS = {"Revenues": "Revenues",
                  REVENUE_TAGS[1]: "Revenue from Contract with Customer, Excluding Assessed Tax"}
SHARES_OUTSTANDING = "EntityCommonStockSharesOutstanding"
SUBMISSION_FIELDS = ("accessionNumber", "filingDate", "reportDate", "acceptanceDateTime", "act",
                     "form", "fileNumber", "filmNumber", "items", "core_type", "size", "isXBRL",
                     "isInlineXBRL", "primaryDocument", "primaryDocDescription")


_DURATION_ORDER, _INSTANT_ORDER = itemgetter("end", "start", "filed"), itemgetter("end", "filed")
_DURATION, _INSTANT = itemgetter("start", "end"), itemgetter("end")


@dataclass(frozen=True)
class Filing:
    form: str
    filed: date
    accepted: datetime  # UTC
    report_date: date | None
    accession: str
    primary_document: str
    description: str
    items: str = ""
    quarter: int | None = None  # index into Fundamentals.quarters for 10-Q/10-K


class SessionRoll:
    """Moves dates onto EDGAR business days (NYSE sessions as the stand-in)."""

    def __init__(self, sessions: np.ndarray) -> None:
        self.sessions = sessions
        # The same search on a list of dates: numpy's searchsorted of one scalar costs ~10x.
        self._days: list[date] = sessions.tolist()

    def on_or_after(self, day: date) -> date:
        i = bisect_left(self._days, day)
        return self._days[min(i, len(self._days) - 1)]

    def on_or_before(self, day: date) -> date:
        i = bisect_right(self._days, day) - 1
        return self._days[max(i, 0)]

    def all_on_or_before(self, days: np.ndarray) -> list[date]:
        """``on_or_before`` of each of ``days`` (datetime64[D])."""
        i = np.searchsorted(self.sessions, days, side="right") - 1
        return self.sessions[np.maximum(i, 0)].tolist()


def periodic_filing_date(period_end: date, lag_range: tuple[int, int], roll: SessionRoll,
                         rng: np.random.Generator) -> date:
    """A filing day ``lag_range`` days after the period end."""
    lo, hi = lag_range
    day = roll.on_or_after(period_end + timedelta(days=int(rng.integers(lo, hi + 1))))
    if (day - period_end).days > hi:
        day = roll.on_or_before(period_end + timedelta(days=hi))
    return day


@lru_cache(maxsize=8192)
def _new_york_offset(day: date) -> timedelta:
    """New York's UTC offset at noon on ``day`` (EDGAR hours never straddle a DST change)."""
    return datetime.combine(day, time(12), _NEW_YORK).utcoffset()


def acceptance_times(days: list[date], rng: np.random.Generator) -> list[datetime]:
    """An acceptance time between 06:00 and 17:25 New York time on each of ``days``, in UTC
    (drawn at once: the same numbers as one draw per day, in order)."""
    seconds = rng.integers(6 * 3600, 17 * 3600 + 25 * 60, size=len(days)).tolist()
    return [datetime.combine(day, time()) + timedelta(seconds=second) - _new_york_offset(day)
            for day, second in zip(days, seconds, strict=True)]


class CompanyEdgar:
    """Builds one company's filings, submissions pages and companyfacts."""

    def __init__(self, profile: CompanyProfile, prices: PriceHistory, funds: Fundamentals,
                 filings: list[Filing], end: date) -> None:
        self.profile, self.prices, self.funds, self.filings, self.end = (
            profile, prices, funds, filings, end)
        self._sums: dict[int, dict[str, list[float]]] = {}
        self._shares_cache: dict[float, list[float]] = {}

    # ----- submissions -------------------------------------------------------------------
    def submissions(self) -> list[dict]:
        """The main submissions JSON followed by its paging files' JSON."""
        p = self.profile
        ordered = sorted(self.filings, key=lambda f: (f.filed, f.accepted), reverse=True)
        year_ago = ordered[0].filed - timedelta(days=365) if ordered else self.end
        recent_n = max(RECENT_MIN, sum(f.filed > year_ago for f in ordered))
        recent, older = ordered[:recent_n], ordered[recent_n:]
        pages = [older[i:i + PAGE_SIZE] for i in range(0, len(older), PAGE_SIZE)]
        files = [{"name": f"CIK{p.cik10}-submissions-{n + 1:03d}.json",
                  "filingCount": len(page), "filingFrom": page[-1].filed.isoformat(),
                  "filingTo": page[0].filed.isoformat()} for n, page in enumerate(pages)]
        listed = p.delisted_on is None or p.delisted_on > self.end
        main = {
            "cik": p.cik10, "entityType": "operating", "sic": p.sic,
            "sicDescription": SIC_DESCRIPTIONS[p.sic], "ownerOrg": "",
            "insiderTransactionForOwnerExists": 0, "insiderTransactionForIssuerExists": 1,
            "name": p.name,
            "tickers": [p.symbol] if listed else [], "exchanges": [p.exchange] if listed else [],
            "ein": f"{(p.cik * 7919) % 10**9:09d}", "lei": None, "description": "",
            "website": "", "investorWebsite": "", "category": "Large accelerated filer",
            "fiscalYearEnd": p.fiscal_year_end, "stateOfIncorporation": p.state,
            "stateOfIncorporationDescription": p.state,
            "addresses": {kind: {"street1": f"{100 + p.index % 900} MAIN STREET", "street2": None,
                                 "city": "WILMINGTON", "stateOrCountry": "DE",
                                 "zipCode": "19801", "stateOrCountryDescription": "DE"}
                          for kind in ("mailing", "business")},
            "phone": f"302-555-{p.index % 10000:04d}", "flags": "", "formerNames": [],
            "filings": {"recent": self._columns(recent), "files": files},
        }
        return [main, *(self._columns(page) for page in pages)]

    def _columns(self, filings: list[Filing]) -> dict[str, list]:
        """The submissions columns of ``filings`` (built column by column: appending to fifteen
        lists per filing cost as much as the rest of the company's submissions)."""
        file_number = f"001-{30000 + self.profile.index % 70000:05d}"
        forms = [f.form for f in filings]
        serials = [int(f.accession[-6:]) for f in filings]
        xbrl = [int(f.form in ("10-K", "10-Q") or (f.form == "8-K" and "2.02" in f.items))
                for f in filings]
        return {  # in SUBMISSION_FIELDS order
            "accessionNumber": [f.accession for f in filings],
            "filingDate": [f.filed.isoformat() for f in filings],
            "reportDate": [f.report_date.isoformat() if f.report_date else "" for f in filings],
            # isoformat is strftime("%Y-%m-%dT%H:%M:%S") for four-digit years, at a third of
            # the cost; acceptance times have whole seconds.
            "acceptanceDateTime": [f.accepted.isoformat(timespec="seconds") + ".000Z"
                                   for f in filings],
            "act": ["" if form == "4" else "33" if form in ("S-1", "424B4") else "34"
                    for form in forms],
            "form": forms,
            "fileNumber": ["" if form == "4" else file_number for form in forms],
            "filmNumber": ["" if form == "4" else f"{serial * 7 + 24000000:08d}"
                           for form, serial in zip(forms, serials, strict=True)],
            "items": [f.items for f in filings],
            "core_type": list(forms),
            "size": [5000 + (serial * 7919) % 9_000_000 for serial in serials],
            "isXBRL": xbrl,
            "isInlineXBRL": [int(x and f.filed >= INLINE_XBRL_FROM)
                             for x, f in zip(xbrl, filings, strict=True)],
            "primaryDocument": [f.primary_document for f in filings],
            "primaryDocDescription": [f.description for f in filings],
        }

    # ----- companyfacts ------------------------------------------------------------------
    def company_facts(self) -> dict:
        """The companyfacts JSON: every fact of every 10-Q and 10-K."""
        facts: dict[tuple[str, str, str], list[dict]] = {}
        for f in self.filings:
            if f.quarter is not None:
                self._filing_facts(f, facts)
        out: dict[str, dict] = {"dei": {}, "us-gaap": {}}
        for (taxonomy, tag, unit), rows in facts.items():
            # A concept's facts are all durations or all instants: sorting on keys built in C
            # orders them as (end, start or "", filed) does, in a third of the time.
            durations = bool(rows) and "start" in rows[0]
            rows.sort(key=_DURATION_ORDER if durations else _INSTANT_ORDER)
            _assign_frames(rows, durations)
            label = (REVENUE_LABELS.get(tag) or CONCEPTS.get(tag, ("Entity Common Stock, Shares "
                                                                    "Outstanding",))[0])
            out[taxonomy][tag] = {"label": label, "description": f"{label}.",
                                  "units": {unit: rows}}
        return {"cik": self.profile.cik, "entityName": self.profile.name, "facts": out}

    def _revenue_tags(self, filed: date) -> tuple[str, ...]:
        style = self.profile.revenue_tags
        if style == "both":
            return REVENUE_TAGS
        if style == "switch":
            return (REVENUE_TAGS[0],) if filed < REVENUE_SWITCH else (REVENUE_TAGS[1],)
        return (style,)

    def _tags(self, filed: date) -> list[tuple[str, str, str, str]]:
        return [(t, "USD", "income", "revenue") for t in self._revenue_tags(filed)
                ] + self._concept_tags

    @cached_property
    def _concept_tags(self) -> list[tuple[str, str, str, str]]:
        """The non-revenue tags this company reports (the same in every filing)."""
        sector, funds = self.profile.sector, self.funds
        tags = []
        for tag, (_, unit, kind, key) in CONCEPTS.items():
            if tag == "GrossProfit" and not sector.reports_gross_profit:
                continue
            unclassified = not sector.classified_balance_sheet
            if tag in ("AssetsCurrent", "LiabilitiesCurrent") and unclassified:
                continue
            if kind != "eps" and not funds.base[key].any():
                continue
            tags.append((tag, unit, kind, key))
        return tags

    def _filing_facts(self, f: Filing, facts: dict) -> None:
        funds, k = self.funds, f.quarter
        q = funds.quarters[k]
        fq = q.fiscal_quarter
        if f.form == "10-K":
            durations = [(k - 3 - 4 * y, k - 4 * y) for y in range(3)]
            income, cash, instants = durations, durations, [k, k - 4]
        else:
            ytd = [(k - fq + 1, k), (k - fq - 3, k - 4)]
            income = [(k, k), (k - 4, k - 4)] + (ytd if fq > 1 else [])
            cash, instants = ytd, [k, k - fq]
        income = [(a, b) for a, b in income if a >= 0]
        cash = [(a, b) for a, b in cash if a >= 0]
        instants = [i for i in instants if i >= 0]
        accn, fy, form, filed = f.accession, q.fiscal_year, f.form, f.filed.isoformat()
        fp = "FY" if form == "10-K" else f"Q{fq}"
        sums = self._prefix_sums(f.filed)
        starts, ends = self._iso_starts, self._iso_ends
        # shares of each quarter in the share units of the filing date (later splits applied)
        shares = self._shares_in_units(self._split_factor(f.filed))
        dilution = self._dilution
        # Each fact is a dict literal (keys in the SEC's order): merging a shared dict into
        # every one of ~1,800 facts a company was a third of the generation's time.
        for tag, unit, kind, key in self._tags(f.filed):
            rows = facts.setdefault(("us-gaap", tag, unit), [])
            if kind == "instant":
                series = sums[key]
                rows += [{"end": ends[i], "val": _usd(series[i + 1] - series[i]), "accn": accn,
                          "fy": fy, "fp": fp, "form": form, "filed": filed} for i in instants]
            elif kind == "eps":
                net = sums["net_income"]
                for a, b in income:
                    per_share = (net[b + 1] - net[a]) / (sum(shares[a:b + 1]) / (b + 1 - a))
                    if key == "diluted":
                        per_share /= dilution[b]
                    rows.append({"start": starts[a], "end": ends[b],
                                 "val": round(float(per_share), 2), "accn": accn, "fy": fy,
                                 "fp": fp, "form": form, "filed": filed})
            else:
                series = sums[key]
                rows += [{"start": starts[a], "end": ends[b],
                          "val": _usd(series[b + 1] - series[a]), "accn": accn, "fy": fy,
                          "fp": fp, "form": form, "filed": filed}
                         for a, b in (income if kind == "income" else cash)]
        cover = f.filed - timedelta(days=10)
        facts.setdefault(("dei", SHARES_OUTSTANDING, "shares"), []).append(
            {"end": cover.isoformat(), "val": int(self._shares_on(cover)), "accn": accn,
             "fy": fy, "fp": fp, "form": form, "filed": filed})

    def _prefix_sums(self, filed: date) -> dict[str, list[float]]:
        """Running sums of each concept as reported on ``filed``: a period is two lookups."""
        values = self.funds.as_of(filed)
        cached = self._sums.get(id(values))
        if cached is None:
            cached = {c: [0.0, *np.cumsum(v).tolist()] for c, v in values.items()}
            self._sums[id(values)] = cached
        return cached

    @cached_property
    def _iso_starts(self) -> list[str]:
        return [q.start.isoformat() for q in self.funds.quarters]

    @cached_property
    def _iso_ends(self) -> list[str]:
        return [q.end.isoformat() for q in self.funds.quarters]

    @cached_property
    def _quarter_split(self) -> np.ndarray:
        return np.array([self._split_factor(q.end) for q in self.funds.quarters])

    # Per filing, numpy calls on single values cost more than the facts they serve: the
    # lookups below use Python lists and dates (the same numbers, the same order of operations).
    @cached_property
    def _splits(self) -> list[tuple[date, float]]:
        return [(s.day.item(), s.ratio) for s in self.prices.splits]

    @cached_property
    def _price_days(self) -> list[date]:
        return self.prices.dates.tolist()

    @cached_property
    def _share_counts(self) -> list[float]:
        return self.prices.shares.tolist()

    @cached_property
    def _dilution(self) -> list[float]:
        return self.funds.dilution.tolist()

    def _split_factor(self, day: date) -> float:
        """Product of split ratios effective on or before ``day``."""
        out = 1.0
        for split_day, ratio in self._splits:
            if split_day <= day:
                out *= ratio
        return out

    def _shares_in_units(self, factor: float) -> list[float]:
        """Average shares of each quarter in the share units after splits of ``factor``."""
        cached = self._shares_cache.get(factor)
        if cached is None:
            cached = self._shares_cache[factor] = (self.funds.weighted_shares * factor
                                                   / self._quarter_split).tolist()
        return cached

    def _shares_on(self, day: date) -> float:
        i = bisect_right(self._price_days, day) - 1
        return self._share_counts[max(i, 0)] * (0.85 if i < 0 and self.profile.is_ipo else 1.0)


def _usd(value: float) -> int:
    """Dollars rounded to thousands (half to even), as most filers report.

    Exactly ``int(round(value, -3))``, without the decimal conversion that makes that slow.
    """
    value = float(value)
    whole = math.floor(value)
    rest = whole % 1000
    base = whole - rest
    if rest > 500 or (rest == 500 and value > whole):
        return base + 1000
    if rest < 500 or (base // 1000) % 2 == 0:
        return base
    return base + 1000


def _nearest_quarter(day: date) -> tuple[int, int, int]:
    """(calendar year, quarter, days away) of the calendar quarter end nearest ``day``."""
    best = None
    for year in (day.year - 1, day.year):
        for q, (m, d) in enumerate(((3, 31), (6, 30), (9, 30), (12, 31)), start=1):
            gap = abs((date(year, m, d) - day).days)
            if best is None or gap < best[2]:
                best = (year, q, gap)
    nxt = abs((date(day.year + 1, 3, 31) - day).days)
    return best if best[2] <= nxt else (day.year + 1, 1, nxt)


@lru_cache(maxsize=65536)
def _frame(start: str | None, end_iso: str) -> tuple[str, int] | None:
    """SEC's calendar frame for a period and how far the period is from it."""
    end = date.fromisoformat(end_iso)
    year, q, gap = _nearest_quarter(end)
    if start is None:
        return f"CY{year}Q{q}I", gap
    days = (end - date.fromisoformat(start)).days + 1
    if 80 <= days <= 100:
        return f"CY{year}Q{q}", gap
    if 350 <= days <= 380:
        dec = min((date(y, 12, 31) for y in (end.year - 1, end.year)),
                  key=lambda d: abs((d - end).days))
        return f"CY{dec.year}", abs((dec - end).days)
    return None


def _assign_frames(rows: list[dict], durations: bool) -> None:
    """Give each frame to the latest filed fact of the period nearest to it (as SEC does);
    ``rows``: one concept's facts, all durations or all instants."""
    period = _DURATION if durations else _INSTANT
    # rows are sorted by filed within a period: the last one of each period wins
    latest: dict[tuple[str, ...], dict] = {period(row): row for row in rows}
    best: dict[str, tuple[int, dict]] = {}
    for row in latest.values():
        framed = _frame(row.get("start"), row["end"])
        if framed and (framed[0] not in best or framed[1] < best[framed[0]][0]):
            best[framed[0]] = (framed[1], row)
    for name, (_, row) in best.items():
        row["frame"] = name
