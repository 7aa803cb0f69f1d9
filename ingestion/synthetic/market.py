"""Shared drivers: the business cycle, a GARCH market factor and eleven sector factors.

Prices, fundamentals and macro series all read these, so a recession shows up at once in
returns, volatility, credit spreads, unemployment and the recession indicator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from ingestion.synthetic.calendar import trading_days
from ingestion.synthetic.rng import key_rng, student_t
from ingestion.synthetic.sectors import SECTORS

MARKET_DAILY_VOL = 0.010  # ~16% a year in calm times
SECTOR_DAILY_VOL = 0.006
_SECTOR_VOL_SCALE = {"Energy": 1.7, "Utilities": 0.8, "Consumer Staples": 0.8,
                     "Information Technology": 1.2, "Real Estate": 1.1}
_GARCH_ALPHA, _GARCH_BETA = 0.09, 0.89
_DRIFT_EXPANSION, _DRIFT_RECESSION = 0.00035, -0.0018
_RECESSION_VOL_SCALE = 1.8


@dataclass(frozen=True)
class MarketFactors:
    """Daily factor paths over every NYSE session of the history window."""

    sessions: np.ndarray  # datetime64[D]
    market: np.ndarray  # market log returns
    market_vol: np.ndarray  # conditional daily volatility of the market
    sectors: np.ndarray  # (sessions, 11) sector log returns
    months: np.ndarray  # datetime64[M], every month of the window
    recession: np.ndarray  # bool per month

    def in_recession(self, days: np.ndarray) -> np.ndarray:
        """Whether each day falls in a recession month."""
        pos = (days.astype("datetime64[M]") - self.months[0]).astype(int)
        return self.recession[np.clip(pos, 0, len(self.months) - 1)]


def recession_months(seed: int, months: np.ndarray) -> np.ndarray:
    """A two-state monthly business cycle; at least one recession in any window of 3+ years."""
    rng = key_rng(seed, "macro", "cycle")
    state, out = False, np.zeros(len(months), dtype=bool)
    draws = rng.random(len(months))
    for i, u in enumerate(draws):
        state = (u > 1 / 9) if state else (u < 1 / 90)
        out[i] = state
    if not out.any() and len(months) >= 36:
        begin = int(rng.integers(6, len(months) - 12))
        out[begin:begin + int(rng.integers(2, 11))] = True
    return out


@lru_cache(maxsize=8)
def market_factors(seed: int, start: date, end: date) -> MarketFactors:
    """The factor paths for ``seed`` over NYSE sessions in [start, end] (cached)."""
    sessions = trading_days(start, end)
    months = np.arange(sessions[0].astype("datetime64[M]"),
                       sessions[-1].astype("datetime64[M]") + 1)
    recession = recession_months(seed, months)
    day_in_recession = recession[(sessions.astype("datetime64[M]") - months[0]).astype(int)]
    rng = key_rng(seed, "market")
    shocks = student_t(rng, 5.0, len(sessions))
    target_var = (MARKET_DAILY_VOL * np.where(day_in_recession, _RECESSION_VOL_SCALE, 1.0)) ** 2
    omega = target_var * (1 - _GARCH_ALPHA - _GARCH_BETA)
    drift = np.where(day_in_recession, _DRIFT_RECESSION, _DRIFT_EXPANSION)
    market, vol = np.empty(len(sessions)), np.empty(len(sessions))
    var = target_var[0]
    for t in range(len(sessions)):  # GARCH(1,1) needs the previous day's shock
        vol[t] = np.sqrt(var)
        market[t] = drift[t] + vol[t] * shocks[t]
        var = omega[t] + _GARCH_ALPHA * (market[t] - drift[t]) ** 2 + _GARCH_BETA * var
    scale = np.array([_SECTOR_VOL_SCALE.get(s.name, 1.0) for s in SECTORS]) * SECTOR_DAILY_VOL
    sectors = student_t(key_rng(seed, "sectors"), 4.0, (len(sessions), len(SECTORS))) * scale
    return MarketFactors(sessions, market, vol, sectors, months, recession)
