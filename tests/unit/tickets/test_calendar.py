"""The business calendar: working hours, China's holidays and make-up days, DST, business-time arithmetic.

Every instant is written out; nothing reads the clock.
"""

import datetime as dt
import math
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.tickets.calendar import BusinessCalendar, CalendarDataMissing, ChinaHolidays, WeekendsOnly

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
UTC = dt.timezone.utc
T = dt.time
D = dt.date
H = 3600


def sh(*args):
    return dt.datetime(*args, tzinfo=SH)


def ny(*args):
    return dt.datetime(*args, tzinfo=NY)


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


WEEKDAYS = {d: [(T(9), T(18))] for d in range(5)}
LUNCH = {d: [(T(9), T(12)), (T(13, 30), T(18))] for d in range(5)}
CHINA = BusinessCalendar(SH)
CHINA_LUNCH = BusinessCalendar(SH, LUNCH)
NY_OFFICE = BusinessCalendar(NY, {d: [(T(9), T(17))] for d in range(5)}, holidays=WeekendsOnly())
NY_24x7 = BusinessCalendar.twenty_four_seven(NY)
SH_24x7 = BusinessCalendar.twenty_four_seven(SH)
# 2026-03-02 is a Monday; no holiday in March 2026.


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (D(2026, 9, 20), True),  # Sunday, make-up day for National Day
        (D(2026, 10, 10), True),  # Saturday, make-up day for National Day
        *((D(2026, 10, day), False) for day in range(1, 8)),  # National Day week
        (D(2026, 2, 14), True),  # Saturday, make-up day for Spring Festival
        (D(2026, 2, 28), True),  # Saturday, make-up day for Spring Festival
        *((D(2026, 2, day), False) for day in range(15, 24)),  # Spring Festival
        (D(2026, 9, 25), False),  # Mid-Autumn, a Friday
    ],
)
def test_the_dates_these_tests_rely_on_are_what_chinese_calendar_says(day, workday):
    assert chinese_calendar.is_workday(day) is workday
    assert ChinaHolidays().is_workday(day) is workday


ADD = [
    # (calendar, start, business seconds, due)
    pytest.param(CHINA, sh(2026, 3, 2, 17), 2 * H, sh(2026, 3, 3, 10), id="across-a-night-mon-17h-plus-2h-is-tue-10h"),
    pytest.param(CHINA, sh(2026, 3, 6, 17), 24 * H, sh(2026, 3, 11, 14), id="across-a-weekend-fri-17h-plus-24h-is-wed-14h"),
    pytest.param(CHINA, sh(2026, 3, 2, 9), 9 * H, sh(2026, 3, 2, 18), id="used-up-at-closing-ends-at-closing"),
    pytest.param(CHINA, sh(2026, 3, 2, 7), 1 * H, sh(2026, 3, 2, 10), id="before-opening-counts-from-opening"),
    pytest.param(CHINA, sh(2026, 3, 7, 12), 1 * H, sh(2026, 3, 9, 10), id="on-a-saturday-counts-from-monday"),
    pytest.param(CHINA, sh(2026, 3, 7, 12), 0, sh(2026, 3, 7, 12), id="zero-seconds-is-the-start-even-when-closed"),
    pytest.param(CHINA, sh(2026, 3, 2, 10), 0.5, sh(2026, 3, 2, 10, 0, 0, 500_000), id="fractions-of-a-second"),
    pytest.param(CHINA_LUNCH, sh(2026, 3, 2, 11), 2 * H, sh(2026, 3, 2, 14, 30), id="over-the-lunch-break"),
    pytest.param(CHINA_LUNCH, sh(2026, 3, 2, 12, 15), 1 * H, sh(2026, 3, 2, 14, 30), id="opened-during-lunch"),
    pytest.param(CHINA_LUNCH, sh(2026, 3, 2, 17), 8 * H, sh(2026, 3, 3, 17, 30), id="over-a-night-and-a-lunch"),
    # National Day 2026: Wed Sep 30 16:00-18:00 = 2 h (22 left); Oct 1-7 off; Thu Oct 8 9 h (13 left);
    # Fri Oct 9 9 h (4 left); Sat Oct 10 is a make-up day with Monday's hours: 09:00 + 4 h = 13:00.
    pytest.param(CHINA, sh(2026, 9, 30, 16), 24 * H, sh(2026, 10, 10, 13), id="national-day-week-then-make-up-saturday"),
    # Fri Sep 18 17:00-18:00 = 1 h; Sat Sep 19 off; Sun Sep 20 is a make-up day: 09:00 + 1 h.
    pytest.param(CHINA, sh(2026, 9, 18, 17), 2 * H, sh(2026, 9, 20, 10), id="make-up-sunday-before-national-day"),
    # Mid-Autumn: Thu Sep 24 17:00-18:00 = 1 h; Fri 25 holiday, weekend; Mon Sep 28 09:00 + 1 h.
    pytest.param(CHINA, sh(2026, 9, 24, 17), 2 * H, sh(2026, 9, 28, 10), id="mid-autumn-friday"),
    # Spring Festival 2026: Fri Feb 13 17:00-18:00 = 1 h (23 left); Sat Feb 14 make-up 9 h (14 left);
    # Feb 15-23 off; Tue Feb 24 9 h (5 left); Wed Feb 25 09:00 + 5 h = 14:00.
    pytest.param(CHINA, sh(2026, 2, 13, 17), 24 * H, sh(2026, 2, 25, 14), id="spring-festival-nine-days-off"),
    pytest.param(CHINA, sh(2026, 2, 16, 10), 1 * H, sh(2026, 2, 24, 10), id="opened-during-spring-festival"),
    pytest.param(CHINA, sh(2026, 2, 27, 17), 2 * H, sh(2026, 2, 28, 10), id="make-up-saturday-after-spring-festival"),
    pytest.param(
        BusinessCalendar(SH, extra_off=frozenset({D(2026, 3, 3)})), sh(2026, 3, 2, 17), 2 * H, sh(2026, 3, 4, 10),
        id="extra-off-tuesday-is-skipped",
    ),
    pytest.param(
        BusinessCalendar(SH, extra_on=frozenset({D(2026, 3, 7)})), sh(2026, 3, 6, 17), 2 * H, sh(2026, 3, 7, 10),
        id="extra-on-saturday-works-monday-hours",
    ),
    pytest.param(
        BusinessCalendar(SH, extra_on=frozenset({D(2026, 10, 1)})), sh(2026, 9, 30, 17), 2 * H, sh(2026, 10, 1, 10),
        id="extra-on-overrides-a-statutory-holiday",
    ),
    # Without the Oct 10 make-up day: Oct 9 leaves 4 h, Sat 10/Sun 11 off, Mon Oct 12 09:00 + 4 h.
    pytest.param(
        BusinessCalendar(SH, extra_off=frozenset({D(2026, 10, 10)})), sh(2026, 9, 30, 16), 24 * H, sh(2026, 10, 12, 13),
        id="extra-off-overrides-a-make-up-day",
    ),
    pytest.param(SH_24x7, sh(2026, 10, 1, 23), 2 * H, sh(2026, 10, 2, 1), id="24x7-ignores-holidays-and-nights"),
    # 2026-03-08 02:00 EST -> 03:00 EDT: Sat 12:00 EST (17:00Z) + 24 real hours = Sun 13:00 EDT (17:00Z).
    pytest.param(NY_24x7, ny(2026, 3, 7, 12), 24 * H, utc(2026, 3, 8, 17), id="24x7-new-york-spring-forward"),
    # 2026-11-01 02:00 EDT -> 01:00 EST: Sat 12:00 EDT (16:00Z) + 24 real hours = Sun 11:00 EST (16:00Z).
    pytest.param(NY_24x7, ny(2026, 10, 31, 12), 24 * H, utc(2026, 11, 1, 16), id="24x7-new-york-fall-back"),
    # Fri 16:00 EST (21:00Z) 1 h; Mon 09:00 EDT (13:00Z) + 1 h.
    pytest.param(NY_OFFICE, ny(2026, 3, 6, 16), 2 * H, utc(2026, 3, 9, 14), id="office-hours-new-york-spring-forward"),
    # Fri 16:00 EDT (20:00Z) 1 h; Mon 09:00 EST (14:00Z) + 1 h.
    pytest.param(NY_OFFICE, ny(2026, 10, 30, 16), 2 * H, utc(2026, 11, 2, 15), id="office-hours-new-york-fall-back"),
]


@pytest.mark.parametrize(("cal", "start", "seconds", "due"), ADD)
def test_add_counts_business_time_from_the_start(cal, start, seconds, due):
    got = cal.add(start, seconds)
    assert got == due
    assert got.tzinfo is UTC
    assert cal.between(start, got) == seconds


@pytest.mark.parametrize(
    ("cal", "start", "end", "hours"),
    [
        (CHINA, sh(2026, 3, 2, 10), sh(2026, 3, 2, 10), 0),
        (CHINA, sh(2026, 3, 3, 10), sh(2026, 3, 2, 10), 0),  # end before start
        (CHINA, sh(2026, 3, 7, 0), sh(2026, 3, 9, 0), 0),  # a weekend
        (CHINA, sh(2026, 3, 2, 0), sh(2026, 3, 9, 0), 45),  # a whole week
        (CHINA_LUNCH, sh(2026, 3, 2, 0), sh(2026, 3, 3, 0), 7.5),
        (CHINA_LUNCH, sh(2026, 3, 2, 11, 30), sh(2026, 3, 2, 14), 1),
        (CHINA, sh(2026, 9, 28, 0), sh(2026, 10, 12, 0), 6 * 9),  # Sep 28-30, Oct 8-10 (make-up Sat)
        (CHINA, sh(2026, 2, 1, 0), sh(2026, 3, 1, 0), (20 - 6 + 2) * 9),  # 20 weekdays, 6 off, 2 Saturdays
        (NY_24x7, ny(2026, 3, 8), ny(2026, 3, 9), 23),  # the spring-forward day is 23 h long
        (NY_24x7, ny(2026, 11, 1), ny(2026, 11, 2), 25),  # the fall-back day is 25 h long
        (NY_OFFICE, ny(2026, 3, 6), ny(2026, 3, 10), 16),
        (SH_24x7, sh(2026, 1, 1), sh(2026, 1, 8), 7 * 24),
    ],
)
def test_between_counts_business_hours(cal, start, end, hours):
    assert cal.between(start, end) == hours * H


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (D(2026, 3, 2), [(T(9), T(18))]),  # a Monday
        (D(2026, 3, 7), [(T(10), T(14))]),  # an ordinary Saturday keeps its own hours
        (D(2026, 10, 3), []),  # a Saturday inside National Day week is closed
        (D(2026, 10, 1), []),  # Thursday, National Day
        (D(2026, 10, 10), [(T(9), T(18))]),  # make-up Saturday: Monday's hours, not Saturday's
        (D(2026, 3, 8), []),  # a Sunday
    ],
)
def test_weekend_hours_and_make_up_days(day, hours):
    cal = BusinessCalendar(SH, {**WEEKDAYS, 5: [(T(10), T(14))]})
    assert list(cal.wall_hours(day)) == hours
    assert cal.is_working_day(day) is bool(hours)
    assert cal.intervals(day) == [
        (dt.datetime.combine(day, a, tzinfo=SH).astimezone(UTC), dt.datetime.combine(day, b, tzinfo=SH).astimezone(UTC))
        for a, b in hours
    ]


def test_make_up_days_can_use_another_weekdays_hours():
    cal = BusinessCalendar(SH, {**WEEKDAYS, 4: [(T(9), T(16))]}, makeup_hours_weekday=4)
    assert cal.wall_hours(D(2026, 10, 10)) == ((T(9), T(16)),)


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (D(2026, 3, 14), ((T(9), T(18)),)),  # a Saturday with hours of its own works a make-up day
        (D(2026, 3, 13), ((T(9), T(18)),)),  # a Friday without hours of its own gets the make-up hours
        (D(2026, 3, 12), ((T(8), T(12)),)),  # a Thursday keeps its own hours
        (D(2026, 10, 2), ((T(9), T(18)),)),  # a Friday that is a holiday, with no Friday hours
    ],
)
def test_extra_on_days_work_like_make_up_days(day, hours):
    extra = {D(2026, 3, 14), D(2026, 3, 13), D(2026, 3, 12), D(2026, 10, 2)}
    cal = BusinessCalendar(SH, {0: [(T(9), T(18))], 3: [(T(8), T(12))], 5: [(T(10), T(14))]}, extra_on=extra)
    assert cal.wall_hours(day) == hours


def test_without_a_holiday_source_hours_alone_decide():
    cal = BusinessCalendar(SH, holidays=None)
    assert cal.is_working_day(D(2026, 10, 1)) and not cal.is_working_day(D(2026, 10, 10))


def test_office_hours_open_at_local_nine_on_both_sides_of_a_dst_change():
    assert NY_OFFICE.intervals(D(2026, 3, 6)) == [(utc(2026, 3, 6, 14), utc(2026, 3, 6, 22))]  # EST, -5
    assert NY_OFFICE.intervals(D(2026, 3, 9)) == [(utc(2026, 3, 9, 13), utc(2026, 3, 9, 21))]  # EDT, -4
    assert NY_OFFICE.intervals(D(2026, 10, 30)) == [(utc(2026, 10, 30, 13), utc(2026, 10, 30, 21))]
    assert NY_OFFICE.intervals(D(2026, 11, 2)) == [(utc(2026, 11, 2, 14), utc(2026, 11, 2, 22))]


def test_wall_times_in_a_dst_gap_or_fold_are_read_with_fold_0():
    night = BusinessCalendar(NY, {6: [(T(1), T(2, 30)), (T(2, 45), T(4))]}, holidays=None)
    # Spring forward: 02:30 and 02:45 do not exist; read with EST they are 03:30 and 03:45 EDT.
    assert night.intervals(D(2026, 3, 8)) == [
        (utc(2026, 3, 8, 6), utc(2026, 3, 8, 7, 30)),
        (utc(2026, 3, 8, 7, 45), utc(2026, 3, 8, 8)),
    ]
    # Fall back: 01:00 is its first occurrence (EDT); 02:30 exists once (EST): 2.5 real hours.
    assert night.intervals(D(2026, 11, 1)) == [
        (utc(2026, 11, 1, 5), utc(2026, 11, 1, 7, 30)),
        (utc(2026, 11, 1, 7, 45), utc(2026, 11, 1, 9)),
    ]


def test_intervals_a_dst_gap_makes_overlap_are_clipped_and_empty_ones_dropped():
    cal = BusinessCalendar(NY, {6: [(T(1), T(2, 30)), (T(3, 15), T(3, 20)), (T(3, 20), T(4))]}, holidays=None)
    # 02:30 reads as 03:30 EDT (07:30Z), after 03:15 and 03:20 EDT: the second interval vanishes.
    assert cal.intervals(D(2026, 3, 8)) == [
        (utc(2026, 3, 8, 6), utc(2026, 3, 8, 7, 30)),
        (utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8)),
    ]


def test_an_interval_ending_at_time_max_ends_at_midnight():
    night_shift = BusinessCalendar(SH, {0: [(T(18), T.max)], 1: [(T(0), T(9))]}, holidays=None)
    assert night_shift.intervals(D(2026, 3, 2)) == [(utc(2026, 3, 2, 10), utc(2026, 3, 2, 16))]  # 18:00-24:00
    assert night_shift.between(sh(2026, 3, 2, 18), sh(2026, 3, 3, 9)) == 15 * H
    assert night_shift.add(sh(2026, 3, 2, 23), 2 * H) == sh(2026, 3, 3, 1)


def test_twenty_four_seven_is_open_every_day_and_covers_every_year():
    assert NY_24x7.intervals(D(2026, 3, 8)) == [(utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))]  # 23 h
    assert NY_24x7.covers(2027) and NY_24x7.missing_years(ny(2026, 1, 1), ny(2030, 1, 1)) == set()


def test_a_year_without_data_falls_back_to_weekends():
    assert CHINA.covers(2026) and not CHINA.covers(2027) and not CHINA.covers(2003)
    assert CHINA.missing_years(sh(2026, 12, 31, 17), sh(2027, 1, 2)) == {2027}
    assert CHINA.missing_years(sh(2026, 1, 1), sh(2026, 12, 31, 23)) == set()
    assert CHINA.missing_years(sh(2026, 6, 1), sh(2028, 6, 1)) == {2027, 2028}
    # Thu 2026-12-31 17:00-18:00 = 1 h; Fri 2027-01-01 counts as a plain Friday: 09:00 + 1 h.
    assert CHINA.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 1, 10)
    assert not CHINA.is_working_day(D(2027, 1, 2))  # a Saturday


def test_a_strict_calendar_refuses_a_year_without_data():
    strict = BusinessCalendar(SH, strict=True)
    assert strict.add(sh(2026, 12, 31, 9), 2 * H) == sh(2026, 12, 31, 11)
    with pytest.raises(CalendarDataMissing) as caught:
        strict.add(sh(2026, 12, 31, 17), 2 * H)
    assert caught.value.year == 2027 and "2027" in str(caught.value)
    with pytest.raises(CalendarDataMissing):
        strict.is_working_day(D(2027, 3, 1))


@pytest.mark.parametrize(
    "cal",
    [
        pytest.param(BusinessCalendar(SH, {}), id="no-hours"),
        pytest.param(
            BusinessCalendar(SH, {0: [(T(9), T(18))]}, extra_off={D(2027, 1, 4) + dt.timedelta(weeks=k) for k in range(60)}),
            id="every-monday-off-for-60-weeks",
        ),
    ],
)
def test_a_calendar_without_working_time_raises_instead_of_looping(cal):
    with pytest.raises(ValueError, match="no working time"):
        cal.add(sh(2027, 1, 4, 9), 1)
    assert cal.between(sh(2027, 1, 1), sh(2027, 3, 1)) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": {0: [(T(18), T(9))]}}, "start must be before the end"),
        ({"hours": {0: [(T(9), T(9))]}}, "start must be before the end"),
        ({"hours": {0: [(T(18), T(0))]}}, "cannot end at 00:00"),
        ({"hours": {0: [(T(9), T(13)), (T(12), T(18))]}}, "not overlap"),
        ({"hours": {0: [(T(13), T(18)), (T(9), T(12))]}}, "sorted"),
        ({"hours": {7: [(T(9), T(18))]}}, "weekdays are 0"),
        ({"hours": {0: [(T(9, tzinfo=UTC), T(18))]}}, "naive"),
        ({"hours": {0: [("09:00", "18:00")]}}, "naive"),
        ({"hours": [[(T(9), T(18))]]}, "map weekdays"),
        ({"extra_off": {D(2026, 3, 2)}, "extra_on": {D(2026, 3, 2)}}, "both in extra_off and extra_on"),
        ({"extra_on": {dt.datetime(2026, 3, 2)}}, "must hold dates"),
        ({"makeup_hours_weekday": 7}, "makeup_hours_weekday"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(SH, **kwargs)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CHINA.add(dt.datetime(2026, 3, 2, 9), 60),
        lambda: CHINA.between(dt.datetime(2026, 3, 2, 9), sh(2026, 3, 3)),
        lambda: CHINA.between(sh(2026, 3, 2), dt.datetime(2026, 3, 3, 9)),
        lambda: CHINA.missing_years(dt.datetime(2026, 3, 2), sh(2026, 3, 3)),
        lambda: CHINA.add(sh(2026, 3, 2, 9), -1),
        lambda: CHINA.add(sh(2026, 3, 2, 9), math.nan),
        lambda: CHINA.add(sh(2026, 3, 2, 9), math.inf),
    ],
    ids=["add-naive", "between-naive-start", "between-naive-end", "missing-years-naive", "negative", "nan", "inf"],
)
def test_naive_datetimes_and_bad_amounts_are_refused(call):
    with pytest.raises(ValueError):
        call()


def test_calendars_are_values():
    assert BusinessCalendar(SH) == BusinessCalendar(SH, WEEKDAYS) == CHINA
    assert hash(BusinessCalendar(SH)) == hash(CHINA)
    assert BusinessCalendar(SH, LUNCH) != CHINA
    with pytest.raises(AttributeError):
        CHINA.always_open = True


# Properties: between() and add() are inverses, between() adds up.

CALENDARS = st.sampled_from([CHINA, CHINA_LUNCH, NY_OFFICE, NY_24x7, BusinessCalendar(SH, extra_on={D(2026, 10, 3)})])
INSTANTS = st.datetimes(min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 2, 1))
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def _aware(cal, naive):
    """A local time read in the calendar's zone, as UTC (so that adding a span adds real time)."""
    return naive.replace(tzinfo=cal.zone).astimezone(UTC)


@PROPERTY
@given(CALENDARS, INSTANTS, st.integers(min_value=0, max_value=40 * 9 * H))
def test_between_inverts_add(cal, start, seconds):
    start = _aware(cal, start)
    due = cal.add(start, seconds)
    assert due >= start
    assert cal.between(start, due) == seconds


@PROPERTY
@given(CALENDARS, INSTANTS, st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)))
def test_add_of_between_reaches_the_end_without_skipping_business_time(cal, start, span):
    start = _aware(cal, start)
    end = start + span
    reached = cal.add(start, cal.between(start, end))
    assert reached <= end
    assert cal.between(reached, end) == 0


@PROPERTY
@given(CALENDARS, INSTANTS, st.timedeltas(max_value=dt.timedelta(days=20), min_value=dt.timedelta(0)), st.floats(0, 1))
def test_between_adds_up_over_a_split(cal, start, span, cut):
    a = _aware(cal, start)
    c, b = a + span, a + span * cut
    assert math.isclose(cal.between(a, b) + cal.between(b, c), cal.between(a, c), abs_tol=1e-6)
