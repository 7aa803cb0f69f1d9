"""Query parameters for IB daily bars and how they become IB historical-data requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ib_async import Stock
from pydantic import BaseModel, Field, field_validator, model_validator

WhatToShow = Literal["TRADES", "ADJUSTED_LAST"]
WHAT_TO_SHOW: tuple[WhatToShow, ...] = ("TRADES", "ADJUSTED_LAST")
BAR_SIZE = "1 day"
DEFAULT_LOOKBACK_YEARS = 10


class IbBarsQuery(BaseModel):
    """One symbol's daily bars of one kind over an inclusive date window."""

    symbol: str = Field(description="Ticker as the project spells it (e.g. 'BRK.B').")
    what_to_show: WhatToShow = Field(
        description="TRADES (unadjusted) or ADJUSTED_LAST (split and dividend adjusted)."
    )
    start: date | None = Field(None, description="First bar date wanted (inclusive).")
    end: date | None = Field(None, description="Last bar date wanted (inclusive).")

    @field_validator("symbol")
    @classmethod
    def _symbol_is_given(cls, value: str) -> str:
        value = value.strip().upper()
        if not value:
            raise ValueError("symbol must not be empty")
        return value

    @model_validator(mode="after")
    def _window_is_ordered(self) -> IbBarsQuery:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


def ib_symbol(symbol: str) -> str:
    """IB spells share classes with a space: 'BRK.B' and 'BRK-B' are 'BRK B' at IB."""
    return symbol.strip().upper().replace(".", " ").replace("-", " ")


def stock_contract(symbol: str) -> Stock:
    """The IB contract for a US stock routed through SMART."""
    return Stock(ib_symbol(symbol), "SMART", "USD")


@dataclass(frozen=True)
class HistoricalRequest:
    """The arguments of one ``reqHistoricalDataAsync`` call (daily bars, regular hours)."""

    symbol: str
    what_to_show: WhatToShow
    end_date_time: str
    duration: str
    first: date  # bars outside [first, last] belong to another chunk or outside the window
    last: date

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What IB compares when it forbids identical requests within 15 seconds."""
        return (ib_symbol(self.symbol), self.what_to_show, self.end_date_time, self.duration)

    def describe(self) -> str:
        end = self.end_date_time or "now"
        return (f"reqHistoricalData {ib_symbol(self.symbol)} STK SMART USD {self.what_to_show} "
                f"{self.duration} ending {end}")


def ib_end_date_time(day: date) -> str:
    """IB's endDateTime for the end of ``day`` in New York time (independent of the local TZ)."""
    return f"{day:%Y%m%d} 23:59:59 US/Eastern"


def default_window(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """Fill an open window: end defaults to today, start to DEFAULT_LOOKBACK_YEARS before end."""
    end = min(end or today, today)
    start = start or _years_before(end, DEFAULT_LOOKBACK_YEARS) + timedelta(days=1)
    return start, end


def trades_requests(symbol: str, start: date, end: date) -> list[HistoricalRequest]:
    """TRADES window as oldest-first chunks: whole years as '1 Y', the remainder as 'N D'."""
    requests = []
    chunk_start = start
    while chunk_start <= end:
        year_end = _years_after(chunk_start, 1) - timedelta(days=1)
        if year_end <= end:
            chunk_end, duration = year_end, "1 Y"
        else:
            chunk_end, duration = end, f"{(end - chunk_start).days + 1} D"
        requests.append(HistoricalRequest(symbol, "TRADES", ib_end_date_time(chunk_end), duration,
                                          chunk_start, chunk_end))
        chunk_start = chunk_end + timedelta(days=1)
    return requests


def adjusted_last_request(symbol: str, start: date, end: date, today: date) -> HistoricalRequest:
    """ADJUSTED_LAST only accepts endDateTime='' (now): one request reaching back to ``start``."""
    years = today.year - start.year + (1 if (today.month, today.day) > (start.month, start.day)
                                       else 0)
    return HistoricalRequest(symbol, "ADJUSTED_LAST", "", f"{max(years, 1)} Y", start, end)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _years_before(day: date, years: int) -> date:
    return _years_after(day, -years)
