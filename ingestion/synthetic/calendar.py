"""NYSE trading calendar: weekdays minus the exchange's full-day holidays.

Rules (NYSE since 1998): New Year's Day (Sunday -> Monday; a Saturday New Year is not moved to
Friday), Martin Luther King Jr. Day, Washington's Birthday, Good Friday, Memorial Day, Juneteenth
(from 2022), Independence Day, Labor Day, Thanksgiving and Christmas (Saturday -> Friday,
Sunday -> Monday), plus the unscheduled closures listed in ``SPECIAL_CLOSURES``. Early closes are
full sessions here.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
    sunday_to_monday,
)

SPECIAL_CLOSURES = (
    "2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14",  # September 11
    "2004-06-11",  # Reagan funeral
    "2007-01-02",  # Ford funeral
    "2012-10-29", "2012-10-30",  # Hurricane Sandy
    "2018-12-05",  # G. H. W. Bush funeral
    "2025-01-09",  # Carter funeral
)


class NyseHolidayCalendar(AbstractHolidayCalendar):
    """NYSE full-day holidays as pandas holiday rules."""

    rules = [
        Holiday("New Year's Day", month=1, day=1, observance=sunday_to_monday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01",
                observance=nearest_workday),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas", month=12, day=25, observance=nearest_workday),
    ]


def nyse_holidays(start: date, end: date) -> np.ndarray:
    """Weekday dates in [start, end] on which the NYSE is closed (datetime64[D])."""
    rule_days = NyseHolidayCalendar().holidays(start=start, end=end).values.astype("datetime64[D]")
    special = np.array(SPECIAL_CLOSURES, dtype="datetime64[D]")
    special = special[(special >= np.datetime64(start)) & (special <= np.datetime64(end))]
    days = np.union1d(rule_days, special)
    return days[np.is_busday(days)]


def trading_days(start: date, end: date) -> np.ndarray:
    """NYSE sessions in [start, end] as datetime64[D], ascending."""
    weekdays = pd.bdate_range(start, end).values.astype("datetime64[D]")
    return np.setdiff1d(weekdays, nyse_holidays(start, end), assume_unique=True)
