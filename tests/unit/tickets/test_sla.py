"""SLA clocks: start, pause while waiting (待件), resume, stop; due times, status boundaries; the policy.

Every ``now`` is written out; nothing reads the clock. Calendar: Monday-Friday 09:00-18:00 in
Shanghai with China's holidays (no holiday in March 2026; 2026-03-02 is a Monday).
"""

import dataclasses
import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from cti.tickets import sla
from cti.tickets.calendar import BusinessCalendar
from cti.tickets.sla import FIRST_CONTACT, ON_SITE, RESOLUTION, Clock, Policy

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
H = 3600
CAL = BusinessCalendar(SH)
ALWAYS = BusinessCalendar.twenty_four_seven(SH)
US = dt.timedelta(microseconds=1)


def sh(*args):
    return dt.datetime(*args, tzinfo=SH)


# A 10-hour promise made Monday 09:00: at risk (8 h) Monday 17:00, due (10 h) Tuesday 10:00.
OPENED = sh(2026, 3, 2, 9)
TEN_HOURS = sla.start(ON_SITE, 10 * H, OPENED)


def test_a_started_clock_runs_from_now_in_utc():
    assert TEN_HOURS == Clock(kind=ON_SITE, budget=10 * H, used=0.0, running_since=OPENED)
    assert TEN_HOURS.running_since.tzinfo is UTC
    assert TEN_HOURS.running and not TEN_HOURS.paused and not TEN_HOURS.stopped
    assert sla.due_at(TEN_HOURS, CAL) == sh(2026, 3, 3, 10)
    assert sla.at_risk_at(TEN_HOURS, CAL) == sh(2026, 3, 2, 17)
    assert sla.at_risk_at(TEN_HOURS, CAL, ratio=0.5) == sh(2026, 3, 2, 14)


@pytest.mark.parametrize(
    ("now", "used_hours", "status"),
    [
        (OPENED, 0, "ok"),
        (sh(2026, 3, 2, 17) - US, 8 - 1e-6 / H, "ok"),
        (sh(2026, 3, 2, 17), 8, "at_risk"),  # used == 0.8 x budget: at risk
        (sh(2026, 3, 2, 23), 9, "at_risk"),  # the night does not count
        (sh(2026, 3, 3, 10), 10, "at_risk"),  # used == budget: not breached yet
        (sh(2026, 3, 3, 10) + US, 10 + 1e-6 / H, "breached"),  # a microsecond more: breached
        (sh(2026, 3, 6, 18), 45, "breached"),
    ],
    ids=["at-start", "just-before-80pc", "at-80pc", "overnight", "used-equals-budget", "just-past-budget", "long-past"],
)
def test_status_boundaries_of_a_running_clock(now, used_hours, status):
    assert sla.used_at(TEN_HOURS, CAL, now) == pytest.approx(used_hours * H, abs=1e-9)
    assert sla.left_at(TEN_HOURS, CAL, now) == pytest.approx((10 - used_hours) * H, abs=1e-9)
    assert sla.status(TEN_HOURS, CAL, now) == status


@pytest.mark.parametrize(
    ("stopped", "status"),
    [
        (sh(2026, 3, 2, 12), "met"),
        (sh(2026, 3, 3, 10), "met"),  # exactly at the due time
        (sh(2026, 3, 3, 10) + US, "breached"),  # after the due time: the promise was broken, kept late
        (sh(2026, 3, 4, 15), "breached"),
    ],
    ids=["early", "at-due", "just-after-due", "a-day-late"],
)
def test_a_stopped_clock_is_met_or_breached_for_good(stopped, status):
    done = sla.stop(TEN_HOURS, CAL, stopped)
    assert done.stopped and not done.running and done.stopped_at == stopped
    assert sla.due_at(done, CAL) is None and sla.at_risk_at(done, CAL) is None
    later = sh(2026, 12, 1, 9)
    assert sla.status(done, CAL, later) == status
    # kept ``used`` decides it: another calendar gives the same answer
    assert sla.status(done, ALWAYS, later) == status
    assert sla.used_at(done, CAL, later) == done.used == sla.used_at(TEN_HOURS, CAL, stopped)


def test_stop_is_idempotent():
    done = sla.stop(TEN_HOURS, CAL, sh(2026, 3, 2, 12))
    assert sla.stop(done, CAL, sh(2026, 3, 5, 12)) is done
    assert sla.pause(done, CAL, sh(2026, 3, 5, 12)) is done
    assert sla.resume(done, sh(2026, 3, 5, 12)) is done


def test_waiting_for_parts_over_a_weekend_moves_the_due_time_by_the_paused_business_time():
    # 24 h from Thursday 10:00: Thu 8 h, Fri 9 h, Mon 7 h -> due Monday 16:00.
    clock = sla.start(RESOLUTION, 24 * H, sh(2026, 3, 5, 10))
    due_before = sla.due_at(clock, CAL)
    assert due_before == sh(2026, 3, 9, 16)

    # 待件 from Friday 15:00 (14 h used) until Tuesday 11:00 (Fri 3 + Mon 9 + Tue 2 = 14 business hours).
    paused = sla.pause(clock, CAL, sh(2026, 3, 6, 15))
    assert paused.paused and not paused.running and paused.used == 14 * H
    assert sla.due_at(paused, CAL) is None and sla.at_risk_at(paused, CAL) is None
    for now in (sh(2026, 3, 7, 12), sh(2026, 3, 9, 17), sh(2026, 3, 10, 10)):  # Saturday, Monday past due, Tuesday
        assert sla.used_at(paused, CAL, now) == 14 * H
        assert sla.status(paused, CAL, now) == "paused"
    assert sla.pause(paused, CAL, sh(2026, 3, 9, 9)) is paused

    resumed = sla.resume(paused, sh(2026, 3, 10, 11))
    assert resumed.running and not resumed.paused
    due_after = sla.due_at(resumed, CAL)
    # 10 h left from Tuesday 11:00: Tue 7 h, Wed 09:00 + 3 h.
    assert due_after == sh(2026, 3, 11, 12)
    assert CAL.between(due_before, due_after) == CAL.between(sh(2026, 3, 6, 15), sh(2026, 3, 10, 11)) == 14 * H
    assert sla.status(resumed, CAL, sh(2026, 3, 10, 11)) == "ok"  # 14 of 24 h
    assert sla.status(resumed, CAL, sh(2026, 3, 11, 12)) == "at_risk"
    assert sla.status(sla.stop(resumed, CAL, sh(2026, 3, 11, 12)), CAL, sh(2026, 3, 12, 9)) == "met"


def test_resume_changes_only_a_paused_clock():
    assert sla.resume(TEN_HOURS, sh(2026, 3, 2, 12)) is TEN_HOURS


def test_a_clock_paused_after_its_budget_ran_out_stays_breached():
    late = sla.pause(TEN_HOURS, CAL, sh(2026, 3, 3, 12))  # 12 h used
    assert sla.status(late, CAL, sh(2026, 3, 4, 9)) == "breached"
    resumed = sla.resume(late, sh(2026, 3, 5, 9))
    # already overdue when it resumed: due (and at risk) at the resumption, in the past from now on
    assert sla.due_at(resumed, CAL) == sla.at_risk_at(resumed, CAL) == sh(2026, 3, 5, 9)
    assert sla.left_at(resumed, CAL, sh(2026, 3, 5, 10)) == -3 * H


def test_a_paused_clock_past_its_at_risk_mark_is_paused_not_at_risk():
    paused = sla.pause(TEN_HOURS, CAL, sh(2026, 3, 3, 9, 30))  # 9.5 h used
    assert sla.status(paused, CAL, sh(2026, 3, 4, 9)) == "paused"
    resumed = sla.resume(paused, sh(2026, 3, 4, 9))
    assert sla.at_risk_at(resumed, CAL) == sh(2026, 3, 4, 9)  # 8 h was reached before the pause
    assert sla.due_at(resumed, CAL) == sh(2026, 3, 4, 9, 30)
    assert sla.status(resumed, CAL, sh(2026, 3, 4, 9)) == "at_risk"


def test_stopping_a_paused_clock_keeps_what_it_used():
    paused = sla.pause(TEN_HOURS, CAL, sh(2026, 3, 2, 12))
    done = sla.stop(paused, CAL, sh(2026, 3, 9, 12))
    assert done.used == 3 * H and done.stopped and not done.paused
    assert sla.status(done, CAL, sh(2026, 3, 9, 12)) == "met"


def test_clocks_on_a_24x7_calendar_count_real_time():
    clock = sla.start(FIRST_CONTACT, 24 * H, sh(2026, 10, 1, 17))  # National Day does not matter
    assert sla.due_at(clock, ALWAYS) == sh(2026, 10, 2, 17)


def test_clocks_are_immutable_values():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TEN_HOURS.used = 5.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: sla.start("callback", H, OPENED),
        lambda: sla.start(ON_SITE, 0, OPENED),
        lambda: sla.start(ON_SITE, -H, OPENED),
        lambda: sla.start(ON_SITE, math.nan, OPENED),
        lambda: sla.start(ON_SITE, H, dt.datetime(2026, 3, 2, 9)),
        lambda: sla.pause(TEN_HOURS, CAL, dt.datetime(2026, 3, 2, 12)),
        lambda: sla.status(TEN_HOURS, CAL, OPENED, ratio=1.0),
        lambda: sla.at_risk_at(TEN_HOURS, CAL, ratio=0),
    ],
    ids=["unknown-kind", "zero-budget", "negative-budget", "nan-budget", "naive-start", "naive-pause", "ratio-1", "ratio-0"],
)
def test_bad_arguments_are_refused(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    ("policy", "on_site", "budgets"),
    [
        (Policy(), True, {FIRST_CONTACT: 24 * H, ON_SITE: 12 * H}),
        (Policy(), False, {FIRST_CONTACT: 24 * H}),
        (Policy(resolution=72), True, {FIRST_CONTACT: 24 * H, ON_SITE: 12 * H, RESOLUTION: 72 * H}),
        (Policy(first_contact=0.5, on_site=None, resolution=48), True, {FIRST_CONTACT: 1800, RESOLUTION: 48 * H}),
        (Policy(first_contact=None, on_site=None), True, {}),
    ],
    ids=["default-on-site", "default-carry-in", "with-resolution", "no-on-site-promise", "no-promises"],
)
def test_policy_budgets_the_clocks_a_new_ticket_starts(policy, on_site, budgets):
    assert policy.budgets(on_site_applies=on_site) == budgets


def test_policy_defaults():
    policy = Policy()
    assert (policy.first_contact, policy.on_site, policy.resolution) == (24, 12, None)
    assert (policy.at_risk_ratio, policy.pause_while_waiting, policy.calendar) == (0.8, True, "business")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"first_contact": 0}, "first_contact must be a number of hours > 0"),
        ({"first_contact": -1}, "first_contact"),
        ({"on_site": math.nan}, "on_site"),
        ({"on_site": math.inf}, "on_site"),
        ({"resolution": "48"}, "resolution"),
        ({"resolution": True}, "resolution"),
        ({"at_risk_ratio": 0}, "between 0 and 1"),
        ({"at_risk_ratio": 1}, "between 0 and 1"),
        ({"at_risk_ratio": 1.5}, "between 0 and 1"),
        ({"calendar": ""}, "calendar must name a calendar"),
    ],
)
def test_policy_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Policy(**kwargs)
