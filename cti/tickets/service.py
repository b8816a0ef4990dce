"""The tickets domain's unit-of-work functions: open, change state, note, link a call, reopen, notify.

Each takes a synchronous ``Session`` and runs inside the caller's transaction
(``Database.write``), writes its history line and its audit row there, and returns
the domain events to publish once that transaction has committed
(:class:`cti.tickets.desk.TicketDesk` does both). Bad input raises
:class:`TicketError` before anything is written; the transaction then rolls back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.audit.models import AuditEntry
from cti.customers.models import Customer, Product
from cti.customers.warranty import warranty
from cti.events import TicketCallLinked, TicketChanged, TicketOpened, TicketResolved
from cti.tickets import clocks, workflow
from cti.tickets.clocks import Promises
from cti.tickets.models import Ticket, TicketCall, TicketEvent, TicketNotification, TicketSearch
from cti.tickets.numbering import next_number
from cti.tickets.search import terms

MAX_DESCRIPTION = 4000
MAX_NOTE = 2000
MAX_REASON = 300
REOPEN_WINDOW = dt.timedelta(days=7)
SUPERVISORS = frozenset({"supervisor", "manager", "admin"})
REOPEN_TO = {"carry_in": "awaiting_repair", "on_site": "to_dispatch", "complaint": "reopened", "note_only": "open"}


class TicketError(ValueError):
    """Refused input; ``code`` names the message (``ticket.error.<code>`` in the catalogs)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(f"{code}: {params}" if params else code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: str
    user_id: int | None = None


SYSTEM = Actor("system", "admin")


@dataclass
class NewTicket:
    customer_id: int
    service_type: str
    service_mode: str | None = None
    priority: str = "normal"
    product_id: int | None = None
    description: str = ""
    call_id: str | None = None
    claim_unit: bool = False
    keep_open: bool = False  # an enquiry or praise stays open for a note instead of closing on save
    external_ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _ts(now: dt.datetime) -> float:
    return now.timestamp()


def _audit(session: Session, actor: Actor, ticket: Ticket, action: str, before: dict | None, after: dict | None) -> None:
    session.add(AuditEntry(actor=actor.username, entity="ticket", entity_id=str(ticket.id), action=action,
                           before=before, after=after))


def _history(session: Session, ticket: Ticket, actor: Actor, action: str, now: dt.datetime, *, from_state: str = "",
             to_state: str = "", note: str = "", data: dict | None = None) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor=actor.username, action=action, from_state=from_state,
                            to_state=to_state, note=note, data=data))


def _text(value: str, limit: int, code: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise TicketError(code, limit=limit)
    return value


def validate(new: NewTicket) -> workflow.Workflow:
    if new.service_type not in workflow.SERVICE_TYPES:
        raise TicketError("unknown_type", value=new.service_type)
    if new.priority not in workflow.PRIORITIES:
        raise TicketError("unknown_priority", value=new.priority)
    if new.service_type == "repair" and new.service_mode not in workflow.SERVICE_MODES:
        raise TicketError("mode_needed")
    new.description = _text(new.description, MAX_DESCRIPTION, "too_long")
    return workflow.workflow_for(new.service_type, new.service_mode if new.service_type == "repair" else None)


def open_ticket(session: Session, new: NewTicket, actor: Actor, *, now: dt.datetime, promises: Promises,
                local_day: dt.date) -> tuple[Ticket, list[Any]]:
    """Open a ticket (warranty decided now, from the product's purchase date and term; the call linked)."""
    flow = validate(new)
    customer = session.get(Customer, new.customer_id)
    if customer is None:
        raise TicketError("unknown_customer")
    product = session.get(Product, new.product_id) if new.product_id is not None else None
    if new.product_id is not None and (product is None or product.customer_id != customer.id):
        raise TicketError("unknown_product")
    if new.claim_unit and actor.role not in SUPERVISORS:
        raise TicketError("claim_unit_role")
    ticket = Ticket(
        number=next_number(session, local_day), customer_id=customer.id, service_type=new.service_type,
        service_mode=new.service_mode if new.service_type == "repair" else ("on_site" if flow.name == "on_site" else None),
        workflow=flow.name, state=flow.initial, is_open=True, priority=new.priority, description=new.description,
        claim_unit=new.claim_unit, city=customer.city, district=customer.district, address=customer.address,
        assignee_id=actor.user_id if actor.role == "agent" else None, opened_by=actor.username, opened_at=now,
        updated_at=now, external_ref=new.external_ref[:60],
    )
    if product is not None:
        cover = warranty(product.purchase_date, product.warranty_months, today=local_day)
        ticket.product_id, ticket.product_model, ticket.product_serial = product.id, product.model, product.serial
        ticket.warranty, ticket.warranty_ends = ("in" if cover.days_left >= 0 else "out"), cover.ends
    session.add(ticket)
    session.flush()
    _history(session, ticket, actor, "opened", now, to_state=ticket.state, note=ticket.description)
    session.add(TicketSearch(ticket_id=ticket.id, terms=_search_terms(ticket, customer.name, [])))
    if new.call_id:
        session.add(TicketCall(ticket_id=ticket.id, call_id=new.call_id[:64], at=now, linked_by=actor.username))
    rows = clocks.start(session, ticket, promises, now)
    clocks.settle(ticket, rows, promises, now)
    _audit(session, actor, ticket, "open", None, _snapshot(ticket))
    events: list[Any] = [TicketOpened(_ts(now), ticket.id, ticket.number, customer.id, ticket.service_type, new.call_id)]
    if flow.name == "note_only" and not new.keep_open:
        events += change_state(session, ticket.id, "closed", actor, now=now, promises=promises)
    return ticket, events


def _search_terms(ticket: Ticket, customer_name: str, notes: list[str]) -> str:
    return terms(ticket.number, ticket.description, ticket.product_model, ticket.product_serial, customer_name, *notes)


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    return {"number": ticket.number, "state": ticket.state, "type": ticket.service_type, "mode": ticket.service_mode,
            "priority": ticket.priority, "warranty": ticket.warranty, "claim_unit": ticket.claim_unit,
            "customer_id": ticket.customer_id, "product_id": ticket.product_id, "assignee_id": ticket.assignee_id,
            "engineer_id": ticket.engineer_id, "outlet_id": ticket.outlet_id}


def get_for_update(session: Session, ticket_id: int) -> Ticket:
    """The ticket, its row locked until the transaction ends (PostgreSQL; SQLite's writer is alone anyway)."""
    ticket = session.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).one_or_none()
    if ticket is None:
        raise TicketError("unknown_ticket")
    return ticket


def changed_event(ticket: Ticket, now: dt.datetime, engineer_user_id: int | None = None) -> TicketChanged:
    return TicketChanged(_ts(now), ticket.id, ticket.number, ticket.state, ticket.sla_status, ticket.assignee_id,
                         engineer_user_id)


def change_state(session: Session, ticket_id: int, target: str, actor: Actor, *, now: dt.datetime,
                 promises: Promises, note: str = "", reason: str = "") -> list[Any]:
    """Move a ticket along its workflow; a change the table does not allow raises :class:`TicketError`."""
    ticket = get_for_update(session, ticket_id)
    note, reason = _text(note, MAX_NOTE, "too_long"), _text(reason, MAX_REASON, "too_long")
    flow = workflow.WORKFLOWS[ticket.workflow]
    try:
        step = workflow.check(flow, ticket.state, target, role=actor.role, note=note, reason=reason)
    except workflow.TransitionRefused as refused:
        raise TicketError("refused." + refused.code, state=ticket.state, target=target) from None
    before, source = _snapshot(ticket), ticket.state
    ticket.state, ticket.updated_at = target, now
    if reason:
        ticket.stop_reason = reason
    resolved_now = target in flow.resolved and source not in flow.resolved
    if resolved_now:
        ticket.resolved_at = now
    if target in flow.final:
        ticket.closed_at = now
    ticket.is_open = target not in flow.final
    if ticket.is_open:
        ticket.closed_at = None
    if target not in flow.resolved:
        ticket.resolved_at = None
    rows = clocks.clocks_of(session, ticket.id)
    clocks.apply(rows, ticket, promises, now, stops=step.stops, restarts=step.restarts, pause=target in flow.paused,
                 final=not ticket.is_open)
    clocks.settle(ticket, rows, promises, now)
    if step.notify:
        session.add(TicketNotification(ticket_id=ticket.id, kind=step.notify, created_at=now))
    _history(session, ticket, actor, "state", now, from_state=source, to_state=target, note=note or reason,
             data={"action": step.action, **({"notify": step.notify} if step.notify else {})})
    _audit(session, actor, ticket, step.action, before, _snapshot(ticket))
    events: list[Any] = [changed_event(ticket, now)]
    if resolved_now:
        events.append(TicketResolved(_ts(now), ticket.id, ticket.number, ticket.customer_id, ticket.service_type,
                                     ticket.product_model, actor.username, ticket.assignee_id))
    return events


def add_note(session: Session, ticket_id: int, actor: Actor, note: str, *, now: dt.datetime) -> list[Any]:
    note = _text(note, MAX_NOTE, "too_long")
    if not note:
        raise TicketError("note_empty")
    ticket = get_for_update(session, ticket_id)
    ticket.updated_at = now
    _history(session, ticket, actor, "note", now, note=note)
    search = session.get(TicketSearch, ticket.id)
    if search is not None:
        search.terms = f"{search.terms} {terms(note)}".strip()
    _audit(session, actor, ticket, "note", None, {"note": note})
    return [changed_event(ticket, now)]


def link_call(session: Session, ticket_id: int, call_id: str, actor: Actor, *, now: dt.datetime,
              direction: str = "in", repeat: bool = True) -> bool:
    """Link a call to a ticket; False when it already was (linking twice changes nothing)."""
    call_id = (call_id or "").strip()[:64]
    if not call_id:
        raise TicketError("no_call")
    ticket = get_for_update(session, ticket_id)
    exists = session.scalar(select(TicketCall.id).where(TicketCall.ticket_id == ticket.id, TicketCall.call_id == call_id))
    if exists is not None:
        return False
    session.add(TicketCall(ticket_id=ticket.id, call_id=call_id, direction=direction, at=now,
                           linked_by=actor.username, counts_as_repeat=repeat and direction == "in"))
    _history(session, ticket, actor, "call", now, data={"call_id": call_id, "direction": direction})
    _audit(session, actor, ticket, "link_call", None, {"call_id": call_id})
    return True


def linked_event(session: Session, ticket_id: int, call_id: str, *, now: dt.datetime,
                 repeat: bool = True) -> TicketCallLinked:
    """The event of a call :func:`link_call` linked (complaint escalation counts the repeat calls)."""
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    return TicketCallLinked(_ts(now), ticket.id, ticket.number, call_id.strip()[:64], ticket.service_type, repeat)


def unlink_call(session: Session, ticket_id: int, call_id: str, actor: Actor, *, now: dt.datetime) -> bool:
    """The agent moves a call to another ticket: the automatic link is undone (audited)."""
    ticket = get_for_update(session, ticket_id)
    row = session.scalar(select(TicketCall).where(TicketCall.ticket_id == ticket.id, TicketCall.call_id == call_id))
    if row is None:
        return False
    session.delete(row)
    _history(session, ticket, actor, "call_unlinked", now, data={"call_id": call_id})
    _audit(session, actor, ticket, "unlink_call", {"call_id": call_id}, None)
    return True


def may_reopen(ticket: Ticket, now: dt.datetime, window: dt.timedelta = REOPEN_WINDOW) -> bool:
    """Resolved within the reopen window (a repair picked up, a complaint solved, an enquiry closed)."""
    return ticket.resolved_at is not None and ticket.state != "cancelled" and now - ticket.resolved_at <= window


def reopen(session: Session, ticket_id: int, actor: Actor, note: str, *, now: dt.datetime, promises: Promises,
           window: dt.timedelta = REOPEN_WINDOW) -> list[Any]:
    """The customer calls again about resolved work: the ticket starts over (its promises too)."""
    note = _text(note, MAX_NOTE, "too_long")
    ticket = get_for_update(session, ticket_id)
    if not may_reopen(ticket, now, window) and not (actor.role in SUPERVISORS and ticket.resolved_at is not None):
        raise TicketError("reopen_window", days=window.days)
    flow = workflow.WORKFLOWS[ticket.workflow]
    own = [t for t in flow.transitions if t.source == ticket.state and t.action == "reopen"]
    if own:  # a complaint: its table says how (重开)
        return change_state(session, ticket_id, own[0].target, actor, now=now, promises=promises,
                            note=note or "reopened")
    before, source = _snapshot(ticket), ticket.state
    ticket.state, ticket.is_open, ticket.updated_at = REOPEN_TO[ticket.workflow], True, now
    ticket.resolved_at = ticket.closed_at = None
    ticket.reopened += 1
    for row in clocks.clocks_of(session, ticket.id):
        session.delete(row)
    session.flush()
    rows = clocks.start(session, ticket, promises, now)
    clocks.settle(ticket, rows, promises, now)
    _history(session, ticket, actor, "reopened", now, from_state=source, to_state=ticket.state, note=note)
    _audit(session, actor, ticket, "reopen", before, _snapshot(ticket))
    return [changed_event(ticket, now)]


def record_contact(session: Session, ticket_id: int, actor: Actor, note: str, *, now: dt.datetime,
                   promises: Promises) -> list[Any]:
    """The customer was contacted about the ticket: the first-contact promise is kept."""
    ticket = get_for_update(session, ticket_id)
    rows = clocks.clocks_of(session, ticket.id)
    waiting = ticket.state in workflow.WORKFLOWS[ticket.workflow].paused  # a paused promise stays paused
    clocks.apply(rows, ticket, promises, now, stops=("first_contact",), pause=waiting)
    clocks.settle(ticket, rows, promises, now)
    ticket.updated_at = now
    _history(session, ticket, actor, "contacted", now, note=_text(note, MAX_NOTE, "too_long"))
    _audit(session, actor, ticket, "contact", None, {"note": note})
    return [changed_event(ticket, now)]


def notification_attempt(session: Session, notification_id: int, actor: Actor, *, now: dt.datetime, done: bool,
                         note: str = "") -> TicketNotification:
    """An attempt to notify the customer (a call, an SMS): counted; ``done`` when they were told.
    The automatic notification calls of the campaigns will record their attempts here too."""
    row = session.get(TicketNotification, notification_id)
    if row is None:
        raise TicketError("unknown_notification")
    if row.state != "pending":
        raise TicketError("notification_closed")
    ticket = get_for_update(session, row.ticket_id)
    row.attempts += 1
    row.last_attempt_at = now
    row.note = _text(note, 500, "too_long")
    if done:
        row.state, row.done_at, row.done_by = "done", now, actor.username
    _history(session, ticket, actor, "notified" if done else "notify_attempt", now, note=row.note,
             data={"kind": row.kind, "attempts": row.attempts})
    _audit(session, actor, ticket, "notify", None, {"kind": row.kind, "done": done, "attempts": row.attempts})
    return row


def set_claim_unit(session: Session, ticket_id: int, actor: Actor, value: bool, *, now: dt.datetime) -> list[Any]:
    """Mark a 理赔机 (claim unit): supervisors only."""
    if actor.role not in SUPERVISORS:
        raise TicketError("claim_unit_role")
    ticket = get_for_update(session, ticket_id)
    before = _snapshot(ticket)
    ticket.claim_unit, ticket.updated_at = value, now
    _history(session, ticket, actor, "claim_unit", now, data={"claim_unit": value})
    _audit(session, actor, ticket, "claim_unit", before, _snapshot(ticket))
    return [changed_event(ticket, now)]


def assign(session: Session, ticket_id: int, actor: Actor, assignee_id: int | None, *, now: dt.datetime) -> list[Any]:
    """Give the ticket to an agent; an agent may take it, only supervisors give it to someone else."""
    if actor.role not in SUPERVISORS and assignee_id != actor.user_id:
        raise TicketError("assign_role")
    ticket = get_for_update(session, ticket_id)
    before = _snapshot(ticket)
    ticket.assignee_id, ticket.updated_at = assignee_id, now
    _history(session, ticket, actor, "assigned", now, data={"assignee_id": assignee_id})
    _audit(session, actor, ticket, "assign", before, _snapshot(ticket))
    return [changed_event(ticket, now)]
