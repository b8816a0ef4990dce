"""The tickets domain's public reads: the pop's open tickets (batched), a customer's tickets, the list
with its filters, one ticket whole. Synchronous ``Session`` functions, for ``Database.read``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from cti.tickets.models import SlaClock, Ticket, TicketCall, TicketEvent, TicketNotification
from cti.tickets.search import Restriction, matching_ids, query_terms, restriction
from cti.tickets.workflow import PRIORITIES

POP_OPEN_LIMIT = 5  # open tickets a pop lists per customer (the count says if there are more)
PAGE_SIZE = 50
COUNT_CAP = 10_000  # the list counts its matches up to this many
SEARCH_COUNT_CAP = 1_000  # … and a text search up to this many (its matches are read from the table, not an index)
_PRIORITY_RANK = case({p: n for n, p in enumerate(PRIORITIES)}, value=Ticket.priority, else_=1)
SORTS = {
    "opened": Ticket.opened_at, "updated": Ticket.updated_at, "number": Ticket.number, "state": Ticket.state,
    "priority": _PRIORITY_RANK,  # by urgency, not by the codes' spelling
    "due": Ticket.due_at,  # the earliest due time of the running promises; tickets without one last
}


def brief(t: Any) -> dict[str, Any]:
    """A ticket as a line of a pop, a customer page or a list (the console translates the codes)."""
    return {
        "id": t.id, "number": t.number, "type": t.service_type, "mode": t.service_mode, "state": t.state,
        "priority": t.priority, "sla": t.sla_status, "due": t.due_at.isoformat() if t.due_at and t.is_open else None,
        "opened_at": t.opened_at.isoformat(), "model": t.product_model, "warranty": t.warranty,
        "escalation": t.escalation_level, "open": t.is_open,
        "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None,
    }


def brief_of(session: Session, ticket_id: int) -> dict[str, Any] | None:
    ticket = session.get(Ticket, ticket_id)
    return None if ticket is None else brief(ticket)


_BRIEF_COLUMNS = (
    Ticket.id, Ticket.customer_id, Ticket.number, Ticket.service_type, Ticket.service_mode, Ticket.state,
    Ticket.priority, Ticket.sla_status, Ticket.opened_at, Ticket.product_model, Ticket.warranty,
    Ticket.escalation_level, Ticket.is_open, Ticket.resolved_at, Ticket.due_at,
)


def open_by_customers(session: Session, customer_ids: Iterable[int], *, now: dt.datetime,
                      reopen_window: dt.timedelta = dt.timedelta(days=7)) -> dict[int, dict[str, Any]]:
    """For the pop, per customer: ``open`` (most urgent first, at most 5), ``open_count`` and ``reopenable``
    (resolved within the reopen window). Two queries however many customers."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    since = now - reopen_window
    rows = session.execute(
        select(*_BRIEF_COLUMNS).where(
            Ticket.customer_id.in_(ids),
            or_(Ticket.is_open.is_(True), and_(Ticket.resolved_at >= since, Ticket.state != "cancelled")),
        )
    ).all()
    out: dict[int, dict[str, Any]] = {cid: {"open": [], "open_count": 0, "reopenable": []} for cid in ids}
    rank = {"breached": 0, "at_risk": 1, "ok": 2}
    for r in sorted(rows, key=lambda r: (rank.get(r.sla_status, 3), r.due_at or r.opened_at)):
        entry = out[r.customer_id]
        if r.is_open:
            entry["open_count"] += 1
            if len(entry["open"]) < POP_OPEN_LIMIT:
                entry["open"].append(brief(r))
        else:
            entry["reopenable"].append(brief(r))
    return out


def by_customer(session: Session, customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.execute(
        select(*_BRIEF_COLUMNS).where(Ticket.customer_id == customer_id).order_by(Ticket.opened_at.desc()).limit(limit)
    ).all()
    return [brief(r) for r in rows]


def open_ids_of_customers(session: Session, customer_ids: Iterable[int]) -> dict[int, list[int]]:
    """Open ticket ids per customer (the call linker's question)."""
    ids = sorted(set(customer_ids))
    out: dict[int, list[int]] = {}
    if ids:
        for cid, tid in session.execute(
            select(Ticket.customer_id, Ticket.id).where(Ticket.customer_id.in_(ids), Ticket.is_open.is_(True))
        ):
            out.setdefault(cid, []).append(tid)
    return out


@dataclass
class Filters:
    state: str = ""
    service_type: str = ""
    priority: str = ""
    sla: str = ""
    warranty: str = ""
    model: str = ""
    city: str = ""
    assignee_id: int | None = None
    engineer_id: int | None = None
    outlet_id: int | None = None
    open_only: bool = False
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    text: str = ""
    sort: str = "opened"
    descending: bool = True
    page: int = 1


def list_tickets(session: Session, f: Filters, *, page_size: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int]:
    """A page of the ticket list and the number of tickets that match, counted up to ``count_cap(f) + 1``
    (the console says "more than 10,000": an exact count of a million rows costs more than the page)."""
    conditions = where(session, replace(f, text=""))
    search = restriction(session, f.text)
    narrow = search.apply if search else (lambda stmt: stmt)
    cap = count_cap(f)
    matching = narrow(select(Ticket.id).where(*conditions)).limit(cap + 1).subquery()
    total = session.scalar(select(func.count()).select_from(matching)) or 0
    page = max(1, f.page)
    stmt = (narrow(select(*_BRIEF_COLUMNS).where(*conditions)).order_by(*_order(f, search))
            .offset((page - 1) * page_size).limit(page_size))

    def read() -> list[Any]:
        return list(session.execute(stmt).all())

    rows = search.page(session, read, common=total > cap) if search else read()
    return [brief(r) | {"customer_id": r.customer_id} for r in rows], total


def count_cap(f: Filters) -> int:
    """How far the list counts the matches of these filters."""
    return SEARCH_COUNT_CAP if query_terms(f.text) else COUNT_CAP


def _order(f: Filters, search: Restriction | None) -> tuple[Any, ...]:
    """The page's order: the chosen column then the id; a search's default order is the index's own
    (newest entered first), which SQLite reads without sorting the matches."""
    if search is not None and f.sort == "opened":
        return (search.newest.desc(),) if f.descending else (search.newest.asc(),)
    column = SORTS.get(f.sort, Ticket.opened_at)
    if f.sort == "due":  # tickets without a running promise last, both ways
        return ((column.desc().nulls_last(), Ticket.id.desc()) if f.descending
                else (column.asc().nulls_last(), Ticket.id.asc()))
    # the other sort columns are never NULL: a NULLS clause would keep PostgreSQL off their indexes
    return (column.desc(), Ticket.id.desc()) if f.descending else (column.asc(), Ticket.id.asc())


def where(session: Session, f: Filters) -> list[Any]:
    """The conditions on ``tickets`` of the list's filters (sort and page aside): the list's and the export's."""
    c: list[Any] = []
    for column, value in ((Ticket.state, f.state), (Ticket.service_type, f.service_type),
                          (Ticket.priority, f.priority), (Ticket.sla_status, f.sla), (Ticket.warranty, f.warranty),
                          (Ticket.product_model, f.model), (Ticket.city, f.city)):
        if value:
            c.append(column == value)
    for column, ident in ((Ticket.assignee_id, f.assignee_id), (Ticket.engineer_id, f.engineer_id),
                          (Ticket.outlet_id, f.outlet_id)):
        if ident is not None:
            c.append(column == ident)
    if f.open_only:
        c.append(Ticket.is_open.is_(True))
    if f.since is not None:
        c.append(Ticket.opened_at >= f.since)
    if f.until is not None:
        c.append(Ticket.opened_at < f.until)
    if f.text:
        found = matching_ids(session, f.text)
        if found is not None:
            c.append(found)
    return c


def detail(session: Session, ticket_id: int) -> dict[str, Any] | None:
    """One ticket whole: the row, history, calls, notifications, clocks (the page adds the customer)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    history = list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))
    calls = list(session.scalars(select(TicketCall).where(TicketCall.ticket_id == ticket_id).order_by(TicketCall.at)))
    notes = list(session.scalars(
        select(TicketNotification).where(TicketNotification.ticket_id == ticket_id).order_by(TicketNotification.id)))
    sla_rows = list(session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.id)))
    return {"ticket": ticket, "history": history, "calls": calls, "notifications": notes, "clocks": sla_rows}


def tickets_of_calls(session: Session, call_ids: Iterable[str]) -> dict[str, list[tuple[int, str]]]:
    """For the call log: the tickets (id, number) each call is linked to."""
    ids = sorted(set(call_ids))
    out: dict[str, list[tuple[int, str]]] = {}
    if ids:
        for call_id, tid, number in session.execute(
            select(TicketCall.call_id, Ticket.id, Ticket.number).join(Ticket, Ticket.id == TicketCall.ticket_id)
            .where(TicketCall.call_id.in_(ids))
        ):
            out.setdefault(call_id, []).append((tid, number))
    return out


def promise_counts(session: Session) -> dict[str, int]:
    """Open tickets whose worst promise is at risk, and those with one broken (the wallboard's strip)."""
    rows = session.execute(select(Ticket.sla_status, func.count()).where(
        Ticket.is_open.is_(True), Ticket.sla_status.in_(("at_risk", "breached"))).group_by(Ticket.sla_status)).all()
    counts = {"at_risk": 0, "breached": 0}
    counts.update({status: n for status, n in rows})
    return counts


def waiting_on(session: Session, user_id: int) -> dict[str, int]:
    """What an agent owes on their tickets: the open ones given to them (and of those, the ones whose
    promise is at risk or broken), and the customer notifications still to make on them."""
    mine = (Ticket.assignee_id == user_id, Ticket.is_open.is_(True))
    rows = dict(session.execute(select(Ticket.sla_status, func.count()).where(*mine).group_by(Ticket.sla_status)).all())
    owed = session.scalar(select(func.count()).select_from(TicketNotification).join(
        Ticket, Ticket.id == TicketNotification.ticket_id).where(*mine, TicketNotification.state == "pending")) or 0
    return {"tickets": sum(rows.values()), "tickets_late": rows.get("at_risk", 0) + rows.get("breached", 0),
            "notifications": owed}
