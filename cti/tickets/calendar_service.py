"""Units of work for the business calendars administrators keep: a calendar's hours, holidays and
24×7, and its local extra days off or on.

Like :mod:`cti.tickets.settings_service`: a synchronous ``Session`` in the caller's transaction,
checks before writes (:class:`~cti.tickets.settings_forms.SettingsError`), one audit row per change.

The built-in calendars ``business`` (Monday-Friday 09:00-18:00 with China's holidays) and ``24x7``
need no row; saving one, or giving it an extra day, stores a row that overrides it, and deleting
that row brings the built-in back. A calendar keeps its name (policies and running clocks name it).

A calendar is *when* the promises count, not how long they are: so after a change, the running
clocks on that calendar get their due and at-risk instants projected again (:func:`reproject`),
in the same transaction, and the SLA tick and the ticket pages see the new times at once. Their
budgets, and the time they had used, stay as they were promised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cti.tickets import sla
from cti.tickets.clocks import ALWAYS, BUSINESS, DEFAULT_HOURS, EARLIEST_DUE, Promises
from cti.tickets.models import BusinessCalendarRow, CalendarDay, SlaClock, Ticket
from cti.tickets.settings_forms import CalendarValues, DayValues, SettingsError
from cti.tickets.settings_service import BUILT_IN, CUSTOM, OVERRIDE, audit, calendar_names, flush_unique, policies

BUILT_INS = {
    BUSINESS: CalendarValues(BUSINESS, always_open=False, china_holidays=True, hours=DEFAULT_HOURS),
    ALWAYS: CalendarValues(ALWAYS, always_open=True, china_holidays=False, hours={}),
}


@dataclass(frozen=True, slots=True)
class CalendarInForce:
    values: CalendarValues
    id: int | None  # its business_calendars row; None for a built-in nobody changed
    source: str  # built_in | override | custom
    days: list[CalendarDay] = field(default_factory=list)  # extra days off and on, by date
    used_by: list[tuple[str, str]] = field(default_factory=list)  # the policies in force that name it

    @property
    def name(self) -> str:
        return self.values.name


def _values(row: BusinessCalendarRow) -> CalendarValues:
    return CalendarValues(row.name, row.always_open, row.china_holidays, row.hours or {})


def calendars(session: Session) -> list[CalendarInForce]:
    """Every calendar in force, the built-ins first, with its extra days and the policies naming it."""
    days: dict[int, list[CalendarDay]] = {}
    for day in session.scalars(select(CalendarDay).order_by(CalendarDay.day)):
        days.setdefault(day.calendar_id, []).append(day)
    used: dict[str, list[tuple[str, str]]] = {}
    for policy in policies(session):
        used.setdefault(policy.values.calendar, []).append(policy.key)
    rows = {r.name: r for r in session.scalars(select(BusinessCalendarRow))}
    found = [CalendarInForce(values, None, BUILT_IN, [], used.get(name, []))
             for name, values in BUILT_INS.items() if name not in rows]
    found += [CalendarInForce(_values(r), r.id, OVERRIDE if name in BUILT_INS else CUSTOM, days.get(r.id, []),
                              used.get(name, [])) for name, r in rows.items()]
    return sorted(found, key=lambda c: (c.name not in BUILT_INS, c.name))


def _row(session: Session, name: str) -> BusinessCalendarRow | None:
    return session.scalar(select(BusinessCalendarRow).where(BusinessCalendarRow.name == name))


def _stored(session: Session, name: str, actor: str) -> BusinessCalendarRow:
    """The row of calendar ``name``; a built-in gets one (its values, audited as an override)."""
    row = _row(session, name)
    if row is not None:
        return row
    if name not in BUILT_INS:
        raise SettingsError("unknown_calendar", "calendar", name=name)
    row = BusinessCalendarRow(**BUILT_INS[name].columns())
    session.add(row)
    session.flush()
    audit(session, actor, "business_calendar", name, "override", BUILT_INS[name].columns(), BUILT_INS[name].columns())
    return row


def save_calendar(session: Session, original: str | None, values: CalendarValues, *, actor: str, zone: str) -> int:
    """Add a calendar (``original`` None) or change calendar ``original`` (its name stays); returns how
    many running clocks were projected again."""
    if original is None:
        if values.name in calendar_names(session):
            raise SettingsError("name_taken", "name")
        row, before, action = BusinessCalendarRow(**values.columns()), None, "create"
        session.add(row)
    else:
        if values.name != original:
            raise SettingsError("not_found")
        row = _row(session, original)
        if row is None and original not in BUILT_INS:
            raise SettingsError("not_found")
        if row is None:
            row, before, action = BusinessCalendarRow(**values.columns()), BUILT_INS[original].columns(), "override"
            session.add(row)
        else:
            before, action = _values(row).columns(), "update"
            row.always_open, row.china_holidays, row.hours = values.always_open, values.china_holidays, values.hours
    flush_unique(session, "name_taken", "name")
    audit(session, actor, "business_calendar", values.name, action, before, values.columns())
    return reproject(session, values.name, zone)


def delete_calendar(session: Session, calendar_id: int, *, actor: str, zone: str) -> int:
    """Delete a stored calendar with its extra days (a built-in one comes back as it was built). A calendar
    a policy in force names cannot go; returns how many running clocks were projected again."""
    row = session.get(BusinessCalendarRow, calendar_id)
    if row is None:
        raise SettingsError("not_found")
    if row.name not in BUILT_INS:
        users = ["/".join(p.key) for p in policies(session) if p.values.calendar == row.name]
        if users:
            raise SettingsError("calendar_in_use", policies=", ".join(users))
    days = list(session.scalars(select(CalendarDay).where(CalendarDay.calendar_id == row.id).order_by(CalendarDay.day)))
    before = _values(row).columns() | {"days": [_day_columns(d) for d in days]}
    for day in days:
        session.delete(day)
    session.delete(row)
    session.flush()
    restored = BUILT_INS.get(row.name)
    audit(session, actor, "business_calendar", row.name, "delete", before, restored.columns() if restored else None)
    return reproject(session, row.name, zone)


def _day_columns(day: CalendarDay) -> dict[str, object]:
    return {"day": day.day.isoformat(), "working": day.working, "note": day.note}


def add_day(session: Session, name: str, values: DayValues, *, actor: str, zone: str) -> int:
    """Give calendar ``name`` an extra day off or on; returns how many running clocks were projected again."""
    row = _stored(session, name, actor)
    if session.scalar(select(CalendarDay.id).where(CalendarDay.calendar_id == row.id, CalendarDay.day == values.day)):
        raise SettingsError("day_taken", "day", day=values.day.isoformat())
    day = CalendarDay(calendar_id=row.id, day=values.day, working=values.working, note=values.note)
    session.add(day)
    flush_unique(session, "day_taken", "day", day=values.day.isoformat())
    audit(session, actor, "calendar_day", f"{name}/{values.day.isoformat()}", "create", None, _day_columns(day))
    return reproject(session, name, zone)


def delete_day(session: Session, day_id: int, *, actor: str, zone: str) -> tuple[str, int]:
    """Remove an extra day; returns its calendar's name and how many running clocks were projected again."""
    day = session.get(CalendarDay, day_id)
    row = session.get(BusinessCalendarRow, day.calendar_id) if day is not None else None
    if day is None or row is None:
        raise SettingsError("not_found")
    before = _day_columns(day)
    session.delete(day)
    session.flush()
    audit(session, actor, "calendar_day", f"{row.name}/{before['day']}", "delete", before)
    return row.name, reproject(session, row.name, zone)


def reproject(session: Session, name: str, zone: str) -> int:
    """Project again the due and at-risk instants of the running clocks on calendar ``name``, on the
    calendar as this transaction now has it. Their tickets are locked first, in id order (as every
    writer of a ticket does before its clocks); budgets and time used are left as they are."""
    running = (SlaClock.calendar == name, SlaClock.running_since.is_not(None), SlaClock.stopped_at.is_(None))
    locked = session.scalars(select(Ticket.id).where(Ticket.id.in_(select(SlaClock.ticket_id).where(*running)))
                             .order_by(Ticket.id).with_for_update()).all()
    if not locked:
        return 0
    promises = Promises.load(session, zone)
    cal = promises.calendar(name)
    rows = session.execute(
        select(SlaClock.id, SlaClock.kind, SlaClock.budget_seconds, SlaClock.used_seconds, SlaClock.running_since,
               Ticket.service_type, Ticket.priority)
        .join(Ticket, Ticket.id == SlaClock.ticket_id).where(*running))
    changes = []
    for r in rows:
        policy = promises.policy(r.service_type, r.priority)
        ratio = policy.at_risk_ratio if policy is not None else sla.DEFAULT_RATIO
        clock = sla.Clock(kind=r.kind, budget=r.budget_seconds, used=r.used_seconds, running_since=r.running_since)
        changes.append({"id": r.id, "due_at": sla.due_at(clock, cal), "at_risk_at": sla.at_risk_at(clock, cal, ratio)})
    if changes:
        session.execute(update(SlaClock), changes)
        session.execute(update(Ticket).where(Ticket.id.in_(select(SlaClock.ticket_id).where(*running)))
                        .values(due_at=EARLIEST_DUE).execution_options(synchronize_session=False))
    return len(changes)
