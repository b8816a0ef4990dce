"""A month of a business calendar as the set-up page shows it: which days work, and why. Pure.

Each day gets a *kind* that says why it works or not, in the order the calendar decides
(:meth:`cti.tickets.calendar.BusinessCalendar.wall_hours`):

* working: ``open`` (24×7), ``extra_on`` (a local extra working day), ``makeup`` (a Saturday or
  Sunday China's calendar makes a working day, 调休), ``work`` (its weekday's hours);
* closed: ``extra_off`` (a local extra day off), ``holiday`` (a statutory holiday, or a weekday
  given off for one), ``rest`` (a weekday without hours: the weekend).

A day of a year the holiday data does not cover is counted like a year without holidays and marked
``no_data``.

>>> import datetime as dt
>>> from zoneinfo import ZoneInfo
>>> from cti.tickets.calendar import BusinessCalendar
>>> cal = BusinessCalendar(ZoneInfo("Asia/Shanghai"), extra_off=frozenset({dt.date(2026, 10, 9)}))
>>> weeks = month(cal, 2026, 10, today=dt.date(2026, 10, 8))
>>> [(d.day.day, d.kind, d.holiday) for d in weeks[0] if d is not None][:4]
[(1, 'holiday', 'national_day'), (2, 'holiday', 'national_day'), (3, 'holiday', 'national_day'), (4, 'holiday', 'national_day')]
>>> [(d.day.day, d.kind, d.working, d.today) for d in weeks[1][3:6]]
[(8, 'work', True, True), (9, 'extra_off', False, False), (10, 'makeup', True, False)]
"""

from __future__ import annotations

import calendar as gregorian
import datetime as dt
from dataclasses import dataclass

import chinese_calendar

from cti.tickets.calendar import BusinessCalendar, ChinaHolidays, Interval

WORKING_KINDS = ("work", "makeup", "extra_on", "open")
CLOSED_KINDS = ("rest", "holiday", "extra_off")
_HOLIDAYS = {h.value: h.name for h in chinese_calendar.Holiday}  # "National Day" -> "national_day"


@dataclass(frozen=True, slots=True)
class Day:
    day: dt.date
    kind: str  # one of WORKING_KINDS or CLOSED_KINDS
    working: bool
    hours: tuple[Interval, ...]  # local wall-clock intervals
    holiday: str = ""  # the statutory holiday it belongs to (chinese_calendar.Holiday's name), if any
    no_data: bool = False  # the holiday data has no such year: counted as weekends only
    today: bool = False


def day_of(cal: BusinessCalendar, day: dt.date, today: dt.date | None = None) -> Day:
    """One day of ``cal``: whether it works, its hours and why."""
    hours = cal.wall_hours(day)
    source = None if cal.always_open else cal.holidays
    covered = source is not None and source.covers(day.year)
    holiday = _holiday(day) if covered else ""
    if hours:
        if cal.always_open:
            kind = "open"
        elif day in cal.extra_on:
            kind = "extra_on"
        elif covered and day.weekday() >= 5 and source.is_workday(day):
            kind = "makeup"
        else:
            kind = "work"
    elif day in cal.extra_off:
        kind = "extra_off"
    elif covered and (source.is_holiday(day) or (day.weekday() < 5 and not source.is_workday(day))):
        kind = "holiday"
    else:
        kind = "rest"
    return Day(day, kind, bool(hours), tuple(hours), holiday, source is not None and not covered, day == today)


def month(cal: BusinessCalendar, year: int, number: int, *, today: dt.date | None = None) -> list[list[Day | None]]:
    """The weeks of a month, Monday first; days outside the month are None."""
    weeks = gregorian.Calendar(firstweekday=0).monthdatescalendar(year, number)
    return [[day_of(cal, d, today) if d.month == number else None for d in week] for week in weeks]


def next_month(day: dt.date) -> tuple[int, int]:
    """The year and number of the month after ``day``'s.

    >>> next_month(dt.date(2026, 12, 2)), next_month(dt.date(2026, 1, 31))
    ((2027, 1), (2026, 2))
    """
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def holiday_data() -> tuple[str, int, int]:
    """The holiday data's version and the years it covers (``chinesecalendar``)."""
    years = sorted(d.year for d in chinese_calendar.holidays)
    return getattr(chinese_calendar, "__version__", "?"), years[0], years[-1]


def missing_years(years: list[int]) -> list[int]:
    """Those of ``years`` China's holiday data does not cover (their days count weekends only).

    >>> missing_years([1999, 2020])
    [1999]
    """
    return [y for y in years if not ChinaHolidays().covers(y)]


def _holiday(day: dt.date) -> str:
    _, name = chinese_calendar.get_holiday_detail(day)
    return _HOLIDAYS.get(name or "", "")
