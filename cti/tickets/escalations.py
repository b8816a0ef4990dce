"""Complaint escalation as units of work: the rules of :mod:`cti.tickets.escalation` applied to the tables.

Three things ask whether a complaint goes up a level: a breach of one of its SLA clocks (the SLA
tick, in its own transaction), a repeat call linked to it (:class:`EscalationEngine`, a bus
subscriber of :class:`~cti.events.TicketCallLinked`), and the acknowledgement timeout of level 1
(the tick again, :func:`ack_overdue`). Each builds the :class:`ComplaintView` from the rows
(:func:`view_of`) and records what :func:`~cti.tickets.escalation.decide` says (:func:`evaluate`):
an ``escalations`` row, the ticket's ``escalation_level``, a history line, an audit row and, when a
webhook is configured, a queued :class:`WebhookDelivery`, all in the caller's transaction.

Exactly once: the ticket row is locked first (every writer of a ticket does so), and the unique
(ticket, level) constraint backs it up; a conflicting insert is caught in a SAVEPOINT, so the rest
of the transaction (a tick's other alarms) stands, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, exists, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from cti.audit.models import AuditEntry
from cti.customers.models import Customer
from cti.events import EscalationAcknowledged, TicketCallLinked, TicketEscalated
from cti.tickets import webhook
from cti.tickets.escalation import ComplaintView, Rules, decide
from cti.tickets.models import Escalation, Ticket, TicketCall, TicketEvent
from cti.tickets.service import Actor, get_for_update

log = logging.getLogger(__name__)
COMPLAINT = "complaint"
BREACHED = "sla_breached"  # the history action the SLA tick writes for a broken promise (breaches are counted by it)
ACK_ROLES = {1: frozenset({"supervisor", "manager", "admin"}), 2: frozenset({"manager", "admin"})}
LIST_LIMIT = 300


class EscalationError(ValueError):
    """Refused: ``code`` is ``unknown``, ``role`` or ``already``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def rules_from(settings: Any) -> Rules:
    """The escalation rules in force (``CTI_ESCALATION_*``)."""
    return Rules(repeat_calls=settings.escalation_repeat_calls,
                 repeat_window=dt.timedelta(hours=settings.escalation_repeat_hours),
                 ack_timeout=dt.timedelta(minutes=settings.escalation_ack_minutes))


def view_of(session: Session, ticket: Ticket) -> ComplaintView:
    """What the rules need to know of a complaint, from its rows. Breaches are the tick's history lines
    (they never go away, even when a clock restarts); the level is the highest escalation row."""
    breaches = session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action == BREACHED)) or 0
    rows = {e.level: e for e in session.scalars(select(Escalation).where(Escalation.ticket_id == ticket.id))}
    calls = tuple(session.scalars(select(TicketCall.at).where(TicketCall.ticket_id == ticket.id,
                                                             TicketCall.counts_as_repeat.is_(True))))
    first = rows.get(1)
    at_level1 = first.breaches if first is not None else 0
    return ComplaintView(
        level=max(rows, default=0), breaches=max(breaches, at_level1), breaches_at_level1=at_level1,
        level1_at=first.raised_at if first is not None else None,
        level1_acked_at=first.acknowledged_at if first is not None else None,
        call_times=calls, open=ticket.is_open,
    )


def evaluate(session: Session, ticket: Ticket, rules: Rules, now: dt.datetime, *,
             hook: webhook.Target | None = None) -> list[Any]:
    """Raise the complaint one level if the rules say so now; the events to publish after the commit.
    The caller holds the ticket's row lock (:func:`~cti.tickets.service.get_for_update`)."""
    if ticket.service_type != COMPLAINT:
        return []
    view = view_of(session, ticket)
    step = decide(view, rules, now)
    if step is None:
        return []
    row = Escalation(ticket_id=ticket.id, level=step.level, reason=step.reason, raised_at=now, breaches=view.breaches)
    try:
        with session.begin_nested():  # a SAVEPOINT: a duplicate leaves the rest of the transaction intact
            session.add(row)
            session.flush()
    except IntegrityError:
        log.info("ticket %s: level %d was raised by someone else", ticket.number, step.level)
        return []
    before = ticket.escalation_level
    ticket.escalation_level = step.level
    ticket.updated_at = now
    data = {"level": step.level, "reason": step.reason, "escalation_id": row.id}
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor="system", action="escalated", data=data))
    session.add(AuditEntry(actor="system", entity="ticket", entity_id=str(ticket.id), action="escalate",
                           before={"escalation_level": before}, after=data))
    if hook is not None:
        session.add(webhook.queued("escalation", webhook.escalation_payload(row, ticket, hook), now))
    customer = session.scalar(select(Customer.name).where(Customer.id == ticket.customer_id)) or ""
    return [TicketEscalated(now.timestamp(), ticket.id, ticket.number, step.level, step.reason, row.id, customer)]


def evaluate_ids(session: Session, ticket_ids: Sequence[int], rules: Rules, now: dt.datetime, *,
                 hook: webhook.Target | None = None) -> list[Any]:
    """:func:`evaluate` for each ticket, its row locked in id order (no deadlock with another writer)."""
    events: list[Any] = []
    for ticket_id in sorted(set(ticket_ids)):
        events += evaluate(session, get_for_update(session, ticket_id), rules, now, hook=hook)
    return events


def ack_overdue(session: Session, now: dt.datetime, rules: Rules, limit: int = 200) -> list[int]:
    """Open complaints still at level 1 whose level 1 is unacknowledged past the timeout. A late
    acknowledgement escalates at once (:func:`acknowledge`), so only unacknowledged rows are looked at:
    the partial index ``ix_escalations_level1_unacked`` (its predicate is written as literals, so both
    planners can use it), newest first, without level 2; then their tickets by primary key (a join
    could make a planner walk every open ticket instead)."""
    cutoff = now - rules.ack_timeout
    level2 = aliased(Escalation)
    ids = list(session.scalars(
        select(Escalation.ticket_id)
        .where(Escalation.level == literal_column("1"), Escalation.acknowledged_at.is_(None),
               Escalation.raised_at <= cutoff,
               ~exists().where(level2.ticket_id == Escalation.ticket_id, level2.level == literal_column("2")))
        .order_by(Escalation.raised_at.desc()).limit(limit)))
    if not ids:
        return []
    return list(session.scalars(select(Ticket.id).where(Ticket.id.in_(ids), Ticket.is_open.is_(True),
                                                        Ticket.escalation_level == 1).order_by(Ticket.id)))


def acknowledge(session: Session, escalation_id: int, actor: Actor, rules: Rules, now: dt.datetime, *,
                hook: webhook.Target | None = None) -> list[Any]:
    """Record who took the escalation in hand, and when (history and audit). Level 1 is for supervisors,
    managers and admins, level 2 for managers and admins. A level 1 acknowledged after its timeout
    still goes to level 2 (the rules: a late acknowledgement does not undo what it missed)."""
    ticket_id = session.scalar(select(Escalation.ticket_id).where(Escalation.id == escalation_id))
    if ticket_id is None:
        raise EscalationError("unknown")
    ticket = get_for_update(session, ticket_id)  # the ticket first, as every writer of it
    row = session.scalars(select(Escalation).where(Escalation.id == escalation_id).with_for_update()).one()
    if actor.role not in ACK_ROLES.get(row.level, frozenset()):
        raise EscalationError("role")
    if row.acknowledged_at is not None:
        raise EscalationError("already")
    row.acknowledged_at, row.acknowledged_by = now, actor.username
    data = {"escalation_id": row.id, "level": row.level}
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor=actor.username, action="escalation_ack", data=data))
    session.add(AuditEntry(actor=actor.username, entity="ticket", entity_id=str(ticket.id), action="escalation_ack",
                           before={"acknowledged_at": None}, after=data | {"acknowledged_at": now.isoformat()}))
    events: list[Any] = [EscalationAcknowledged(now.timestamp(), row.id, ticket.id, ticket.number, row.level,
                                                actor.username)]
    return events + evaluate(session, ticket, rules, now, hook=hook)


def _rows(session: Session, *conditions: Any, limit: int) -> list[dict[str, Any]]:
    query = (
        select(Escalation, Ticket.number, Ticket.is_open, Customer.name)
        .join(Ticket, Ticket.id == Escalation.ticket_id).join(Customer, Customer.id == Ticket.customer_id)
        .where(*conditions)
        .order_by(case((Escalation.acknowledged_at.is_(None), 0), else_=1), Escalation.level.desc(),
                  Escalation.raised_at.desc(), Escalation.id.desc())
        .limit(limit)
    )
    return [message(e, number, customer) | {"ticket_open": is_open, "acknowledged_at": e.acknowledged_at,
                                            "acknowledged_by": e.acknowledged_by, "raised_at": e.raised_at}
            for e, number, is_open, customer in session.execute(query)]


def message(row: Escalation, number: str, customer: str) -> dict[str, Any]:
    """An escalation as the consoles receive it (the ``escalation`` push message and the snapshot)."""
    return {"id": row.id, "ticket_id": row.ticket_id, "number": number, "level": row.level, "reason": row.reason,
            "at": row.raised_at.isoformat(), "customer": customer}


def listing(session: Session, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The escalation list: unacknowledged first, then by level (2 before 1), newest first."""
    return _rows(session, limit=limit)


def open_ones(session: Session, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The unacknowledged escalations, as the consoles' snapshot shows them."""
    return [{k: r[k] for k in ("id", "ticket_id", "number", "level", "reason", "at", "customer")}
            for r in _rows(session, Escalation.acknowledged_at.is_(None), limit=limit)]


def open_count(session: Session, levels: tuple[int, ...] = (1, 2)) -> int:
    """How many escalations (of these levels) wait for an acknowledgement."""
    return session.scalar(select(func.count()).select_from(Escalation).where(
        Escalation.acknowledged_at.is_(None), Escalation.level.in_(levels))) or 0


class EscalationEngine:
    """Runs escalation for the service: the repeat calls' subscriber, acknowledgements, the list."""

    def __init__(self, db: Any, desk: Any, rules: Rules, hook: webhook.Target | None = None) -> None:
        self._db = db
        self._desk = desk  # TicketDesk: the clock and publishing
        self.rules = rules
        self.hook = hook
        self.raised = 0

    async def handle_batch(self, events: Sequence[object]) -> None:
        """Bus subscriber: repeat calls linked to complaints (the linker's links, an agent's)."""
        ids = [e.ticket_id for e in events
               if type(e) is TicketCallLinked and e.repeat and e.service_type == COMPLAINT]
        if not ids:
            return
        now = self._desk.clock()
        published = await self._db.write(evaluate_ids, ids, self.rules, now, hook=self.hook)
        self.raised += sum(1 for e in published if type(e) is TicketEscalated)
        self._desk.publish_later(published)

    async def acknowledge(self, escalation_id: int, actor: Actor) -> None:
        now = self._desk.clock()
        events = await self._db.write(acknowledge, escalation_id, actor, self.rules, now, hook=self.hook)
        await self._desk.publish(events)

    async def listing(self) -> list[dict[str, Any]]:
        return await self._db.read(listing)
