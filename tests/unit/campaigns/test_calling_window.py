"""Calling windows: a campaign rings people only inside its hours, in their own local time, never on a
statutory holiday (unless allowed), and on a 调休 make-up working day as on a Monday. Instants are
passed in, so each case is a moment on the clock (the "time machine" is the argument)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti.campaigns.window import Window, WindowError, zones_of
from cti.tickets.calendar import ChinaHolidays

SHANGHAI, LOS_ANGELES = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles")
CN, SF = zones_of("+8613800138000", "Asia/Shanghai"), zones_of("+14155550100", "Asia/Shanghai")
NINE, NOON, ONE_PM, EIGHT_PM = dt.time(9), dt.time(12), dt.time(13), dt.time(20)
WEEKDAYS = Window({d: ((NINE, NOON), (ONE_PM, EIGHT_PM)) for d in range(5)} | {5: ((dt.time(10), dt.time(16)),)},
                  holidays=ChinaHolidays())


def at(zone: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def local(instant: dt.datetime | None, zone: ZoneInfo) -> str | None:
    return None if instant is None else instant.astimezone(zone).strftime("%Y-%m-%d %a %H:%M")


def test_the_numbers_zone_comes_from_the_number():
    assert [z.key for z in CN] == ["Asia/Shanghai"] and [z.key for z in SF] == ["America/Los_Angeles"]
    assert [z.key for z in zones_of("+442079460000", "Asia/Shanghai")] == ["Europe/London"]
    assert [z.key for z in zones_of("not a number", "Asia/Shanghai")] == ["Asia/Shanghai"]
    assert len(zones_of("+18005550100", "Asia/Shanghai")) > 5  # toll-free: every North American zone


@pytest.mark.parametrize(("moment", "is_open", "next_open"), [
    (at(SHANGHAI, 2026, 12, 1, 8, 59), False, "2026-12-01 Tue 09:00"),  # before the day starts
    (at(SHANGHAI, 2026, 12, 1, 9, 0), True, "2026-12-01 Tue 09:00"),  # the first minute
    (at(SHANGHAI, 2026, 12, 1, 12, 30), False, "2026-12-01 Tue 13:00"),  # lunch
    (at(SHANGHAI, 2026, 12, 1, 19, 59), True, "2026-12-01 Tue 19:59"),
    (at(SHANGHAI, 2026, 12, 1, 20, 0), False, "2026-12-02 Wed 09:00"),  # the end is not in the window
    (at(SHANGHAI, 2026, 12, 4, 21, 0), False, "2026-12-05 Sat 10:00"),  # Friday night → Saturday's hours
    (at(SHANGHAI, 2026, 12, 5, 16, 30), False, "2026-12-07 Mon 09:00"),  # Saturday after 16:00 → Monday
    (at(SHANGHAI, 2026, 12, 6, 11, 0), False, "2026-12-07 Mon 09:00"),  # Sunday: closed
])
def test_a_shanghai_number_across_the_day_and_the_week(moment, is_open, next_open):
    assert WEEKDAYS.is_open(moment, CN) is is_open
    assert local(WEEKDAYS.next_open(moment, CN), SHANGHAI) == next_open


def test_a_san_francisco_number_is_rung_in_san_francisco_hours():
    noon_in_shanghai = at(SHANGHAI, 2026, 12, 1, 12, 0)  # Monday 20:00 in San Francisco
    assert WEEKDAYS.is_open(noon_in_shanghai, SF) is False
    assert local(WEEKDAYS.next_open(noon_in_shanghai, SF), LOS_ANGELES) == "2026-12-01 Tue 09:00"
    assert WEEKDAYS.is_open(at(LOS_ANGELES, 2026, 12, 1, 10, 0), SF) is True
    assert WEEKDAYS.is_open(at(LOS_ANGELES, 2026, 12, 1, 10, 0), CN) is False  # 02:00 in Shanghai


def test_daylight_saving_time_moves_the_window_with_the_wall_clock():
    window = Window.daily(NINE, EIGHT_PM)
    before, after = at(LOS_ANGELES, 2026, 3, 7, 21, 0), at(LOS_ANGELES, 2026, 3, 8, 21, 0)  # DST starts 8 March
    assert window.next_open(before, SF) == at(LOS_ANGELES, 2026, 3, 8, 9, 0)  # 16:00 UTC (PDT)
    assert window.next_open(before, SF).astimezone(dt.UTC).hour == 16
    assert window.next_open(after, SF).astimezone(dt.UTC).hour == 16
    assert window.next_open(at(LOS_ANGELES, 2026, 1, 10, 21, 0), SF).astimezone(dt.UTC).hour == 17  # PST


def test_national_day_is_skipped_and_its_make_up_saturday_is_called_like_a_monday():
    eve = at(SHANGHAI, 2026, 9, 30, 20, 30)  # Wednesday evening; 1-7 October are statutory holidays
    assert local(WEEKDAYS.next_open(eve, CN), SHANGHAI) == "2026-10-08 Thu 09:00"
    assert WEEKDAYS.is_open(at(SHANGHAI, 2026, 10, 5, 10, 0), CN) is False  # a Monday, but a holiday
    makeup = at(SHANGHAI, 2026, 10, 10, 18, 0)  # Saturday 10 October is a working day: Monday's hours
    assert WEEKDAYS.is_open(makeup, CN) is True  # an ordinary Saturday closes at 16:00
    assert WEEKDAYS.is_open(at(SHANGHAI, 2026, 10, 10, 12, 30), CN) is False  # Monday's lunch break too
    assert WEEKDAYS.is_open(at(SHANGHAI, 2026, 10, 17, 18, 0), CN) is False  # the next, ordinary Saturday


def test_a_campaign_may_allow_holidays():
    open_on_holidays = Window(WEEKDAYS.hours, ChinaHolidays(), allow_holidays=True)
    assert open_on_holidays.is_open(at(SHANGHAI, 2026, 10, 5, 10, 0), CN) is True  # Monday hours on a holiday Monday


def test_a_number_in_several_zones_is_rung_only_when_every_zone_is_open():
    both = (SHANGHAI, LOS_ANGELES)
    window = Window.daily(dt.time(8), dt.time(23, 59))
    moment = at(SHANGHAI, 2026, 12, 1, 12, 0)  # 20:00 the evening before in Los Angeles: both open
    assert window.is_open(moment, both) is True
    late = at(SHANGHAI, 2026, 12, 1, 17, 0)  # 01:00 in Los Angeles
    assert window.is_open(late, both) is False
    found = window.next_open(late, both)
    assert window.is_open(found, both)  # 16:00 in Los Angeles is 08:00 the next morning in Shanghai
    assert (local(found, LOS_ANGELES), local(found, SHANGHAI)) == ("2026-12-01 Tue 16:00", "2026-12-02 Wed 08:00")
    assert Window.daily(NINE, NOON).next_open(late, both) is None  # never open in both at once


@pytest.mark.parametrize(("hours", "code"), [
    ({0: ((EIGHT_PM, NINE),)}, "ends_before_start"),
    ({0: ((NINE, NINE),)}, "ends_before_start"),
    ({0: ((NINE, ONE_PM), (NOON, EIGHT_PM))}, "overlap"),
    ({7: ((NINE, NOON),)}, "bad_weekday"),
    ({0: ()}, "never_open"),
])
def test_a_window_that_cannot_work_is_refused_with_its_reason(hours, code):
    with pytest.raises(WindowError) as refused:
        Window(hours)
    assert refused.value.code == code


def test_a_window_to_midnight_includes_the_last_minute_of_the_day():
    evening = Window.daily(dt.time(18), dt.time.max)
    assert evening.is_open(at(SHANGHAI, 2026, 12, 1, 23, 59), CN) is True
    assert local(evening.next_open(at(SHANGHAI, 2026, 12, 2, 0, 0), CN), SHANGHAI) == "2026-12-02 Wed 18:00"
