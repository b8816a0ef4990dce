"""Business calendar: working hours, China's holidays and make-up days (调休), business-time arithmetic.

Pure: aware datetimes in, aware UTC datetimes out; nothing here reads the clock.

>>> import datetime as dt
>>> from zoneinfo import ZoneInfo
>>> SH = ZoneInfo("Asia/Shanghai")
>>> cal = BusinessCalendar(SH)  # Monday-Friday 09:00-18:00, China's holidays
>>> cal.add(dt.datetime(2026, 3, 2, 17, 0, tzinfo=SH), 2 * 3600)  # Monday 17:00 + 2 h: Tuesday 10:00
datetime.datetime(2026, 3, 3, 2, 0, tzinfo=datetime.timezone.utc)
>>> due = cal.add(dt.datetime(2026, 9, 30, 16, 0, tzinfo=SH), 24 * 3600)  # over National Day week
>>> due.astimezone(SH).strftime("%a %Y-%m-%d %H:%M")  # 2 h + Oct 8, Oct 9, then make-up Saturday
'Sat 2026-10-10 13:00'
>>> cal.between(dt.datetime(2026, 9, 30, 16, 0, tzinfo=SH), due) / 3600
24.0
>>> cal.covers(2027), cal.missing_years(due, due + dt.timedelta(days=100))
(False, {2027})

Which hours a day has (the first rule that applies):

1. ``always_open``: all of it; business time is real elapsed time (UTC arithmetic: a DST night
   counts its real 23 or 25 hours).  2. An ``extra_off`` day: none.
3. An ``extra_on`` day: its weekday's hours, but the make-up hours on a Saturday or Sunday or when
   its weekday has none. *Make-up hours* are those of ``makeup_hours_weekday`` (Monday by default:
   a make-up day is a full working day).  4. No holiday source (``holidays=None``): its weekday's.
5. A day the source calls a statutory holiday, or a Monday-Friday it calls no workday: none (a
   Saturday inside a week off is closed, even on a calendar with Saturday hours).
6. A Saturday or Sunday the source calls a workday (调休 make-up day): the make-up hours.
7. Otherwise its weekday's hours (an ordinary weekend keeps the weekend hours it has).

A year the source has no data for (chinesecalendar: 2004-2026) is not an error during arithmetic:
those days fall back to :class:`WeekendsOnly`, so a ticket still gets a due time; the caller asks
:meth:`BusinessCalendar.covers` / :meth:`BusinessCalendar.missing_years` and says so. With
``strict=True`` such a day raises :class:`CalendarDataMissing` instead.

Hours are local wall-clock intervals ``(start, end)``, several a day allowed (a lunch break), sorted
and not overlapping. ``end == time.max`` means 24:00 (the next local midnight, no microsecond lost);
``time(0, 0)`` is refused as an end. Wall times become instants with zoneinfo's PEP 495 reading
with ``fold=0``: an ambiguous time (the repeated hour of a fall-back night) is its first
occurrence; a time in a spring-forward gap is read with the offset before the gap, so it lands as
much later as the gap is long (New York 02:30 on 2026-03-08 is 03:30 EDT). Intervals that this
makes overlap are clipped, and any left empty are dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

import chinese_calendar

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
US = dt.timedelta(microseconds=1)
MIDNIGHT = dt.time(0, 0)
END_OF_DAY = dt.time.max  # as an interval's end: 24:00
DEFAULT_HOURS = {weekday: ((dt.time(9, 0), dt.time(18, 0)),) for weekday in range(5)}  # Mon-Fri 09-18
MAX_CLOSED_DAYS = 366  # add() gives up after this many days in a row without working time
CACHE_DAYS = 20_000  # per-calendar day cache; cleared whole when full
_CN_YEARS = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)

Interval = tuple[dt.time, dt.time]
Hours = Mapping[int, Sequence[Interval]] | Sequence[Sequence[Interval]]  # the second: indexed by weekday


class CalendarDataMissing(Exception):
    """The holiday source has no data for ``year`` (raised by a ``strict`` calendar only)."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year

    def __str__(self) -> str:
        return f"no holiday data for {self.year} (update chinesecalendar, or use a non-strict calendar)"


class HolidaySource(Protocol):
    def is_workday(self, day: dt.date) -> bool: ...  # a working day, weekends and make-up days included
    def is_holiday(self, day: dt.date) -> bool: ...  # a statutory day off (may fall on a weekend)
    def covers(self, year: int) -> bool: ...  # has data for this year; else the others may raise


@dataclass(frozen=True, slots=True)
class ChinaHolidays:
    """China's official calendar from chinesecalendar: weekends, statutory holidays, 调休 make-up days."""

    def is_workday(self, day: dt.date) -> bool:
        return chinese_calendar.is_workday(day)

    def is_holiday(self, day: dt.date) -> bool:
        return day in chinese_calendar.holidays

    def covers(self, year: int) -> bool:
        return _CN_YEARS[0] <= year <= _CN_YEARS[1]


@dataclass(frozen=True, slots=True)
class WeekendsOnly:
    """Monday-Friday work, Saturday and Sunday off, no holidays; every year."""

    def is_workday(self, day: dt.date) -> bool:
        return day.weekday() < 5

    def is_holiday(self, day: dt.date) -> bool:
        return False

    def covers(self, year: int) -> bool:
        return True


FALLBACK = WeekendsOnly()


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Working time in one zone; see the module's docstring for the rules.

    ``hours`` maps a weekday (0 = Monday … 6 = Sunday) to its intervals (a weekday left out has
    none); default Monday-Friday 09:00-18:00. It is kept as a 7-tuple indexed by weekday.
    """

    zone: ZoneInfo
    hours: Hours | None = None
    _: KW_ONLY
    holidays: HolidaySource | None = ChinaHolidays()
    extra_off: frozenset[dt.date] = frozenset()
    extra_on: frozenset[dt.date] = frozenset()
    always_open: bool = False
    makeup_hours_weekday: int = 0
    strict: bool = False
    _days: dict[int, tuple[tuple[int, int], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )  # local day's ordinal -> its intervals in UTC microseconds

    def __post_init__(self) -> None:
        if not isinstance(self.zone, dt.tzinfo):
            raise ValueError(f"zone must be a ZoneInfo, not {self.zone!r}")
        setter = object.__setattr__
        setter(self, "hours", _check_hours(DEFAULT_HOURS if self.hours is None else self.hours))
        setter(self, "extra_off", _dates("extra_off", self.extra_off))
        setter(self, "extra_on", _dates("extra_on", self.extra_on))
        if both := self.extra_off & self.extra_on:
            raise ValueError(f"days both in extra_off and extra_on: {', '.join(map(str, sorted(both)))}")
        if self.makeup_hours_weekday not in range(7):
            raise ValueError(f"makeup_hours_weekday must be 0 (Monday) to 6, not {self.makeup_hours_weekday!r}")

    @classmethod
    def twenty_four_seven(cls, zone: ZoneInfo) -> BusinessCalendar:
        """Always open: business time is real elapsed time."""
        return cls(zone, holidays=None, always_open=True)

    def covers(self, year: int) -> bool:
        """Whether the holiday source has data for ``year`` (always, for 24x7 or no source)."""
        return self.always_open or self.holidays is None or self.holidays.covers(year)

    def missing_years(self, start: dt.datetime, end: dt.datetime) -> set[int]:
        """The local years from ``start`` to ``end`` (inclusive) the holiday source does not cover."""
        first, last = self._local_date(start).year, self._local_date(end).year
        return {year for year in range(first, last + 1) if not self.covers(year)}

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` (local) has any working time."""
        return bool(self._day(day.toordinal()))

    def intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of local ``day`` as aware UTC datetimes, in order."""
        return [(_from_us(a), _from_us(b)) for a, b in self._day(day.toordinal())]

    def wall_hours(self, day: dt.date) -> tuple[Interval, ...]:
        """The local wall-clock intervals ``day`` works (rules 1-7 of the module's docstring)."""
        if self.always_open:
            return ((MIDNIGHT, END_OF_DAY),)
        if day in self.extra_off:
            return ()
        weekday = day.weekday()
        own = self.hours[weekday]
        if day in self.extra_on:
            return own if own and weekday < 5 else self.hours[self.makeup_hours_weekday]
        source = self.holidays
        if source is None:
            return own
        if not source.covers(day.year):
            if self.strict:
                raise CalendarDataMissing(day.year)
            source = FALLBACK
        if source.is_holiday(day):
            return ()
        if source.is_workday(day):
            return own if weekday < 5 else self.hours[self.makeup_hours_weekday]
        return () if weekday < 5 else own

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The UTC instant when ``seconds`` of business time have passed after ``start``.

        ``add(start, 0) == start`` always. Otherwise the count begins at ``start`` or, outside
        working time, at the next opening; a budget used up exactly at a closing ends there.
        Raises ``ValueError`` after 366 days in a row without working time.
        """
        pos = _to_us(start)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        need = round(seconds * 1_000_000)
        if need == 0 or self.always_open:
            return _from_us(pos + need)
        ordinal, closed = start.astimezone(self.zone).toordinal(), 0
        while True:
            day = self._day(ordinal)
            for a, b in day:
                if b <= pos:
                    continue
                a = max(a, pos)
                if b - a >= need:
                    return _from_us(a + need)
                need -= b - a
                pos = b
            closed = 0 if day else closed + 1
            if closed >= MAX_CLOSED_DAYS:
                raise ValueError(f"no working time in {MAX_CLOSED_DAYS} days after {start.isoformat()}: see its hours")
            ordinal += 1

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds in ``[start, end)``; 0 when ``end <= start``."""
        pos, stop = _to_us(start), _to_us(end)
        if stop <= pos:
            return 0.0
        if self.always_open:
            return (stop - pos) / 1_000_000
        total = 0
        zone, cache = self.zone, self._days
        for ordinal in range(start.astimezone(zone).toordinal(), end.astimezone(zone).toordinal() + 1):
            day = cache.get(ordinal)
            for a, b in self._day(ordinal) if day is None else day:
                if a >= stop:
                    return total / 1_000_000
                if b <= pos:
                    continue
                hi = min(b, stop)
                total += hi - max(a, pos)
                pos = hi
        return total / 1_000_000

    def _local_date(self, instant: dt.datetime) -> dt.date:
        _to_us(instant)  # refuses naive datetimes
        return instant.astimezone(self.zone).date()

    def _day(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        """A local day's working intervals as UTC microseconds since the epoch (cached)."""
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        day = dt.date.fromordinal(ordinal)
        following = day + dt.timedelta(days=1)
        spans: list[tuple[int, int]] = []
        floor = -(2**63)
        for start, end in self.wall_hours(day):
            a = max(floor, _to_us(dt.datetime.combine(day, start, tzinfo=self.zone)))  # a DST gap can reorder
            if end == END_OF_DAY:
                b = _to_us(dt.datetime.combine(following, MIDNIGHT, tzinfo=self.zone))
            else:
                b = _to_us(dt.datetime.combine(day, end, tzinfo=self.zone))
            if b > a:
                spans.append((a, b))
                floor = b
        if len(self._days) >= CACHE_DAYS:
            self._days.clear()
        result = self._days[ordinal] = tuple(spans)
        return result


def wall_time(text: str) -> dt.time:
    """``"HH:MM"`` as a local wall-clock time; ``"24:00"`` is :data:`END_OF_DAY` (an interval's end only).

    >>> wall_time("09:30"), wall_time("24:00") == END_OF_DAY
    (datetime.time(9, 30), True)
    """
    return END_OF_DAY if text == "24:00" else dt.time.fromisoformat(text)


def _to_us(instant: dt.datetime) -> int:
    if not isinstance(instant, dt.datetime) or instant.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, not {instant!r}")
    return (instant - EPOCH) // US


def _from_us(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def _dates(name: str, days: Iterable[dt.date]) -> frozenset[dt.date]:
    days = frozenset(days)
    if bad := [d for d in days if not isinstance(d, dt.date) or isinstance(d, dt.datetime)]:
        raise ValueError(f"{name} must hold dates, not {bad[0]!r}")
    return days


def _check_hours(hours: Hours) -> tuple[tuple[Interval, ...], ...]:
    """Validate working hours; return them as a 7-tuple indexed by weekday."""
    if isinstance(hours, Mapping):
        if bad := [k for k in hours if k not in range(7)]:
            raise ValueError(f"hours: weekdays are 0 (Monday) to 6 (Sunday), not {bad[0]!r}")
        days = [hours.get(weekday, ()) for weekday in range(7)]
    elif len(hours) == 7:
        days = list(hours)
    else:
        raise ValueError("hours must map weekdays 0-6 to their intervals")
    return tuple(_check_day(weekday, spans) for weekday, spans in enumerate(days))


def _check_day(weekday: int, spans: Sequence[Interval]) -> tuple[Interval, ...]:
    checked: list[Interval] = []
    for span in spans:
        start, end = span
        where = f"hours of weekday {weekday}: {start}-{end}"
        if not isinstance(start, dt.time) or not isinstance(end, dt.time) or start.tzinfo or end.tzinfo:
            raise ValueError(f"{where}: start and end must be naive datetime.time values (local wall clock)")
        if end == MIDNIGHT:
            raise ValueError(f"{where}: an interval cannot end at 00:00; use datetime.time.max for 24:00")
        if start == END_OF_DAY or not start < end:
            raise ValueError(f"{where}: the start must be before the end")
        if checked and start < checked[-1][1]:
            raise ValueError(f"{where}: intervals must be sorted and not overlap (it follows {checked[-1][1]})")
        checked.append((start, end))
    return tuple(checked)
