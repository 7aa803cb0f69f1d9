"""Final ("true") values of the macro series, driven by the same cycle and market factor as prices.

Daily series live on weekdays (NaN on NYSE holidays, as FRED shows '.'), weekly ones on their
week-ending weekday, monthly ones on the first of the month, quarterly ones on the quarter's first
day, like FRED's observation dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.synthetic.market import MarketFactors
from ingestion.synthetic.rng import key_rng


@dataclass(frozen=True)
class Observed:
    dates: np.ndarray  # datetime64[D]
    values: np.ndarray  # float, NaN where the source publishes no value


def _ou(rng: np.random.Generator, n: int, sd: float, reversion: float) -> np.ndarray:
    """An Ornstein-Uhlenbeck path with daily shock ``sd`` pulled back at ``reversion`` a step."""
    out, x = np.empty(n), 0.0
    for i, e in enumerate(rng.normal(0, sd, n)):
        x += -reversion * x + e
        out[i] = x
    return out


class MacroWorld:
    """Every synthetic macro series of one seed, computed once from the shared factors."""

    def __init__(self, seed: int, factors: MarketFactors) -> None:
        self.seed, self.f = seed, factors
        first, last = factors.sessions[0], factors.sessions[-1]
        self.weekdays = pd.bdate_range(str(first), str(last)).values.astype("datetime64[D]")
        self.open = np.isin(self.weekdays, factors.sessions)
        pos = np.searchsorted(factors.sessions, self.weekdays, side="right") - 1
        self.market_vol = factors.market_vol[np.maximum(pos, 0)]
        self.recession_day = factors.in_recession(self.weekdays)
        self.months = factors.months.astype("datetime64[D]")
        self.recession_month = factors.recession
        self.series: dict[str, Observed] = {}
        self._daily()
        self._weekly()
        self._monthly()
        self._quarterly()

    def rng(self, name: str) -> np.random.Generator:
        return key_rng(self.seed, "macro", name)

    def _put_daily(self, name: str, values: np.ndarray, decimals: int) -> None:
        self.series[name] = Observed(self.weekdays,
                                     np.where(self.open, np.round(values, decimals), np.nan))

    def _daily(self) -> None:
        n, rng = len(self.weekdays), self.rng("rates")
        target = np.empty(n)
        rate, month = 1.0, None
        for i, day in enumerate(self.weekdays):
            this_month = day.astype("datetime64[M]")
            meeting = (this_month != month and (this_month.astype(int) % 12) in (0, 2, 4, 5, 6, 8,
                                                                                  10, 11)
                       and int(str(day)[8:10]) >= 15)
            if meeting:
                month = this_month
                if self.recession_day[i]:
                    rate = max(0.125, rate - (0.5 if rng.random() < 0.8 else 0.0))
                elif rng.random() < (0.35 if rate < 4.5 else 0.05):
                    rate += 0.25
                elif rng.random() < 0.05:
                    rate = max(0.125, rate - 0.25)
            target[i] = rate
        self.policy = target
        self.effective = target + 0.03 + rng.normal(0, 0.01, n)
        recession = self.recession_day.astype(float)
        ten = np.maximum(0.5, 1.8 + 0.45 * target - 0.4 * recession + _ou(rng, n, 0.055, 0.004))
        two = np.maximum(0.05, 0.85 * target + 0.25 + 0.3 * (ten - ten.mean())
                         + _ou(rng, n, 0.04, 0.02))
        thirty = ten + 0.35 + _ou(rng, n, 0.02, 0.02)
        self._put_daily("DGS3MO", np.maximum(0.01, target + 0.05 + _ou(rng, n, 0.02, 0.05)), 2)
        self._put_daily("DGS2", two, 2)
        self._put_daily("DGS10", ten, 2)
        self._put_daily("DGS30", thirty, 2)
        t10y2y = np.round(ten, 2) - np.round(two, 2)
        self._put_daily("T10Y2Y", t10y2y, 2)
        self._put_daily("T10Y3M", np.round(ten, 2) - np.round(target + 0.05, 2), 2)
        infl = self.rng("breakevens")
        five = 2.0 - 0.6 * recession + _ou(infl, n, 0.025, 0.01)
        self._put_daily("T5YIE", five, 2)
        self._put_daily("T10YIE", 0.8 * five + 0.45 + _ou(infl, n, 0.01, 0.02), 2)
        risk = self.rng("risk")
        vix = 100 * np.sqrt(252) * self.market_vol * 1.15 * np.exp(0.05 * risk.standard_normal(n))
        self.vix = vix
        self._put_daily("VIXCLS", vix, 2)
        self._put_daily("BAMLC0A0CM", 0.55 + 0.035 * vix + _ou(risk, n, 0.02, 0.02), 2)
        self._put_daily("BAMLH0A0HYM2", 1.6 + 0.16 * vix + _ou(risk, n, 0.05, 0.02), 2)
        pos = np.searchsorted(self.f.sessions, self.weekdays, side="right") - 1
        index = 2000 * np.exp(np.cumsum(self.f.market))[np.maximum(pos, 0)]
        self._put_daily("SP500", index, 2)
        market = (self.f.market - self.f.market.mean())[np.maximum(pos, 0)] * self.open
        dollar = 110 * np.exp(np.cumsum(0.003 * risk.standard_normal(n) - 0.15 * market))
        self._put_daily("DTWEXBGS", dollar, 4)
        self.ten, self.recession = ten, recession

    def _weekly_days(self, weekday: int) -> np.ndarray:
        """Week-ending dates (0=Monday) covered by the weekday grid."""
        days = self.weekdays[0] + np.arange((self.weekdays[-1] - self.weekdays[0]).astype(int) + 1)
        return days[((days.astype(int) + 3) % 7) == weekday]

    def _at(self, values: np.ndarray, days: np.ndarray) -> np.ndarray:
        return values[np.clip(np.searchsorted(self.weekdays, days, side="right") - 1, 0, None)]

    def _weekly(self) -> None:
        rng = self.rng("weekly")
        thursdays = self._weekly_days(3)
        self.series["MORTGAGE30US"] = Observed(thursdays, np.round(
            self._at(self.ten, thursdays) + 1.75 + _ou(rng, len(thursdays), 0.05, 0.1), 2))
        wednesdays = self._weekly_days(2)
        growth = 0.0005 + 0.006 * self._at(self.recession, wednesdays)
        walcl = 4.2e6 * np.exp(np.cumsum(growth + rng.normal(0, 0.002, len(wednesdays))))
        self.series["WALCL"] = Observed(wednesdays, np.round(walcl))
        fridays = self._weekly_days(4)
        stress = self._at(self.vix, fridays) - 17.0
        nfci = -0.5 + 0.04 * stress + _ou(rng, len(fridays), 0.03, 0.1)
        self.series["NFCI"] = Observed(fridays, np.round(nfci, 5))
        self.series["ANFCI"] = Observed(fridays, np.round(
            0.7 * nfci + 0.1 + _ou(rng, len(fridays), 0.03, 0.1), 5))
        self.series["STLFSI4"] = Observed(fridays, np.round(
            -0.6 + 0.09 * stress + _ou(rng, len(fridays), 0.05, 0.2), 4))
        saturdays = self._weekly_days(5)
        ramp = np.convolve(self._at(self.recession, saturdays), np.ones(8) / 8)[:len(saturdays)]
        claims = 215000 * np.exp(_ou(rng, len(saturdays), 0.04, 0.1)) * (1 + 0.8 * ramp)
        self.series["ICSA"] = Observed(saturdays, np.round(claims, -3))

    def _monthly(self) -> None:
        rng, m = self.rng("monthly"), len(self.months)
        rec = self.recession_month.astype(float)
        core = 0.0020 + _ou(rng, m, 0.0006, 0.3) - 0.0005 * rec
        headline = core + _ou(rng, m, 0.002, 0.7)
        put = self.series.__setitem__
        put("CPIAUCSL", Observed(self.months, np.round(237.0 * np.cumprod(1 + headline), 3)))
        put("CPILFESL", Observed(self.months, np.round(244.0 * np.cumprod(1 + core), 3)))
        put("PCEPILFE", Observed(self.months, np.round(
            108.0 * np.cumprod(1 + 0.85 * core + rng.normal(0, 0.0003, m)), 3)))
        unemployment = np.empty(m)
        u = 4.6
        for i in range(m):
            u += (0.35 if rec[i] else -0.04 * (u > 3.6)) + rng.normal(0, 0.08)
            unemployment[i] = min(max(u, 3.4), 11.0)
        put("UNRATE", Observed(self.months, np.round(unemployment, 1)))
        put("U6RATE", Observed(self.months, np.round(1.8 * unemployment + 0.4
                                                     + rng.normal(0, 0.15, m), 1)))
        change = 180 - 900 * np.diff(unemployment, prepend=unemployment[0]) + rng.normal(0, 50, m)
        put("PAYEMS", Observed(self.months, np.round(143000 + np.cumsum(change))))
        put("INDPRO", Observed(self.months, np.round(103 * np.exp(np.cumsum(
            0.0012 - 0.012 * rec + rng.normal(0, 0.004, m))), 4)))
        put("RSXFS", Observed(self.months, np.round(440000 * np.exp(np.cumsum(
            0.003 + headline - 0.01 * rec + rng.normal(0, 0.006, m))))))
        ramp = np.convolve(rec, np.ones(6) / 6)[:m]
        put("HOUST", Observed(self.months, np.round(
            1250 * np.exp(_ou(rng, m, 0.06, 0.2) - 0.3 * ramp))))
        yearly = np.convolve(headline, np.ones(12))[:m]
        put("UMCSENT", Observed(self.months, np.round(
            95 - 4 * (unemployment - 4) - 300 * (yearly - 0.024) + rng.normal(0, 2, m), 1)))
        put("M2SL", Observed(self.months, np.round(12500 * np.exp(np.cumsum(
            0.004 + 0.01 * rec + rng.normal(0, 0.002, m))), 1)))
        put("CFNAI", Observed(self.months, np.round(0.1 - 1.6 * rec + rng.normal(0, 0.3, m), 2)))
        pos = np.searchsorted(self.weekdays, self.months)
        monthly_rate = np.array([self.effective[a:b].mean() for a, b in
                                 zip(pos, np.append(pos[1:], len(self.weekdays)), strict=True)])
        put("FEDFUNDS", Observed(self.months, np.round(monthly_rate, 2)))
        put("USREC", Observed(self.months, rec.copy()))
        self.headline = headline

    def _quarterly(self) -> None:
        rng = self.rng("quarterly")
        starts = self.months[(self.months.astype("datetime64[M]").astype(int) % 3) == 0]
        idx = np.searchsorted(self.months, starts)
        rec = self.recession_month[idx].astype(float)
        real = 18000 * np.cumprod(1 + 0.006 - 0.02 * rec + rng.normal(0, 0.004, len(starts)))
        prices = np.cumprod(1 + np.array([self.headline[i:i + 3].sum() for i in idx]) * 0.85)
        self.series["GDPC1"] = Observed(starts, np.round(real, 3))
        self.series["GDP"] = Observed(starts, np.round(real * prices, 3))
