"""``SyntheticUniverse``: N companies x Y years of EDGAR, FRED and IB payloads, made on demand.

Every payload is a pure function of (seed, window, key): it is generated when asked for, never
stored, and asking in any order gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

import numpy as np
import polars as pl

from ingestion.batch import EmptyResultError, PayloadError
from ingestion.edgar.clients import Payload
from ingestion.edgar.params import normalize_cik
from ingestion.fred.clients import observations_body
from ingestion.fred.params import ObservationQuery
from ingestion.fred.vintages import clip_to_window
from ingestion.synthetic.calendar import trading_days
from ingestion.synthetic.edgar import CompanyEdgar, SessionRoll
from ingestion.synthetic.filings import first_reported_period_end, schedule_filings
from ingestion.synthetic.fred import SERIES, series_payload, series_rows
from ingestion.synthetic.fundamentals import (
    add_restatements,
    fiscal_quarters,
    simulate_fundamentals,
)
from ingestion.synthetic.macro import MacroWorld
from ingestion.synthetic.market import MarketFactors, market_factors
from ingestion.synthetic.prices import Life, PriceHistory, simulate
from ingestion.synthetic.profiles import CompanyProfile, company_profile
from ingestion.synthetic.rng import key_rng

DEFAULT_END = date(2025, 12, 31)
MACRO_HISTORY_YEARS = 2  # macro series start this long before the first bar
FUNDAMENTAL_HISTORY = timedelta(days=3 * 366 + 120)  # a 10-K compares three fiscal years


@dataclass(frozen=True)
class Company:
    profile: CompanyProfile
    prices: PriceHistory


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class SyntheticUniverse:
    """A reproducible universe; ``*_client()`` give objects with the replay clients' methods."""

    def __init__(self, symbols: int = 1000, years: int = 10, seed: int = 7,
                 end: date = DEFAULT_END) -> None:
        if symbols < 1 or years < 1:
            raise ValueError(f"need at least one symbol and one year (got {symbols}, {years})")
        self.n, self.years, self.seed, self.end = symbols, years, seed, end
        sessions = trading_days(_years_before(end, years) + timedelta(days=1), end)
        self.start: date = sessions[0].astype(date)
        self.sessions = sessions
        self._company = lru_cache(maxsize=64)(self._build_company)
        self._edgar = lru_cache(maxsize=16)(self._build_edgar)

    # ----- shared drivers ----------------------------------------------------------------
    @cached_property
    def factors(self) -> MarketFactors:
        return market_factors(self.seed, _years_before(self.start, MACRO_HISTORY_YEARS),
                              self.end)

    @cached_property
    def macro(self) -> MacroWorld:
        return MacroWorld(self.seed, self.factors)

    @cached_property
    def profiles(self) -> list[CompanyProfile]:
        return [company_profile(self.seed, i, self.start, self.end) for i in range(self.n)]

    @cached_property
    def by_symbol(self) -> dict[str, int]:
        return {p.symbol: p.index for p in self.profiles}

    @cached_property
    def by_cik(self) -> dict[int, int]:
        return {p.cik: p.index for p in self.profiles}

    @cached_property
    def _roll(self) -> SessionRoll:
        horizon = _years_before(self.start, 5)
        return SessionRoll(trading_days(horizon, self.end + timedelta(days=400)))

    # ----- per company -------------------------------------------------------------------
    def life(self, profile: CompanyProfile) -> Life:
        """The price-path inputs of a profile."""
        return Life(first=profile.listed_from, last=profile.delisted_on or self.end,
                    start_price=profile.start_price, shares=profile.shares_at_listing,
                    beta=profile.beta, sector_index=profile.sector_index,
                    sector_loading=profile.sector_loading, idio_vol=profile.idio_vol,
                    alpha=profile.alpha, turnover=profile.turnover,
                    trade_size=profile.trade_size, buyback_rate=profile.buyback_rate,
                    dividend_yield=profile.dividend_yield,
                    dividend_month=profile.dividend_month, dividend_day=profile.dividend_day,
                    split_threshold=profile.split_threshold, ending=profile.delist_reason,
                    is_ipo=profile.is_ipo)

    def _build_company(self, index: int) -> Company:
        profile = self.profiles[index]
        prices = simulate(self.life(profile), self.factors, key_rng(self.seed, "bars", index))
        return Company(profile, prices)

    def company(self, index: int) -> Company:
        """Profile and bars of company ``index`` (cached for a few companies)."""
        return self._company(index)

    def _build_edgar(self, index: int) -> CompanyEdgar:
        profile, prices = self.company(index).profile, self.company(index).prices
        first_end = first_reported_period_end(profile, self.start)
        quarters = fiscal_quarters(profile.fiscal_year_end_month, first_end - FUNDAMENTAL_HISTORY,
                                   profile.delisted_on or self.end)
        funds = simulate_fundamentals(profile, prices, self.factors, quarters,
                                      key_rng(self.seed, "fundamentals", index))
        filings = schedule_filings(profile, quarters, self.start, self.end, self._roll,
                                   key_rng(self.seed, "filings", index))
        annual = [(f.quarter, f.filed) for f in filings if f.form == "10-K"]
        add_restatements(funds, annual, profile.restatement_rate,
                         key_rng(self.seed, "restatements", index))
        return CompanyEdgar(profile, prices, funds, filings, self.end)

    def edgar_company(self, cik: int | str) -> CompanyEdgar:
        """The EDGAR view of the company with this CIK."""
        key = int(cik)
        if key not in self.by_cik:
            raise KeyError(cik)
        return self._edgar(self.by_cik[key])

    # ----- clients -----------------------------------------------------------------------
    def edgar_client(self) -> SyntheticEdgarClient:
        return SyntheticEdgarClient(self)

    def fred_client(self) -> SyntheticFredClient:
        return SyntheticFredClient(self)

    def ibkr_client(self) -> SyntheticIbkrClient:
        return SyntheticIbkrClient(self)

    # ----- fast path ---------------------------------------------------------------------
    def bars_frame(self, what_to_show: str = "TRADES", symbols: list[str] | None = None
                   ) -> pl.DataFrame:
        """Bars of many symbols as one frame in ``raw.ib_bars`` column names (no JSON)."""
        _check_what_to_show(what_to_show)
        names = symbols or list(self.by_symbol)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in (
            "bar_date", "open", "high", "low", "close", "volume", "average", "bar_count")}
        lengths = []
        for symbol in names:
            prices = self.company(self.by_symbol[symbol]).prices
            cols = prices.trades() if what_to_show == "TRADES" else prices.adjusted()
            parts["bar_date"].append(prices.dates)
            for k in ("open", "high", "low", "close", "volume", "average", "bar_count"):
                parts[k].append(cols[k])
            lengths.append(len(prices.dates))
        columns = {k: np.concatenate(v) for k, v in parts.items()}
        symbol_col = pl.Series("symbol", names, dtype=pl.String).gather(
            np.repeat(np.arange(len(names)), lengths))
        return pl.DataFrame({
            "symbol": symbol_col, "bar_date": columns["bar_date"],
            "what_to_show": pl.repeat(what_to_show, len(symbol_col), eager=True),
            **{k: columns[k] for k in ("open", "high", "low", "close", "volume", "average",
                                       "bar_count")}})

    def write(self, folder, progress=None) -> dict[str, int]:
        """Write the replay layout of all three sources under ``folder``/{edgar,fred,ibkr}."""
        from ingestion.synthetic.writer import write_universe

        return write_universe(self, folder, progress)


def _check_what_to_show(what_to_show: str) -> None:
    if what_to_show not in ("TRADES", "ADJUSTED_LAST"):
        raise ValueError(f"what_to_show must be TRADES or ADJUSTED_LAST, not {what_to_show!r}")


def _origin(source: str, key: str) -> str:
    """Where a synthetic payload comes from, named like the replay file it would be."""
    return f"synthetic://{source}/{key}"


class SyntheticEdgarClient:
    """EDGAR payloads with the replay client's methods (``Payload`` dicts carrying ``origin``)."""

    def __init__(self, universe: SyntheticUniverse) -> None:
        self.universe = universe

    def keys(self) -> list[str]:
        return [p.cik10 for p in self.universe.profiles]

    def _company(self, cik: int | str) -> tuple[CompanyEdgar, str]:
        cik10 = normalize_cik(cik)
        try:
            return self.universe.edgar_company(cik10), cik10
        except KeyError:
            raise EmptyResultError(f"{_origin('edgar', f'CIK{cik10}')}: no such company in "
                                   "the synthetic universe") from None

    def company_facts(self, cik: int | str) -> Payload:
        """The companyfacts body."""
        company, cik10 = self._company(cik)
        return Payload(company.company_facts(), _origin("edgar", f"companyfacts/CIK{cik10}.json"))

    def submissions(self, cik: int | str) -> list[Payload]:
        """The submissions body followed by its paging files."""
        company, cik10 = self._company(cik)
        main, *pages = company.submissions()
        return [Payload(main, _origin("edgar", f"submissions/CIK{cik10}.json")),
                *(Payload(page, _origin("edgar", f"submissions/{entry['name']}"))
                  for page, entry in zip(pages, main["filings"]["files"], strict=True))]


class SyntheticFredClient:
    """FRED payloads with the replay client's methods."""

    def __init__(self, universe: SyntheticUniverse) -> None:
        self.universe = universe
        self._rows = lru_cache(maxsize=64)(self._build_rows)

    def keys(self) -> list[str]:
        return list(SERIES)

    def location(self, endpoint: str, series_id: str) -> str:
        """Where ``endpoint``'s body for ``series_id`` comes from."""
        return _origin("fred", f"{endpoint}/{series_id}")

    def _build_rows(self, series_id: str) -> list[dict]:
        if series_id not in SERIES:
            raise PayloadError(f"{self.location('observations', series_id)}: no such synthetic "
                               "series")
        return series_rows(self.universe.macro, series_id, self.universe.end)

    def series_info(self, series_id: str) -> dict:
        """The fred/series body."""
        return series_payload(SERIES[series_id], self._rows(series_id), self.universe.end) \
            if series_id in SERIES else self._build_rows(series_id)

    def observations(self, series_id: str, realtime_start: date | None = None,
                     realtime_end: date | None = None) -> dict:
        """The fred/series/observations body; a realtime window is answered as FRED does."""
        query = ObservationQuery.build(series_id, realtime_start, realtime_end)
        rows = self._rows(series_id)
        if query.is_full_history:
            return observations_body(rows, query)
        return observations_body(clip_to_window(rows, query.realtime_start,
                                                query.realtime_end), query)


class SyntheticIbkrClient:
    """IB daily bars with the replay client's methods."""

    def __init__(self, universe: SyntheticUniverse) -> None:
        self.universe = universe

    def keys(self) -> list[str]:
        return [p.symbol for p in self.universe.profiles]

    def origin(self, symbol: str, what_to_show: str) -> str:
        return _origin("ibkr", f"bars/{symbol}.{what_to_show}.json")

    def bars(self, symbol: str, what_to_show: str, start: date | None = None,
             end: date | None = None) -> list[dict]:
        """Canonical bar dicts of one kind inside [start, end]."""
        _check_what_to_show(what_to_show)
        index = self.universe.by_symbol.get(symbol.strip().upper())
        if index is None:
            raise PayloadError(f"{self.origin(symbol, what_to_show)}: no such synthetic symbol")
        return bar_dicts(self.universe.company(index).prices, what_to_show, start, end)


_ISO: dict[int, str] = {}


def _iso_days(days: np.ndarray) -> list[str]:
    """ISO strings of datetime64[D] days (memoised: numpy's own conversion is slow)."""
    out = []
    for d in days.astype(np.int64).tolist():
        text = _ISO.get(d)
        if text is None:
            text = _ISO[d] = str(np.datetime64(d, "D"))
        out.append(text)
    return out


def bar_dicts(prices: PriceHistory, what_to_show: str, start: date | None = None,
              end: date | None = None) -> list[dict]:
    """``ib_async.BarData`` fields as dicts, ``date`` as an ISO date."""
    lo = np.searchsorted(prices.dates, np.datetime64(start)) if start else 0
    hi = (np.searchsorted(prices.dates, np.datetime64(end), side="right") if end
          else len(prices.dates))
    cols = prices.trades() if what_to_show == "TRADES" else prices.adjusted()
    days = _iso_days(prices.dates[lo:hi])
    fields = [cols[k][lo:hi].tolist() for k in ("open", "high", "low", "close", "volume",
                                                 "average", "bar_count")]
    return [{"date": d, "open": o, "high": h, "low": low, "close": c, "volume": v, "average": a,
             "barCount": n} for d, o, h, low, c, v, a, n in zip(days, *fields, strict=True)]
