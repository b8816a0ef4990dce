"""The SLA promises of tickets, kept in ``sla_clocks`` rows: started at opening, paused, resumed and
stopped by state changes, projected (``due_at``/``at_risk_at``) so the tick finds them by index.

The arithmetic is :mod:`cti.tickets.sla` over a :mod:`cti.tickets.calendar`; this module only moves
rows to clocks and back, and picks the policy and calendar of a ticket (:class:`Promises`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cti.tickets import sla
from cti.tickets.calendar import BusinessCalendar, ChinaHolidays, WeekendsOnly, wall_time
from cti.tickets.models import BusinessCalendarRow, CalendarDay, SlaClock, SlaPolicy, Ticket

BUSINESS = "business"
ALWAYS = "24x7"
NO_CLOCKS = frozenset({"enquiry", "praise"})  # closed on save: nothing is promised
DEFAULT_HOURS = {str(d): [["09:00", "18:00"]] for d in range(5)}
# (service type, priority) -> business hours of first contact, on site, resolution; "*" matches anything.
# On the default calendar (09:00–18:00 on China's working days) 24 h is under three working days and a
# 72 h resolution about eight: inside the 15 days of the 三包 repair rule.
DEFAULT_POLICIES: dict[tuple[str, str], sla.Policy] = {
    ("*", "*"): sla.Policy(first_contact=24, on_site=12, resolution=72),
    ("*", "urgent"): sla.Policy(first_contact=4, on_site=8, resolution=36),
    ("complaint", "*"): sla.Policy(first_contact=24, on_site=None, resolution=48),
    ("complaint", "urgent"): sla.Policy(first_contact=4, on_site=None, resolution=24),
}
SEVERITY = {"ok": 0, "met": 0, "paused": 0, "at_risk": 1, "breached": 2}


@lru_cache(maxsize=64)
def _calendar(zone: str, always_open: bool, china: bool, hours: tuple, off: frozenset, on: frozenset) -> BusinessCalendar:
    """Calendars are cached by their content: their per-day caches survive between operations."""
    if always_open:
        return BusinessCalendar(ZoneInfo(zone), always_open=True)
    per_day = {int(day): [(wall_time(a), wall_time(b)) for a, b in spans] for day, spans in hours}
    return BusinessCalendar(ZoneInfo(zone), per_day, holidays=ChinaHolidays() if china else WeekendsOnly(),
                            extra_off=off, extra_on=on)


@dataclass
class Promises:
    """The policies and calendars in force (read from the database, built-in defaults where it has none)."""

    zone: str
    policies: Mapping[tuple[str, str], sla.Policy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, zone: str) -> Promises:
        policies = dict(DEFAULT_POLICIES)
        for row in session.scalars(select(SlaPolicy)):
            policies[(row.service_type, row.priority)] = sla.Policy(
                first_contact=row.first_contact_hours, on_site=row.on_site_hours, resolution=row.resolution_hours,
                at_risk_ratio=row.at_risk_ratio, pause_while_waiting=row.pause_while_waiting, calendar=row.calendar)
        calendars = {
            BUSINESS: _calendar(zone, False, True, _frozen_hours(DEFAULT_HOURS), frozenset(), frozenset()),
            ALWAYS: _calendar(zone, True, False, (), frozenset(), frozenset()),
        }
        days: dict[int, list[CalendarDay]] = {}
        for day in session.scalars(select(CalendarDay)):
            days.setdefault(day.calendar_id, []).append(day)
        for row in session.scalars(select(BusinessCalendarRow)):
            mine = days.get(row.id, [])
            calendars[row.name] = _calendar(
                zone, row.always_open, row.china_holidays, _frozen_hours(row.hours or DEFAULT_HOURS),
                frozenset(d.day for d in mine if not d.working), frozenset(d.day for d in mine if d.working))
        return cls(zone, policies, calendars)

    def policy(self, service_type: str, priority: str) -> sla.Policy | None:
        if service_type in NO_CLOCKS:
            return None
        for key in ((service_type, priority), (service_type, "*"), ("*", priority), ("*", "*")):
            if key in self.policies:
                return self.policies[key]
        return None

    def calendar(self, name: str) -> BusinessCalendar:
        return self.calendars.get(name) or self.calendars[BUSINESS]

    def missing_years(self, years: Iterable[int]) -> list[int]:
        """Years some calendar in use has no holiday data for (the console and /status say so)."""
        return sorted({y for y in years for c in self.calendars.values() if not c.covers(y)})


def _frozen_hours(hours: Mapping[str, list]) -> tuple:
    return tuple(sorted((str(day), tuple(tuple(span) for span in spans)) for day, spans in hours.items()))


def to_clock(row: SlaClock) -> sla.Clock:
    return sla.Clock(kind=row.kind, budget=row.budget_seconds, used=row.used_seconds,
                     running_since=row.running_since, stopped_at=row.stopped_at, paused_at=row.paused_at)


def _store(row: SlaClock, clock: sla.Clock, cal: BusinessCalendar, ratio: float) -> None:
    row.used_seconds, row.running_since = clock.used, clock.running_since
    row.stopped_at, row.paused_at = clock.stopped_at, clock.paused_at
    row.due_at = sla.due_at(clock, cal)
    row.at_risk_at = sla.at_risk_at(clock, cal, ratio)


def start(session: Session, ticket: Ticket, promises: Promises, now: dt.datetime) -> list[SlaClock]:
    """The clocks a new ticket's policy promises (none for enquiries and praise)."""
    policy = promises.policy(ticket.service_type, ticket.priority)
    if policy is None:
        return []
    cal = promises.calendar(policy.calendar)
    rows = []
    for kind, budget in policy.budgets(ticket.workflow == "on_site").items():
        row = SlaClock(ticket_id=ticket.id, kind=kind, calendar=policy.calendar, budget_seconds=budget)
        _store(row, sla.start(kind, budget, now), cal, policy.at_risk_ratio)
        session.add(row)
        rows.append(row)
    return rows


def clocks_of(session: Session, ticket_id: int) -> list[SlaClock]:
    return list(session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.id)))


def apply(rows: list[SlaClock], ticket: Ticket, promises: Promises, now: dt.datetime, *, stops: Iterable[str] = (),
          restarts: Iterable[str] = (), pause: bool = False, final: bool = False) -> None:
    """A state change's effect on the clocks: stop the promises it keeps (all of them when the ticket
    closes), start again those it restarts (a rework, a reopen), pause or resume the others (paused
    states, if the policy pauses)."""
    policy = promises.policy(ticket.service_type, ticket.priority) or sla.Policy()
    stopping, restarting = set(stops), set(restarts)
    for row in rows:
        cal = promises.calendar(row.calendar)
        if row.kind in restarting and not final:
            row.at_risk_fired_at = row.breach_fired_at = None
            clock = sla.start(row.kind, row.budget_seconds, now)
            if pause and policy.pause_while_waiting:
                clock = sla.pause(clock, cal, now)
            _store(row, clock, cal, policy.at_risk_ratio)
            continue
        clock = to_clock(row)
        if clock.stopped_at is not None:
            continue
        if final or row.kind in stopping:
            clock = sla.stop(clock, cal, now)
        elif pause and policy.pause_while_waiting:
            clock = sla.pause(clock, cal, now)
        elif clock.running_since is None:
            clock = sla.resume(clock, now)
        _store(row, clock, cal, policy.at_risk_ratio)


def status_of(rows: Iterable[SlaClock], promises: Promises, now: dt.datetime, ratio: float = 0.8) -> str:
    """The worst status of a ticket's clocks: ``breached`` (a promise broken stays broken, even once kept
    late), ``at_risk`` or ``ok``."""
    worst = "ok"
    for row in rows:
        state = sla.status(to_clock(row), promises.calendar(row.calendar), now, ratio)
        if SEVERITY.get(state, 0) > SEVERITY[worst]:
            worst = state
    return worst


EARLIEST_DUE = (select(func.min(SlaClock.due_at)).where(SlaClock.ticket_id == Ticket.id, SlaClock.due_at.is_not(None))
                .correlate(Ticket).scalar_subquery())  # a ticket's due_at, from its clocks (bulk updates)


def settle(ticket: Ticket, rows: Iterable[SlaClock], promises: Promises, now: dt.datetime) -> None:
    """Copy what the list sorts and filters on onto the ticket: the worst status and the earliest due time
    of its running promises (``tickets.sla_status``, ``tickets.due_at``)."""
    rows = list(rows)
    ticket.sla_status = status_of(rows, promises, now)
    ticket.due_at = min((r.due_at for r in rows if r.due_at is not None), default=None)


def describe(row: SlaClock, promises: Promises, now: dt.datetime, ratio: float = 0.8) -> dict:
    """One clock as the console shows it: kind, status, business seconds left, due time."""
    cal = promises.calendar(row.calendar)
    clock = to_clock(row)
    return {
        "kind": row.kind,
        "status": sla.status(clock, cal, now, ratio),
        "left": round(sla.left_at(clock, cal, now)),
        "budget": round(row.budget_seconds),
        "due": row.due_at.isoformat() if row.due_at else None,
        "stopped": row.stopped_at.isoformat() if row.stopped_at else None,
    }
