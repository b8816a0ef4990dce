"""Complaint escalation: level 1 on a breach or repeated calls, level 2 on a further breach or no
acknowledgement, once each, never above 2, never for a closed complaint."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cti.tickets.escalation import REASONS, ComplaintView, Escalate, Rules, decide, next_check

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
RULES = Rules()


def at(*hours: float) -> tuple[datetime, ...]:
    return tuple(T0 + h * H for h in hours)


def record(view: ComplaintView, decision: Escalate, now: datetime) -> ComplaintView:
    """What the service stores when it escalates."""
    if decision.level == 1:
        return replace(view, level=1, level1_at=now, breaches_at_level1=view.breaches)
    return replace(view, level=decision.level)


def level1(**more) -> ComplaintView:
    return ComplaintView(**{"level": 1, "level1_at": T0, **more})


def test_the_defaults():
    assert (RULES.repeat_calls, RULES.repeat_window, RULES.ack_timeout) == (3, 48 * H, 2 * H)
    assert REASONS == ("sla_breach", "repeat_calls", "further_breach", "unacknowledged")


# --- level 1 --------------------------------------------------------------------------------------


def test_a_breach_escalates_to_level_1_once():
    view = ComplaintView(breaches=1)
    decision = decide(view, RULES, T0)
    assert decision == Escalate(1, "sla_breach")
    assert decide(record(view, decision, T0), RULES, T0) is None


def test_a_breach_comes_before_repeated_calls():
    assert decide(ComplaintView(breaches=2, call_times=at(0, 1, 2)), RULES, T0 + 3 * H) == Escalate(1, "sla_breach")


def test_three_calls_within_48_hours_escalate_to_level_1_once():
    view = ComplaintView(call_times=at(0, 20, 47.9))
    assert decide(view, RULES, T0 + 47 * H) is None  # the third call has not come yet
    now = T0 + 47.9 * H
    decision = decide(view, RULES, now)
    assert decision == Escalate(1, "repeat_calls")
    raised = record(view, decision, now)
    assert decide(raised, RULES, now) is None
    assert decide(replace(raised, call_times=at(0, 20, 47.9, 48.5)), RULES, now + H) is None  # a fourth call


@pytest.mark.parametrize(
    ("hours", "escalates"),
    [
        ((0, 30), False),  # two calls
        ((0, 24, 49), False),  # three calls over 49 hours
        ((0, 24, 48), False),  # exactly 48 hours apart: the window is (t - 48 h, t]
        ((0, 24, 47.99), True),
        ((0, 0, 0), True),  # three calls at once (a quick redial counts)
        ((0, 30, 50, 70), True),  # not the first three, but the last three are within 48 hours
        ((0, 49, 98, 147), False),  # steady, but never three in 48 hours
    ],
)
def test_repeated_calls_within_the_window(hours, escalates):
    view = ComplaintView(call_times=at(*hours))
    expected = Escalate(1, "repeat_calls") if escalates else None
    assert decide(view, RULES, T0 + 200 * H) == expected


def test_calls_are_counted_in_any_order_and_a_burst_is_not_forgotten():
    view = ComplaintView(call_times=at(40, 0, 20))
    assert decide(view, RULES, T0 + 40 * H) == Escalate(1, "repeat_calls")
    # decide() asked only a week later (no call since): the burst still counts
    assert decide(view, RULES, T0 + 200 * H) == Escalate(1, "repeat_calls")


def test_calls_after_now_do_not_count():
    assert decide(ComplaintView(call_times=at(0, 1, 5)), RULES, T0 + 2 * H) is None


def test_the_rules_are_the_callers():
    rules = Rules(repeat_calls=2, repeat_window=24 * H, ack_timeout=30 * timedelta(minutes=1))
    assert decide(ComplaintView(call_times=at(0, 23)), rules, T0 + 23 * H) == Escalate(1, "repeat_calls")
    assert decide(ComplaintView(call_times=at(0, 24)), rules, T0 + 24 * H) is None
    assert decide(level1(), rules, T0 + 0.5 * H) == Escalate(2, "unacknowledged")


# --- level 2 --------------------------------------------------------------------------------------


def test_a_further_breach_escalates_to_level_2():
    view = level1(breaches=1, breaches_at_level1=1, level1_acked_at=T0 + 0.5 * H)
    assert decide(view, RULES, T0 + 5 * H) is None
    worse = replace(view, breaches=2)
    decision = decide(worse, RULES, T0 + 5 * H)
    assert decision == Escalate(2, "further_breach")
    top = record(worse, decision, T0 + 5 * H)
    assert decide(top, RULES, T0 + 5 * H) is None
    assert decide(replace(top, breaches=5, call_times=at(1, 2, 3)), RULES, T0 + 100 * H) is None  # never level 3


def test_a_first_breach_after_a_level_1_for_repeated_calls_is_a_further_breach():
    view = level1(breaches=0, breaches_at_level1=0, level1_acked_at=T0 + H)
    assert decide(replace(view, breaches=1), RULES, T0 + 3 * H) == Escalate(2, "further_breach")


def test_level_1_not_acknowledged_in_time_escalates_to_level_2():
    view = level1()
    assert decide(view, RULES, T0 + 2 * H - timedelta(seconds=1)) is None
    decision = decide(view, RULES, T0 + 2 * H)
    assert decision == Escalate(2, "unacknowledged")
    assert decide(record(view, decision, T0 + 2 * H), RULES, T0 + 9 * H) is None


@pytest.mark.parametrize(
    ("acked_after", "escalates"),
    [(0.1, False), (2, False), (2.01, True)],  # acknowledged at the deadline is in time
)
def test_an_acknowledgement_in_time_stops_the_timeout(acked_after, escalates):
    view = level1(level1_acked_at=T0 + acked_after * H)
    expected = Escalate(2, "unacknowledged") if escalates else None
    assert decide(view, RULES, T0 + 10 * H) == expected


def test_a_late_acknowledgement_does_not_undo_the_missed_timeout():
    """Whenever decide() runs after the deadline, the answer is the same (no scheduler race)."""
    view = level1(level1_acked_at=T0 + 3 * H)
    assert decide(view, RULES, T0 + 2.5 * H) == decide(view, RULES, T0 + 4 * H) == Escalate(2, "unacknowledged")


def test_level_1_does_not_look_at_calls_again():
    assert decide(level1(level1_acked_at=T0, call_times=at(1, 2, 3, 4, 5)), RULES, T0 + 6 * H) is None


# --- closed, next check, validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "view",
    [
        ComplaintView(breaches=3, open=False),
        ComplaintView(call_times=at(0, 1, 2), open=False),
        level1(breaches=2, open=False),
        level1(open=False),
    ],
)
def test_nothing_for_a_closed_complaint(view):
    assert decide(view, RULES, T0 + 100 * H) is None
    assert next_check(view, RULES, T0) is None


def test_next_check_is_the_acknowledgement_deadline():
    view = level1()
    assert next_check(view, RULES, T0 + 0.5 * H) == T0 + 2 * H
    assert next_check(view, RULES, T0 + 3 * H) == T0 + 3 * H  # overdue: look now
    assert next_check(replace(view, level1_acked_at=T0 + H), RULES, T0 + 0.5 * H) is None
    assert next_check(replace(view, level1_acked_at=T0 + 3 * H), RULES, T0 + 0.5 * H) == T0 + 2 * H
    assert next_check(ComplaintView(call_times=at(0, 1)), RULES, T0 + 2 * H) is None  # only a call can escalate
    assert next_check(replace(view, level=2), RULES, T0) is None


def test_a_scheduler_that_follows_next_check_escalates_on_time():
    view, now = ComplaintView(breaches=1), T0
    view = record(view, decide(view, RULES, now), now)
    when = next_check(view, RULES, now)
    assert decide(view, RULES, when - timedelta(microseconds=1)) is None
    assert decide(view, RULES, when) == Escalate(2, "unacknowledged")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"repeat_calls": 1}, "repeat_calls must be a whole number of calls, at least 2 (got 1)"),
        ({"repeat_calls": 2.5}, "repeat_calls must be a whole number"),
        ({"repeat_calls": True}, "repeat_calls must be a whole number"),
        ({"repeat_window": timedelta(0)}, "repeat_window must be a positive timedelta (got datetime.timedelta(0))"),
        ({"repeat_window": 48}, "repeat_window must be a positive timedelta (got 48)"),
        ({"ack_timeout": -H}, "ack_timeout must be a positive timedelta"),
    ],
)
def test_rules_are_checked(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Rules(**changes)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level": 3}, "level must be 0, 1 or 2 (got 3)"),
        ({"level": -1}, "level must be 0, 1 or 2"),
        ({"breaches": -1}, "breach counts only grow"),
        ({"breaches": 1, "breaches_at_level1": 2, "level": 1, "level1_at": T0}, "breach counts only grow"),
        ({"level": 1}, "a complaint escalated to level 1 needs level1_at"),
        ({"level1_acked_at": T0}, "needs level1_at"),
    ],
)
def test_an_impossible_view_is_refused(fields, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ComplaintView(**fields)


# --- properties -----------------------------------------------------------------------------------

hours = st.floats(min_value=0, max_value=200, allow_nan=False)


@given(calls=st.lists(hours, max_size=8), now=hours, breaches=st.integers(0, 3))
def test_the_repeat_rule_is_any_window_up_to_now(calls, now, breaches):
    """Brute force: some call t <= now has repeat_calls calls in (t - window, t]."""
    times, when = at(*calls), T0 + now * H
    burst = any(sum(t - RULES.repeat_window < c <= t for c in times) >= 3 for t in times if t <= when)
    decision = decide(ComplaintView(breaches=breaches, call_times=times), RULES, when)
    if breaches:
        assert decision == Escalate(1, "sla_breach")
    else:
        assert decision == (Escalate(1, "repeat_calls") if burst else None)


events = st.lists(st.tuples(st.sampled_from(["call", "breach", "ack", "wait"]), st.floats(0, 30)), max_size=25)


@given(events)
def test_a_complaint_climbs_one_level_at_a_time_and_never_repeats(steps):
    view, now, decisions = ComplaintView(), T0, []
    for kind, hours_later in steps:
        now += hours_later * H
        if kind == "call":
            view = replace(view, call_times=(*view.call_times, now))
        elif kind == "breach":
            view = replace(view, breaches=view.breaches + 1)
        elif kind == "ack" and view.level == 1 and view.level1_acked_at is None:
            view = replace(view, level1_acked_at=now)
        when = next_check(view, RULES, now)
        assert when is None or when >= now
        decision = decide(view, RULES, now)
        if decision is not None:
            assert decision.level == view.level + 1 <= 2 and decision.reason in REASONS
            view = record(view, decision, now)
            decisions.append(decision.level)
            assert decide(view, RULES, now) is None
    assert decisions == sorted(set(decisions)) and set(decisions) <= {1, 2}
