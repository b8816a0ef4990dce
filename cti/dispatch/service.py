"""Dispatch's units of work on a synchronous ``Session``: give a job out, check in on site, report
the work done (完工单), review it (审核).

Each runs inside the caller's transaction (``TicketDesk.run``): the ticket's state moves
through :func:`cti.tickets.service.change_state` (its history line and audit row), who goes
and when through :func:`cti.tickets.fieldwork.assign`, and the completion report and its
review are written here with their own audit rows. Each returns the ticket events to publish
after the commit, naming the engineer's login (their work list refreshes). Refusals raise
:class:`~cti.dispatch.rules.DispatchError` before the transaction commits: nothing is saved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.audit import record
from cti.dispatch.models import CompletionPart, CompletionReport, Engineer, ServiceOutlet
from cti.dispatch.rules import DispatchError, PartLine, charges, check_window
from cti.events import TicketChanged
from cti.tickets import fieldwork, workflow
from cti.tickets import service as tickets
from cti.tickets.clocks import Promises
from cti.tickets.models import Ticket
from cti.tickets.service import Actor, TicketError

__all__ = ["Assignment", "Completion", "arrive", "complete", "engineer_of", "review", "schedule"]

DISPATCHERS = workflow.ON_SITE_WORK.find("to_dispatch", "dispatched").roles  # type: ignore[union-attr]
REVIEWERS = workflow.ON_SITE_WORK.find("completed", "closed").roles  # type: ignore[union-attr]
BACK_TO = {"on_site": "on_site", "dispatched": "dispatched"}  # reject: fix it on site / another visit
MAX_WORK = 2000
MAX_REVIEW_NOTE = 500
CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock a little ahead of the server's


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who goes (an engineer, an outlet, or an engineer and their outlet) and when (aware UTC)."""

    engineer_id: int | None
    outlet_id: int | None
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class Completion:
    """What the engineer reports: the work, the parts used, the labour charge; ``completed_at``
    None means now."""

    work_done: str
    parts: tuple[PartLine, ...] = ()
    labour: Decimal = Decimal("0.00")
    completed_at: dt.datetime | None = None


def engineer_of(session: Session, user_id: int | None) -> Engineer | None:
    """The active engineer a console login belongs to (None: not an engineer, or disabled)."""
    if user_id is None:
        return None
    return session.scalar(select(Engineer).where(Engineer.user_id == user_id, Engineer.active.is_(True)))


def _ticket(session: Session, ticket_id: int) -> Ticket:
    """The on-site ticket, its row locked for the rest of the transaction."""
    try:
        ticket = tickets.get_for_update(session, ticket_id)
    except TicketError:
        raise DispatchError("not_found") from None
    if ticket.workflow != "on_site":
        raise DispatchError("not_on_site")
    return ticket


def _own(session: Session, ticket: Ticket, actor: Actor) -> None:
    """An engineer acts on their own jobs only; another's is "not found" (nothing is revealed).
    Supervisors and above may act for an engineer (the workflow lets them)."""
    if actor.role != "engineer":
        return
    engineer = engineer_of(session, actor.user_id)
    if engineer is None or ticket.engineer_id != engineer.id:
        raise DispatchError("not_found")


def _state(ticket: Ticket, *expected: str) -> None:
    if ticket.state not in expected:
        raise DispatchError("state_changed", state=ticket.state)


def _user_of(session: Session, engineer_id: int | None) -> int | None:
    return session.scalar(select(Engineer.user_id).where(Engineer.id == engineer_id)) if engineer_id else None


def _for(events: list[Any], user_id: int | None) -> list[Any]:
    """The ticket events, naming the engineer's login whose work list shows the ticket."""
    return [dataclasses.replace(e, engineer_user_id=user_id) if isinstance(e, TicketChanged)
            and e.engineer_user_id is None else e for e in events]


def _change(session: Session, ticket: Ticket, target: str, actor: Actor, *, now: dt.datetime, promises: Promises,
            note: str = "") -> list[Any]:
    try:
        return tickets.change_state(session, ticket.id, target, actor, now=now, promises=promises, note=note)
    except TicketError as refused:  # the role, or a state the table has no way out of
        raise DispatchError("refused", state=ticket.state) from refused


def _who(session: Session, a: Assignment) -> tuple[Engineer | None, ServiceOutlet | None]:
    engineer = session.get(Engineer, a.engineer_id) if a.engineer_id is not None else None
    if a.engineer_id is not None and (engineer is None or not engineer.active):
        raise DispatchError("unknown_engineer", "assignee")
    outlet_id = a.outlet_id if a.outlet_id is not None else (engineer.outlet_id if engineer else None)
    outlet = session.get(ServiceOutlet, outlet_id) if outlet_id is not None else None
    if a.outlet_id is not None and (outlet is None or not outlet.active):
        raise DispatchError("unknown_outlet", "assignee")
    if engineer is None and outlet is None:
        raise DispatchError("assignee_missing", "assignee")
    return engineer, outlet if outlet is not None and outlet.active else None


def _label(engineer: Engineer | None, outlet: ServiceOutlet | None, a: Assignment, zone: str) -> str:
    """The history line's note: who and when, as people read it (names and local times only)."""
    tz = ZoneInfo(zone)
    start, end = a.start.astimezone(tz), a.end.astimezone(tz)
    who = " / ".join(x.name for x in (engineer, outlet) if x is not None)
    return f"{who} {start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def schedule(session: Session, ticket_id: int, assignment: Assignment, actor: Actor, *, now: dt.datetime,
             promises: Promises, note: str = "") -> list[Any]:
    """Give an on-site job out (``to_dispatch`` → ``dispatched``), or give a dispatched job to someone
    else or another window (改派): engineer and/or outlet, appointment window."""
    if actor.role not in DISPATCHERS:
        raise DispatchError("role")
    ticket = _ticket(session, ticket_id)
    _state(ticket, "to_dispatch", "dispatched")
    engineer, outlet = _who(session, assignment)
    check_window(assignment.start, assignment.end, now)
    previous = _user_of(session, ticket.engineer_id) if ticket.state == "dispatched" else None
    user_id = engineer.user_id if engineer is not None else None
    events: list[Any] = []
    if ticket.state == "to_dispatch":
        events += _change(session, ticket, "dispatched", actor, now=now, promises=promises, note=note)
    events += fieldwork.assign(
        session, ticket.id, actor, engineer_id=engineer.id if engineer else None,
        outlet_id=outlet.id if outlet else None, start=assignment.start, end=assignment.end, now=now,
        label=_label(engineer, outlet, assignment, promises.zone), engineer_user_id=user_id,
    )
    if previous is not None and previous != user_id:  # the job leaves the other engineer's list
        events.append(tickets.changed_event(ticket, now, previous))
    return _for(events, user_id)


def arrive(session: Session, ticket_id: int, actor: Actor, *, now: dt.datetime, promises: Promises) -> list[Any]:
    """The engineer checks in at the customer's (``dispatched`` → ``on_site``)."""
    ticket = _ticket(session, ticket_id)
    _own(session, ticket, actor)
    _state(ticket, "dispatched")
    return _for(_change(session, ticket, "on_site", actor, now=now, promises=promises),
                _user_of(session, ticket.engineer_id))


def complete(session: Session, ticket_id: int, actor: Actor, work: Completion, *, now: dt.datetime,
             promises: Promises) -> tuple[int, list[Any]]:
    """The engineer's completion report (完工单), waiting for review (``on_site`` → ``completed``).
    Charges only out of warranty; the parts charge is the parts' quantities times their prices."""
    ticket = _ticket(session, ticket_id)
    _own(session, ticket, actor)
    _state(ticket, "on_site")
    text = (work.work_done or "").strip()
    if not text:
        raise DispatchError("work_missing", "work_done")
    if len(text) > MAX_WORK:
        raise DispatchError("work_too_long", "work_done", max=MAX_WORK)
    labour, parts_charge = charges(ticket.warranty, work.labour, work.parts)
    arrived = fieldwork.last_arrival(session, ticket.id)
    done_at = work.completed_at or now
    if done_at > now + CLOCK_SKEW:
        raise DispatchError("completed_in_future", "completed_at")
    if arrived is not None and done_at < arrived:  # a typed time has whole minutes: the arrival's minute counts
        if done_at < arrived.replace(second=0, microsecond=0):
            raise DispatchError("completed_before_arrival", "completed_at")
        done_at = arrived
    report = CompletionReport(
        ticket_id=ticket.id, engineer_id=ticket.engineer_id, arrived_at=arrived, completed_at=done_at,
        work_done=text, labour_charge=labour, parts_charge=parts_charge, review="pending",
        parts=[CompletionPart(name=p.name, quantity=p.quantity, unit_price=p.unit_price) for p in work.parts],
    )
    session.add(report)
    session.flush()
    events = _change(session, ticket, "completed", actor, now=now, promises=promises, note=text)
    record(session, actor=actor.username, entity="completion_report", entity_id=report.id, action="complete",  # type: ignore[arg-type]
           after=summary(report))
    return report.id, _for(events, _user_of(session, ticket.engineer_id))


def summary(report: CompletionReport) -> dict[str, Any]:
    """What an audit row keeps of a completion report."""
    return {
        "ticket_id": report.ticket_id, "engineer_id": report.engineer_id, "work_done": report.work_done,
        "labour_charge": str(report.labour_charge), "parts_charge": str(report.parts_charge),
        "parts": [[p.name, p.quantity, str(p.unit_price)] for p in report.parts], "review": report.review,
        "completed_at": report.completed_at.isoformat() if report.completed_at else None,
    }


def pending_report(session: Session, ticket_id: int) -> CompletionReport | None:
    return session.scalar(select(CompletionReport).where(CompletionReport.ticket_id == ticket_id,
                                                         CompletionReport.review == "pending")
                          .order_by(CompletionReport.id.desc()).limit(1))


def review(session: Session, ticket_id: int, actor: Actor, *, approve: bool, now: dt.datetime, promises: Promises,
           note: str = "", back_to: str = "on_site") -> list[Any]:
    """A supervisor's review (审核) of the completion report: approved, the ticket closes; rejected
    with a note, it goes back on site (``reject``) or to another visit (``reject_revisit``)."""
    if actor.role not in REVIEWERS:
        raise DispatchError("role")
    note = " ".join((note or "").split()) if approve else (note or "").strip()
    if not approve and not note:
        raise DispatchError("review_note_missing", "note")
    if len(note) > MAX_REVIEW_NOTE:
        raise DispatchError("review_note_too_long", "note", max=MAX_REVIEW_NOTE)
    if not approve and back_to not in BACK_TO:
        raise DispatchError("bad_back_to", "back_to")
    ticket = _ticket(session, ticket_id)
    _state(ticket, "completed")
    report = pending_report(session, ticket.id)
    if report is None:
        raise DispatchError("no_report")
    target = "closed" if approve else BACK_TO[back_to]
    events = _change(session, ticket, target, actor, now=now, promises=promises, note=note)
    before = {"review": report.review}
    report.review = "approved" if approve else "rejected"
    report.reviewed_by, report.reviewed_at, report.review_note = actor.username, now, note
    record(session, actor=actor.username, entity="completion_report", entity_id=report.id,  # type: ignore[arg-type]
           action="approve" if approve else "reject", before=before,
           after={"review": report.review, "note": note, "ticket_state": target})
    return _for(events, _user_of(session, ticket.engineer_id))
