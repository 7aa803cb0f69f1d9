"""Write seeds/reference/nyse_holidays.csv: NYSE full closures and early closes, 1990-2035.

Rules (NYSE Rule 7.2 and the exchange's published calendars):
- New Year's Day, Jan 1; on a Sunday the Monday is closed; on a Saturday nothing is (the
  exchange does not close the Friday before, which is the previous year's last session).
- Martin Luther King Jr. Day, 3rd Monday of January, from 1998.
- Washington's Birthday / Presidents' Day, 3rd Monday of February.
- Good Friday, two days before Western Easter (anonymous Gregorian computus).
- Memorial Day, last Monday of May.
- Juneteenth, June 19 from 2022 (weekend rule as below).
- Independence Day, July 4; Christmas, December 25: a Saturday moves to the Friday before, a
  Sunday to the Monday after.
- Labor Day, 1st Monday of September; Thanksgiving, 4th Thursday of November.
- One-off closures: national days of mourning and emergencies (listed in SPECIAL_CLOSURES).
- Early closes at 13:00 New York: the day after Thanksgiving, December 24 and July 3 when they are
  Monday-Thursday sessions (applied uniformly; the exchange's pre-2010 exceptions, e.g. the 1990s
  July 3 full sessions, are not modelled).

Run: python dbt_project/scripts/generate_nyse_holidays.py
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

FIRST_YEAR, LAST_YEAR = 1990, 2035
OUTPUT = Path(__file__).resolve().parent.parent / "seeds" / "reference" / "nyse_holidays.csv"

SPECIAL_CLOSURES = {
    date(1994, 4, 27): "National Day of Mourning (Richard Nixon)",
    date(2001, 9, 11): "September 11 attacks",
    date(2001, 9, 12): "September 11 attacks",
    date(2001, 9, 13): "September 11 attacks",
    date(2001, 9, 14): "September 11 attacks",
    date(2004, 6, 11): "National Day of Mourning (Ronald Reagan)",
    date(2007, 1, 2): "National Day of Mourning (Gerald Ford)",
    date(2012, 10, 29): "Hurricane Sandy",
    date(2012, 10, 30): "Hurricane Sandy",
    date(2018, 12, 5): "National Day of Mourning (George H. W. Bush)",
    date(2025, 1, 9): "National Day of Mourning (Jimmy Carter)",
}


def easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (Monday=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def observed(day: date) -> date:
    """Saturday holidays move to Friday, Sunday holidays to Monday."""
    return {5: day - timedelta(days=1), 6: day + timedelta(days=1)}.get(day.weekday(), day)


def full_closures(year: int) -> dict[date, str]:
    days = {
        nth_weekday(year, 2, 0, 3): "Washington's Birthday",
        easter(year) - timedelta(days=2): "Good Friday",
        nth_weekday(year, 5, 0, -1): "Memorial Day",
        observed(date(year, 7, 4)): "Independence Day",
        nth_weekday(year, 9, 0, 1): "Labor Day",
        nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
        observed(date(year, 12, 25)): "Christmas Day",
    }
    new_year = date(year, 1, 1)
    if new_year.weekday() != 5:
        days[observed(new_year)] = "New Year's Day"
    if year >= 1998:
        days[nth_weekday(year, 1, 0, 3)] = "Martin Luther King Jr. Day"
    if year >= 2022:
        days[observed(date(year, 6, 19))] = "Juneteenth"
    days |= {d: name for d, name in SPECIAL_CLOSURES.items() if d.year == year}
    return days


def early_closes(year: int, closed: dict[date, str]) -> dict[date, str]:
    candidates = {
        nth_weekday(year, 11, 3, 4) + timedelta(days=1): "Day after Thanksgiving",
        date(year, 12, 24): "Christmas Eve",
        date(year, 7, 3): "Day before Independence Day",
    }
    return {d: name for d, name in candidates.items() if d.weekday() < 5 and d not in closed
            and (name == "Day after Thanksgiving" or d.weekday() < 4)}


def rows() -> list[tuple[str, str, str, str]]:
    out = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        closed = full_closures(year)
        out += [(d.isoformat(), "closed", name, "") for d, name in closed.items()]
        out += [(d.isoformat(), "early_close", name, "13:00")
                for d, name in early_closes(year, closed).items()]
    return sorted(out)


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["calendar_date", "closure_kind", "holiday_name", "close_time_local"])
        writer.writerows(rows())


if __name__ == "__main__":
    main()
