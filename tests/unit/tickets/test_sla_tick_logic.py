"""The pure parts of the SLA tick: which alarm a clock owes, one alarm per clock in claim order, the
ticket's status raised and never lowered."""

from __future__ import annotations

import datetime as dt

import pytest

from cti.tickets.timers import AT_RISK, BREACHED, Candidate, alarm_of, plan, raised

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("due", "risk", "risk_fired", "breach_fired", "alarm"),
    [
        (NOW + H, NOW + H, None, None, None),  # nothing yet
        (NOW + H, NOW - H, None, None, AT_RISK),
        (NOW + H, NOW, None, None, AT_RISK),  # at the at-risk instant itself
        (NOW + H, NOW - H, NOW - H, None, None),  # announced already
        (NOW, NOW - H, NOW - H, None, BREACHED),  # at the due instant itself
        (NOW - H, NOW - 2 * H, None, None, BREACHED),  # found late: the breach, not the at-risk
        (NOW - H, NOW - 2 * H, NOW - H, NOW - H, None),  # both announced
        (None, None, None, None, None),  # paused or stopped: no projected times
    ],
)
def test_the_alarm_a_clock_owes(due, risk, risk_fired, breach_fired, alarm):
    assert alarm_of(due, risk, risk_fired, breach_fired, NOW) == alarm


def cand(clock_id: int, alarm: str, ticket_id: int = 1) -> Candidate:
    return Candidate(clock_id, ticket_id, "resolution", alarm, None)


def test_the_plan_takes_one_alarm_per_clock_the_breach_first_in_clock_id_order():
    found = [cand(9, AT_RISK), cand(4, BREACHED), cand(4, AT_RISK), cand(7, AT_RISK, 2), cand(9, BREACHED)]
    assert [(c.clock_id, c.alarm) for c in plan(found)] == [(4, BREACHED), (7, AT_RISK), (9, BREACHED)]
    assert plan([]) == []


@pytest.mark.parametrize(
    ("current", "alarm", "after"),
    [("ok", AT_RISK, AT_RISK), ("ok", BREACHED, BREACHED), ("at_risk", BREACHED, BREACHED),
     ("breached", AT_RISK, BREACHED), ("at_risk", AT_RISK, AT_RISK), ("met", AT_RISK, AT_RISK)],
)
def test_the_status_is_raised_never_lowered(current, alarm, after):
    assert raised(current, alarm) == after
