"""FRED/ALFRED payloads: series metadata and every vintage of every observation.

Each series has a release rule (when an observation is first published) and a revision rule
(when it is published again with a new value). ALFRED rows: a new row only when the value
changes; ``realtime_end`` of a row is the day before the next row's ``realtime_start``; the row
still current on the universe's end date runs to 9999-12-31. Nothing published after the end date
exists yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ingestion.synthetic.macro import MacroWorld, Observed
from ingestion.synthetic.rng import key_rng

OPEN_END = "9999-12-31"
_CHICAGO = ZoneInfo("America/Chicago")

Rule = Callable[[date], date]


def _weekday_on_or_after(day: date) -> date:
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _month_start(day: date, months_after: int) -> date:
    m = day.month - 1 + months_after
    return date(day.year + m // 12, m % 12 + 1, 1)


def next_weekday(day: date) -> date:
    """Daily market data appears on FRED the next weekday."""
    return _weekday_on_or_after(day + timedelta(days=1))


def days_after(n: int) -> Rule:
    return lambda day: day + timedelta(days=n)


def day_of_next_month(dom: int, months_after: int = 1) -> Rule:
    """Published on a day of the following month, moved off weekends."""
    return lambda day: _weekday_on_or_after(_month_start(day, months_after).replace(day=dom))


def first_friday_of_next_month(day: date) -> date:
    first = _month_start(day, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7)


def gdp_release(months_after: int) -> Rule:
    """BEA's estimates: near the end of the month after the quarter (+1, +2 months later)."""
    return lambda day: _weekday_on_or_after(_month_start(day, 2 + months_after).replace(day=27))


@dataclass(frozen=True)
class SeriesSpec:
    id: str
    title: str
    frequency: str
    frequency_short: str
    units: str
    units_short: str
    seasonal_adjustment: str
    decimals: int
    release: Rule
    revisions: tuple[tuple[Rule, float], ...] = ()  # (when, size of the error still left)
    annual_revision: tuple[int, int, float] | None = None  # (month, months back, error size)

    @property
    def seasonal_adjustment_short(self) -> str:
        return {"Seasonally Adjusted": "SA", "Not Seasonally Adjusted": "NSA",
                "Seasonally Adjusted Annual Rate": "SAAR"}[self.seasonal_adjustment]


_D, _W, _M, _Q = ("Daily", "D"), ("Weekly, Ending Friday", "WEF"), ("Monthly", "M"), (
    "Quarterly", "Q")
_PCT = ("Percent", "%")
_NSA, _SA = "Not Seasonally Adjusted", "Seasonally Adjusted"
_SAAR = "Seasonally Adjusted Annual Rate"


def _spec(sid, title, freq, units, sa, decimals, release, revisions=(), annual=None):
    return SeriesSpec(sid, title, freq[0], freq[1], units[0], units[1], sa, decimals, release,
                      revisions, annual)


SERIES: dict[str, SeriesSpec] = {s.id: s for s in (
    _spec("DGS3MO", "Market Yield on U.S. Treasury Securities at 3-Month Constant Maturity, "
          "Quoted on an Investment Basis", _D, _PCT, _NSA, 2, next_weekday),
    _spec("DGS2", "Market Yield on U.S. Treasury Securities at 2-Year Constant Maturity, "
          "Quoted on an Investment Basis", _D, _PCT, _NSA, 2, next_weekday),
    _spec("DGS10", "Market Yield on U.S. Treasury Securities at 10-Year Constant Maturity, "
          "Quoted on an Investment Basis", _D, _PCT, _NSA, 2, next_weekday),
    _spec("DGS30", "Market Yield on U.S. Treasury Securities at 30-Year Constant Maturity, "
          "Quoted on an Investment Basis", _D, _PCT, _NSA, 2, next_weekday),
    _spec("T10Y2Y", "10-Year Treasury Constant Maturity Minus 2-Year Treasury Constant Maturity",
          _D, _PCT, _NSA, 2, next_weekday),
    _spec("T10Y3M", "10-Year Treasury Constant Maturity Minus 3-Month Treasury Constant Maturity",
          _D, _PCT, _NSA, 2, next_weekday),
    _spec("T5YIE", "5-Year Breakeven Inflation Rate", _D, _PCT, _NSA, 2, next_weekday),
    _spec("T10YIE", "10-Year Breakeven Inflation Rate", _D, _PCT, _NSA, 2, next_weekday),
    _spec("BAMLC0A0CM", "ICE BofA US Corporate Index Option-Adjusted Spread", _D, _PCT, _NSA, 2,
          next_weekday),
    _spec("BAMLH0A0HYM2", "ICE BofA US High Yield Index Option-Adjusted Spread", _D, _PCT, _NSA,
          2, next_weekday),
    _spec("VIXCLS", "CBOE Volatility Index: VIX", _D, ("Index", "Index"), _NSA, 2, next_weekday),
    _spec("SP500", "S&P 500", _D, ("Index", "Index"), _NSA, 2, next_weekday),
    _spec("DTWEXBGS", "Nominal Broad U.S. Dollar Index", _D,
          ("Index Jan 2006=100", "Index Jan 2006=100"), _NSA, 4,
          lambda d: d + timedelta(days=7 - d.weekday())),
    _spec("MORTGAGE30US", "30-Year Fixed Rate Mortgage Average in the United States",
          ("Weekly, Ending Thursday", "WETH"), _PCT, _NSA, 2, days_after(0)),
    _spec("WALCL", "Assets: Total Assets: Total Assets (Less Eliminations from Consolidation): "
          "Wednesday Level", ("Weekly, As of Wednesday", "WWED"),
          ("Millions of U.S. Dollars", "Mil. of U.S. $"), _NSA, 0, days_after(1)),
    _spec("NFCI", "Chicago Fed National Financial Conditions Index", _W,
          ("Index", "Index"), _NSA, 5, days_after(5),
          ((days_after(12), 0.01), (days_after(19), 0.0))),
    _spec("ANFCI", "Chicago Fed Adjusted National Financial Conditions Index", _W,
          ("Index", "Index"), _NSA, 5, days_after(5),
          ((days_after(12), 0.01), (days_after(19), 0.0))),
    _spec("STLFSI4", "St. Louis Fed Financial Stress Index", _W, ("Index", "Index"), _NSA, 4,
          days_after(6)),
    _spec("ICSA", "Initial Claims", ("Weekly, Ending Saturday", "WESA"),
          ("Number", "Number"), _SA, 0, days_after(5), ((days_after(12), 0.0),)),
    _spec("CPIAUCSL", "Consumer Price Index for All Urban Consumers: All Items in U.S. City "
          "Average", _M, ("Index 1982-1984=100", "Index 1982-1984=100"), _SA, 3,
          day_of_next_month(13), (), (2, 12, 0.05)),
    _spec("CPILFESL", "Consumer Price Index for All Urban Consumers: All Items Less Food and "
          "Energy in U.S. City Average", _M, ("Index 1982-1984=100", "Index 1982-1984=100"),
          _SA, 3, day_of_next_month(13), (), (2, 12, 0.04)),
    _spec("PCEPILFE", "Personal Consumption Expenditures Excluding Food and Energy (Chain-Type "
          "Price Index)", _M, ("Index 2017=100", "Index 2017=100"), _SA, 3,
          day_of_next_month(28), ((day_of_next_month(28, 2), 0.02),
                                  (day_of_next_month(28, 3), 0.0))),
    _spec("UNRATE", "Unemployment Rate", _M, _PCT, _SA, 1, first_friday_of_next_month,
          (), (1, 12, 0.1)),
    _spec("U6RATE", "Total Unemployed, Plus All Persons Marginally Attached to the Labor Force, "
          "Plus Total Employed Part Time for Economic Reasons, as a Percent of the Civilian "
          "Labor Force Plus All Persons Marginally Attached to the Labor Force (U-6)", _M, _PCT,
          _SA, 1, first_friday_of_next_month, (), (1, 12, 0.1)),
    _spec("PAYEMS", "All Employees, Total Nonfarm", _M,
          ("Thousands of Persons", "Thous. of Persons"), _SA, 0, first_friday_of_next_month,
          ((lambda d: first_friday_of_next_month(_month_start(d, 1)), 40.0),
           (lambda d: first_friday_of_next_month(_month_start(d, 2)), 25.0)), (2, 12, 0.0)),
    _spec("INDPRO", "Industrial Production: Total Index", _M, ("Index 2017=100", "Index 2017=100"),
          _SA, 4, day_of_next_month(16), ((day_of_next_month(16, 2), 0.3),
                                          (day_of_next_month(16, 3), 0.1),
                                          (day_of_next_month(16, 4), 0.0))),
    _spec("RSXFS", "Advance Retail Sales: Retail Trade", _M, ("Millions of Dollars", "Mil. of $"),
          _SA, 0, day_of_next_month(15), ((day_of_next_month(15, 2), 1500.0),
                                          (day_of_next_month(15, 3), 0.0))),
    _spec("HOUST", "New Privately-Owned Housing Units Started: Total Units", _M,
          ("Thousands of Units", "Thous. of Units"), _SAAR, 0, day_of_next_month(18),
          ((day_of_next_month(18, 2), 25.0), (day_of_next_month(18, 3), 0.0))),
    _spec("UMCSENT", "University of Michigan: Consumer Sentiment", _M,
          ("Index 1966:Q1=100", "Index 1966:Q1=100"), _NSA, 1, day_of_next_month(1, 2)),
    _spec("M2SL", "M2", _M, ("Billions of Dollars", "Bil. of $"), _SA, 1,
          day_of_next_month(24), ((day_of_next_month(24, 2), 8.0),
                                  (day_of_next_month(24, 3), 0.0))),
    _spec("CFNAI", "Chicago Fed National Activity Index", _M, ("Index", "Index"), _NSA, 2,
          day_of_next_month(23), ((day_of_next_month(23, 2), 0.1),
                                  (day_of_next_month(23, 3), 0.0))),
    _spec("FEDFUNDS", "Federal Funds Effective Rate", _M, _PCT, _NSA, 2, day_of_next_month(1)),
    _spec("USREC", "NBER based Recession Indicators for the United States from the Period "
          "following the Peak through the Trough", _M, ("+1 or 0", "+1 or 0"), _NSA, 0,
          day_of_next_month(1)),
    _spec("GDP", "Gross Domestic Product", _Q, ("Billions of Dollars", "Bil. of $"), _SAAR, 3,
          gdp_release(1), ((gdp_release(2), 60.0), (gdp_release(3), 30.0)), (9, 12, 0.0)),
    _spec("GDPC1", "Real Gross Domestic Product", _Q,
          ("Billions of Chained 2017 Dollars", "Bil. of Chn. 2017 $"), _SAAR, 3,
          gdp_release(1), ((gdp_release(2), 50.0), (gdp_release(3), 25.0)), (9, 12, 0.0)),
)}
NBER_PEAK_LAG, NBER_TROUGH_LAG = timedelta(days=210), timedelta(days=400)


def _fmt(value: float, decimals: int) -> str:
    return "." if np.isnan(value) else f"{value:.{decimals}f}"


def _benchmark_day(seed: int, series_id: str, year: int, month: int) -> date:
    """The day of a series' annual revision in ``year``."""
    offset = int(key_rng(seed, "fred", series_id, "benchmark", year).integers(0, 25))
    return _weekday_on_or_after(date(year, month, 1) + timedelta(days=offset))


def vintages(spec: SeriesSpec, observed: Observed, seed: int, end: date
             ) -> list[tuple[date, list[tuple[date, str]]]]:
    """Per observation, its published versions (publication date, value) known by ``end``.

    The first release misses the final value by a random error; each scheduled revision has a
    smaller one (the last listed size is what is left); an annual revision, when the series has
    one, publishes the final value for the observations of the past months.
    """
    rng = key_rng(seed, "fred", spec.id)
    steps = [spec.release, *(rule for rule, _ in spec.revisions)]
    first_error = (1.5 * spec.revisions[0][1] if spec.revisions
                   else spec.annual_revision[2] if spec.annual_revision else 0.0)
    sizes = [first_error, *(size for _, size in spec.revisions)]
    errors = rng.standard_normal((len(observed.dates), len(steps)))
    out = []
    for i, (day, final) in enumerate(zip(observed.dates.astype(date).tolist(), observed.values,
                                         strict=True)):
        versions = [(rule(day), _fmt(final if np.isnan(final) else final + size * errors[i, j],
                                     spec.decimals))
                    for j, (rule, size) in enumerate(zip(steps, sizes, strict=True))]
        if spec.annual_revision:
            month, back, _ = spec.annual_revision
            last = versions[-1][0]
            benchmark = _benchmark_day(seed, spec.id, last.year, month)
            if benchmark <= last:
                benchmark = _benchmark_day(seed, spec.id, last.year + 1, month)
            if (benchmark - versions[0][0]).days <= back * 31:
                versions.append((benchmark, _fmt(final, spec.decimals)))
        known = [v for v in versions if v[0] <= end]
        if known:
            out.append((day, known))
    return out


def recession_vintages(observed: Observed, end: date) -> list[tuple[date, list[tuple[date, str]]]]:
    """USREC as published: months show 0 until NBER announces the peak (then 1 up to the present)
    and the trough (then 1 only through the trough), the indicator's real revision pattern."""
    months = observed.dates.astype(date).tolist()
    flags = observed.values.astype(bool)
    episodes = []  # (peak month, trough month or None, peak announced, trough announced)
    for i, month in enumerate(months):
        if flags[i] and (i == 0 or not flags[i - 1]):
            episodes.append([month, None])
        if flags[i] and i + 1 < len(months) and not flags[i + 1]:
            episodes[-1][1] = month
    calls = [(p, t, _weekday_on_or_after(p + NBER_PEAK_LAG),
              _weekday_on_or_after(t + NBER_TROUGH_LAG) if t else None) for p, t in episodes]

    def published(month: date, on: date) -> str:
        for peak, trough, peak_call, trough_call in calls:
            if month < peak or peak_call > on:
                continue
            if trough_call is not None and trough_call <= on:
                if month <= trough:
                    return "1"
            else:
                return "1"
        return "0"

    out = []
    for month in months:
        first = day_of_next_month(1)(month)
        moments = [first, *(c for _, _, *cs in calls for c in cs if c and c > first)]
        versions = [(on, published(month, on)) for on in sorted(moments) if on <= end]
        if versions:
            out.append((month, versions))
    return out


def observation_rows(history: list[tuple[date, list[tuple[date, str]]]]) -> list[dict]:
    """ALFRED rows (output_type 1): one per value change, realtime periods back to back."""
    rows = []
    for day, versions in history:
        merged: list[tuple[date, str]] = []
        for published, value in versions:
            if merged and merged[-1][1] == value:
                continue
            if merged and merged[-1][0] == published:
                merged[-1] = (published, value)
            else:
                merged.append((published, value))
        for j, (published, value) in enumerate(merged):
            closes = (merged[j + 1][0] - timedelta(days=1)).isoformat() if j + 1 < len(
                merged) else OPEN_END
            rows.append({"realtime_start": published.isoformat(), "realtime_end": closes,
                         "date": day.isoformat(), "value": value})
    return rows


def series_payload(spec: SeriesSpec, rows: list[dict], end: date) -> dict:
    """The fred/series body as of ``end``."""
    current = [r for r in rows if r["realtime_end"] == OPEN_END and r["value"] != "."]
    updated = max(date.fromisoformat(r["realtime_start"]) for r in rows)
    stamp = datetime.combine(updated, time(7, 43, 1), _CHICAGO)
    offset = stamp.strftime("%z")[:3]
    return {"realtime_start": end.isoformat(), "realtime_end": end.isoformat(), "seriess": [{
        "id": spec.id, "realtime_start": end.isoformat(), "realtime_end": end.isoformat(),
        "title": spec.title, "observation_start": min(r["date"] for r in current),
        "observation_end": max(r["date"] for r in current), "frequency": spec.frequency,
        "frequency_short": spec.frequency_short, "units": spec.units,
        "units_short": spec.units_short, "seasonal_adjustment": spec.seasonal_adjustment,
        "seasonal_adjustment_short": spec.seasonal_adjustment_short,
        "last_updated": f"{stamp:%Y-%m-%d %H:%M:%S}{offset}", "popularity": 50,
        "notes": "Synthetic series generated by Factor Mart's synthetic universe; shaped like "
                 "the FRED series of the same id, not its data."}]}


def series_rows(world: MacroWorld, series_id: str, end: date) -> list[dict]:
    """All ALFRED rows of one series known on ``end``."""
    observed = world.series[series_id]
    if series_id == "USREC":
        return observation_rows(recession_vintages(observed, end))
    return observation_rows(vintages(SERIES[series_id], observed, world.seed, end))
