"""Daily bars for one company: factor-model returns, splits, dividends, OHLC, volume.

TRADES bars are as traded (a split shows as a price jump). ADJUSTED_LAST bars are TRADES scaled
back like IB's: every price before a split divided by its ratio, every price before an ex-date
multiplied by ``1 - dividend / previous close``; volume is scaled for splits only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ingestion.synthetic.market import MarketFactors
from ingestion.synthetic.rng import student_t

TRADING_DAYS_PER_YEAR = 252
_SPLIT_RATIOS = np.array([2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 20.0])
_REVERSE_SPLIT_RATIO = 0.1  # 1-for-10
_SPLIT_DELAY = 25  # sessions between crossing the threshold and the split
_MIN_SESSIONS_BETWEEN_SPLITS = 250


@dataclass(frozen=True)
class Split:
    day: np.datetime64
    ratio: float  # new shares per old share: 2.0 for 2:1, 0.1 for a 1-for-10 reverse split


@dataclass(frozen=True)
class Dividend:
    day: np.datetime64  # ex-date
    amount: float  # cash per share in the units traded on the ex-date


@dataclass(frozen=True)
class PriceHistory:
    """A listed life's bars in TRADES units plus what turns them into ADJUSTED_LAST."""

    dates: np.ndarray  # datetime64[D]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    average: np.ndarray
    volume: np.ndarray
    bar_count: np.ndarray
    shares: np.ndarray  # shares outstanding in the units of each day
    price_factor: np.ndarray  # ADJUSTED_LAST price = TRADES price * factor
    volume_factor: np.ndarray  # ADJUSTED_LAST volume = TRADES volume * factor
    log_returns: np.ndarray  # total log return of each day (split and dividend free)
    splits: tuple[Split, ...]
    dividends: tuple[Dividend, ...]

    def adjusted(self) -> dict[str, np.ndarray]:
        """ADJUSTED_LAST columns."""
        f = self.price_factor
        return {"open": np.round(self.open * f, 6), "high": np.round(self.high * f, 6),
                "low": np.round(self.low * f, 6), "close": np.round(self.close * f, 6),
                "average": np.round(self.average * f, 6),
                "volume": np.round(self.volume * self.volume_factor),
                "bar_count": self.bar_count}

    def trades(self) -> dict[str, np.ndarray]:
        """TRADES columns."""
        return {"open": self.open, "high": self.high, "low": self.low, "close": self.close,
                "average": self.average, "volume": self.volume, "bar_count": self.bar_count}


@dataclass(frozen=True)
class Life:
    """What shapes one company's path: exposures, events and policies."""

    first: date
    last: date
    start_price: float
    shares: float
    beta: float
    sector_index: int
    sector_loading: float
    idio_vol: float
    alpha: float
    turnover: float
    trade_size: float
    buyback_rate: float = 0.0
    dividend_yield: float = 0.0
    dividend_month: int = 1
    dividend_day: int = 15
    split_threshold: float | None = None
    ending: str | None = None  # "acquired" or "bankrupt" for a delisting
    is_ipo: bool = False
    splits: tuple[tuple[date, float], ...] | None = None  # fixed splits instead of the threshold
    # fixed dividends: (first ex-date, amount then, yearly growth) instead of the yield policy
    dividends: tuple[tuple[date, float, float], ...] | None = None
    waypoints: tuple[tuple[date, float], ...] = ()  # TRADES closes the path must pass through


def factor_returns(life: Life, factors: MarketFactors, rng: np.random.Generator,
                   rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """Daily log returns over the listed sessions and each day's total volatility."""
    n = rows.stop - rows.start
    market, sector = factors.market[rows], factors.sectors[rows, life.sector_index]
    idio_vol = np.full(n, life.idio_vol)
    beta = np.full(n, life.beta)
    drift = np.full(n, life.alpha / TRADING_DAYS_PER_YEAR)
    if life.ending == "bankrupt":
        tail = min(n, 250)
        drift[-tail:] -= 0.006
        idio_vol[-tail:] *= 1.6
    shocks = student_t(rng, 4.0, n) * idio_vol
    if life.ending == "acquired" and n > 60:
        shocks[n - 40] += np.log(1.25)  # the takeover premium on announcement day
        idio_vol[n - 39:] *= 0.2
        beta[n - 39:] *= 0.2
        shocks[n - 39:] *= 0.2
    returns = drift + beta * market + life.sector_loading * sector + shocks
    total_vol = np.sqrt((beta * factors.market_vol[rows]) ** 2 + idio_vol**2)
    return returns, total_vol


def _bridge(log_close: np.ndarray, waypoints: list[tuple[int, float]]) -> np.ndarray:
    """Tilt each segment's returns so the log path passes exactly through the waypoints."""
    out = log_close.copy()
    first, level = waypoints[0]
    out[:first + 1] = log_close[:first + 1] - log_close[first] + level
    for (a, la), (b, lb) in zip(waypoints, waypoints[1:], strict=False):
        seg = np.arange(a, b + 1)
        tilt = ((lb - la) - (log_close[b] - log_close[a])) * (seg - a) / (b - a)
        out[a:b + 1] = log_close[a:b + 1] - log_close[a] + la + tilt
    last, level = waypoints[-1]
    out[last:] = log_close[last:] - log_close[last] + level
    return out


def _threshold_splits(close: np.ndarray, dates: np.ndarray, threshold: float | None,
                      allow_reverse: bool) -> list[Split]:
    """Forward splits when the traded price passes the threshold; 1-for-10 under $1."""
    splits: list[Split] = []
    cum, t0, limit = 1.0, 20, len(close) - _SPLIT_DELAY - 1
    while t0 < limit:
        traded = close[t0:limit] / cum
        high = traded > threshold if threshold is not None else np.zeros(len(traded), bool)
        low = traded < 1.0 if allow_reverse else np.zeros(len(traded), bool)
        hits = np.flatnonzero(high | low)
        if not len(hits):
            break
        t = t0 + int(hits[0])
        if high[hits[0]]:
            wanted = np.abs(np.log(traded[hits[0]] / 100.0 / _SPLIT_RATIOS))
            ratio = float(_SPLIT_RATIOS[np.argmin(wanted)])
        else:
            ratio = _REVERSE_SPLIT_RATIO
        day = t + _SPLIT_DELAY
        splits.append(Split(dates[day], ratio))
        cum *= ratio
        t0 = day + _MIN_SESSIONS_BETWEEN_SPLITS
    return splits


def _cumulative_ratio(dates: np.ndarray, splits: list[Split]) -> np.ndarray:
    """Product of the ratios of splits effective on or before each day."""
    cum = np.ones(len(dates))
    for s in splits:
        cum[dates >= s.day] *= s.ratio
    return cum


def _ex_dates(dates: np.ndarray, life: Life, blocked: set) -> list[int]:
    """Session indices of quarterly ex-dates (never on a split day)."""
    first_year = dates[0].astype("datetime64[Y]").astype(int) + 1970
    last_year = dates[-1].astype("datetime64[Y]").astype(int) + 1970
    out = []
    for year in range(first_year, last_year + 1):
        for q in range(4):
            month = life.dividend_month + 3 * q
            target = np.datetime64(f"{year}-{month:02d}-{life.dividend_day:02d}")
            i = int(np.searchsorted(dates, target))
            while i < len(dates) and dates[i] in blocked:
                i += 1
            if 5 <= i < len(dates):
                out.append(i)
    return out


def _apply_dividends(close: np.ndarray, dates: np.ndarray, life: Life,
                     cum_ratio: np.ndarray, blocked: set) -> tuple[np.ndarray, list[Dividend]]:
    """Drop the price by each dividend on its ex-date; amounts reset yearly from the yield."""
    close = close.copy()
    dividends: list[Dividend] = []
    if life.dividends is not None:
        for first_ex, amount0, growth in life.dividends:
            start = int(np.searchsorted(dates, np.datetime64(first_ex)))
            for i in (i for i in _ex_dates(dates, life, blocked) if i >= start):
                years = (dates[i] - dates[start]).astype(int) / 365.25
                split_since = cum_ratio[i] / cum_ratio[start]
                amount = round(amount0 * growth ** int(years) / split_since, 4)
                close[i:] *= 1.0 - amount / close[i - 1]
                dividends.append(Dividend(dates[i], float(amount)))
        return close, dividends
    if life.dividend_yield <= 0:
        return close, dividends
    stop = len(dates) - (250 if life.ending == "bankrupt" else 0)
    amount, year = 0.0, None
    for i in _ex_dates(dates, life, blocked):
        if i >= stop:
            break
        this_year = dates[i].astype("datetime64[Y]")
        if this_year != year or cum_ratio[i] != cum_ratio[i - 1]:
            year = this_year
            amount = max(0.01, round(life.dividend_yield / 4 * close[i - 1], 2))
        close[i:] *= 1.0 - amount / close[i - 1]
        dividends.append(Dividend(dates[i], float(amount)))
    return close, dividends


def _round_price(x: np.ndarray) -> np.ndarray:
    """Cents, or hundredths of a cent below one dollar (as IB quotes sub-dollar stocks)."""
    return np.where(x >= 1.0, np.round(x, 2), np.round(x, 4))


def simulate(life: Life, factors: MarketFactors, rng: np.random.Generator) -> PriceHistory:
    """One company's bars from its first to its last listed session."""
    lo = int(np.searchsorted(factors.sessions, np.datetime64(life.first)))
    hi = int(np.searchsorted(factors.sessions, np.datetime64(life.last), side="right"))
    if hi - lo < 2:
        raise ValueError(f"listed life {life.first}..{life.last} has fewer than two sessions")
    dates = factors.sessions[lo:hi]
    returns, vol = factor_returns(life, factors, rng, slice(lo, hi))
    returns[0] = 0.0
    log_econ = np.log(life.start_price) + np.cumsum(returns)
    if life.splits is not None:
        splits = [Split(np.datetime64(d), r) for d, r in life.splits]
    else:
        splits = _threshold_splits(np.exp(log_econ), dates, life.split_threshold,
                                   allow_reverse=life.ending == "bankrupt")
    cum_ratio = _cumulative_ratio(dates, splits)
    blocked = {s.day for s in splits}
    drag = np.ones(len(dates))
    for _ in range(2 if life.waypoints else 1):  # the second pass pins closes after dividends
        if life.waypoints:
            points = [(int(np.searchsorted(dates, np.datetime64(d))), p)
                      for d, p in life.waypoints]
            points = [(i, float(np.log(p * cum_ratio[i] / drag[i])))
                      for i, p in points if i < len(dates)]
            log_econ = _bridge(log_econ, points)
            returns = np.diff(log_econ, prepend=log_econ[0])
        undivided = np.exp(log_econ) / cum_ratio
        close, dividends = _apply_dividends(undivided, dates, life, cum_ratio, blocked)
        drag = close / undivided
    close = _round_price(close)

    n = len(dates)
    overnight = 0.25 * returns + 0.3 * vol * rng.standard_normal(n)
    open_ = _round_price(close * np.exp(-(returns - overnight)))
    wick_up, wick_down = (0.6 * vol * np.abs(rng.standard_normal(n)) for _ in range(2))
    high = _round_price(np.maximum(open_, close) * np.exp(wick_up))
    low = _round_price(np.minimum(open_, close) * np.exp(-wick_down))
    typical = (high + low + 2 * close) / 4 * np.exp(0.1 * vol * rng.standard_normal(n))
    average = np.round(np.clip(typical, low, high), 4)

    years = (dates - dates[0]).astype(int) / 365.25
    shares = np.round(life.shares * cum_ratio * np.exp(-life.buyback_rate * years), -3)
    activity = 0.6 + 0.5 * np.abs(returns) / np.maximum(vol, 1e-9)
    volume = shares * life.turnover * np.exp(0.35 * rng.standard_normal(n)) * activity
    if life.is_ipo:
        volume[0] *= 12.0
    volume = np.round(volume)
    trade = life.trade_size * np.exp(0.2 * rng.standard_normal(n))
    bar_count = np.maximum(1, np.round(volume / trade)).astype(np.int64)

    step = np.ones(n)  # factor applying to days strictly before each event
    for s in splits:
        step[dates == s.day] /= s.ratio
    split_step = step.copy()
    for d in dividends:
        i = int(np.searchsorted(dates, d.day))
        step[i] *= 1.0 - d.amount / close[i - 1]
    price_factor = np.append(np.cumprod(step[::-1])[::-1][1:], 1.0)
    volume_factor = 1.0 / np.append(np.cumprod(split_step[::-1])[::-1][1:], 1.0)
    return PriceHistory(dates, open_, high, low, close, average, volume, bar_count, shares,
                        price_factor, volume_factor, returns, tuple(splits), tuple(dividends))
