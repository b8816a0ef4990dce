"""When a campaign may ring someone: pure arithmetic, no I/O (the holidays and the zones are passed in).

A campaign's calling window is a set of intervals per weekday **in the callee's local time**, the
zone read from the number (:func:`zones_of`). China's statutory holidays are skipped unless the
campaign allows them; a 调休 make-up working day (a weekend day people work) is called like a
Monday. A number whose country spans several zones (a US toll-free number) is rung only when the
window is open in every one of them: never outside calling hours for anybody.

>>> import zoneinfo
>>> from cti.tickets.calendar import ChinaHolidays
>>> w = Window.daily(dt.time(9), dt.time(20), holidays=ChinaHolidays())
>>> shanghai = (zoneinfo.ZoneInfo("Asia/Shanghai"),)
>>> at = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)  # 07:30 on Wednesday in Shanghai
>>> w.is_open(at, shanghai)
False
>>> w.next_open(at, shanghai).astimezone(shanghai[0]).isoformat()
'2026-12-02T09:00:00+08:00'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones

from cti.tickets.calendar import HolidaySource

Interval = tuple[dt.time, dt.time]  # [start, end) in local time; end dt.time.max means midnight
MAKEUP_WEEKDAY = 0  # a 调休 make-up working day takes Monday's window
SEARCH_DAYS = 400  # next_open gives up after this many days without an open moment (None)
UNKNOWN_ZONE = "Etc/Unknown"  # phonenumbers' answer when it cannot tell


class WindowError(ValueError):
    """A window that cannot be used; ``code`` names the problem for the form that made it."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Window:
    """Calling hours per weekday (0 = Monday), local to the callee; holidays skipped unless allowed."""

    hours: Mapping[int, tuple[Interval, ...]]
    holidays: HolidaySource | None = None  # None: no holiday rule (every day by its weekday)
    allow_holidays: bool = False
    _sorted: dict[int, tuple[Interval, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        checked: dict[int, tuple[Interval, ...]] = {}
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise WindowError("bad_weekday", weekday=weekday)
            ordered = tuple(sorted(intervals))
            for start, end in ordered:
                if not start < end:
                    raise WindowError("ends_before_start", weekday=weekday, start=start, end=end)
            for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
                if start < end:
                    raise WindowError("overlap", weekday=weekday)
            checked[weekday] = ordered
        if not any(checked.values()):
            raise WindowError("never_open")
        object.__setattr__(self, "_sorted", checked)

    @classmethod
    def daily(cls, start: dt.time, end: dt.time, *, holidays: HolidaySource | None = None,
              allow_holidays: bool = False) -> Window:
        """The same hours every day of the week."""
        return cls({d: ((start, end),) for d in range(7)}, holidays, allow_holidays)

    def intervals_on(self, day: dt.date) -> tuple[Interval, ...]:
        """The local intervals of one calendar day: none on a statutory holiday (unless allowed),
        Monday's on a make-up working day, else the weekday's."""
        if self.holidays is not None and self.holidays.covers(day.year):
            if self.holidays.is_holiday(day) and not self.allow_holidays:
                return ()
            if day.weekday() >= 5 and self.holidays.is_workday(day):
                return self._sorted.get(MAKEUP_WEEKDAY, ())
        return self._sorted.get(day.weekday(), ())

    def is_open(self, at: dt.datetime, zones: Sequence[dt.tzinfo]) -> bool:
        """May someone whose number is in ``zones`` be rung at the instant ``at`` (aware)?"""
        return all(self._open_in(at, zone) for zone in zones)

    def _open_in(self, at: dt.datetime, zone: dt.tzinfo) -> bool:
        local = at.astimezone(zone)
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end or (end == dt.time.max and now >= start)
                   for start, end in self.intervals_on(local.date()))

    def next_open(self, at: dt.datetime, zones: Sequence[dt.tzinfo]) -> dt.datetime | None:
        """The first instant at or after ``at`` when the window is open in every zone (UTC), or None
        when there is none within ``SEARCH_DAYS`` (a window closed on every day that comes)."""
        t = at.astimezone(dt.UTC)
        limit = t + dt.timedelta(days=SEARCH_DAYS)
        while t < limit:
            spans = [self._span(t, zone) for zone in zones]
            if any(s is None for s in spans):
                return None
            start = max(s[0] for s in spans)  # type: ignore[index]
            end = min(s[1] for s in spans)  # type: ignore[index]
            if start < end:
                return start
            t = start if start > t else end  # move to the latest opening; try again from there
        return None

    def _span(self, t: dt.datetime, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime] | None:
        """The open span of ``zone`` that contains ``t`` or comes next: [start, end) in UTC."""
        day = t.astimezone(zone).date() - dt.timedelta(days=1)  # yesterday's span may run past midnight
        for _ in range(SEARCH_DAYS + 2):
            for start, end in self.intervals_on(day):
                s = _instant(day, start, zone)
                e = _instant(day + dt.timedelta(days=1), dt.time(0), zone) if end == dt.time.max \
                    else _instant(day, end, zone)
                if e > t and s < e:
                    return max(s, t), e
            day += dt.timedelta(days=1)
        return None


def _instant(day: dt.date, time: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """A local wall time as an instant (UTC); in a DST gap, the wall time after the gap."""
    local = dt.datetime.combine(day, time, tzinfo=zone)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):  # not a real wall time
        utc = local.replace(fold=1).astimezone(dt.UTC)
    return utc


def zones_of(e164: str, default: str) -> tuple[ZoneInfo, ...]:
    """The time zones a number's owner may be in (from phonenumbers); ``default`` when it cannot tell.

    >>> [z.key for z in zones_of("+8613800138000", "Asia/Shanghai")], [z.key for z in zones_of("+14155550100", "Asia/Shanghai")]
    (['Asia/Shanghai'], ['America/Los_Angeles'])
    >>> [z.key for z in zones_of("bogus", "Asia/Shanghai")]
    ['Asia/Shanghai']
    """
    try:
        names = number_zones.time_zones_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        names = ()
    known = [n for n in names if n != UNKNOWN_ZONE]
    return tuple(ZoneInfo(n) for n in known) if known else (ZoneInfo(default),)
