"""The ticket list as a table for a spreadsheet: the columns, and the rows of a filter read in chunks.

The rows are read by keyset pages (opened_at, id) of :data:`CHUNK` tickets, each one query joining the
customer, the assignee and the engineer, so an export of a million tickets holds one chunk at a time.
The writers (:mod:`cti.sheets`) make the cells formula-safe. Times are local (the zone given); the
codes (type, mode, state, priority, warranty, SLA status) are the tickets domain's own, as in
``README.md`` ("Ticket export").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from cti.customers.models import Customer, CustomerPhone
from cti.dispatch.models import Engineer
from cti.phone import display
from cti.store import Database
from cti.tickets.models import Ticket
from cti.tickets.queries import Filters, where
from cti.users.models import User

CHUNK = 1000
COLUMNS = (
    "number", "opened_at", "type", "mode", "state", "priority", "customer", "phone", "model", "serial",
    "warranty", "warranty_ends", "city", "district", "address", "assignee", "engineer", "sla",
    "escalation_level", "resolved_at", "closed_at", "description", "external_ref",
)  # fmt: skip
_FIRST_PHONE = (select(CustomerPhone.e164).where(CustomerPhone.customer_id == Ticket.customer_id)
                .order_by(CustomerPhone.id).limit(1).correlate(Ticket).scalar_subquery())
_SELECT = (
    select(Ticket.id, Ticket.number, Ticket.opened_at, Ticket.service_type, Ticket.service_mode, Ticket.state,
           Ticket.priority, Customer.name.label("customer"), _FIRST_PHONE.label("phone"), Ticket.product_model,
           Ticket.product_serial, Ticket.warranty, Ticket.warranty_ends, Ticket.city, Ticket.district,
           Ticket.address, User.display_name.label("assignee_name"), User.username.label("assignee_login"),
           Engineer.name.label("engineer"), Ticket.sla_status, Ticket.escalation_level, Ticket.resolved_at,
           Ticket.closed_at, Ticket.description, Ticket.external_ref)
    .join(Customer, Customer.id == Ticket.customer_id)
    .outerjoin(User, User.id == Ticket.assignee_id)
    .outerjoin(Engineer, Engineer.id == Ticket.engineer_id)
)
Key = tuple[dt.datetime, int]


def count(session: Session, f: Filters) -> int:
    """How many tickets the filter exports (a progress bar's total)."""
    return int(session.scalar(select(func.count()).select_from(Ticket).where(*where(session, f))) or 0)


def chunk(session: Session, f: Filters, after: Key | None, size: int = CHUNK) -> list[Any]:
    """The next ``size`` tickets of the filter after ``after`` (opened_at, id), oldest first."""
    conditions = where(session, f)
    if after is not None:
        conditions.append(or_(Ticket.opened_at > after[0], and_(Ticket.opened_at == after[0], Ticket.id > after[1])))
    stmt = _SELECT.where(*conditions).order_by(Ticket.opened_at, Ticket.id).limit(size)
    return list(session.execute(stmt).all())


def row(t: Any, zone: dt.tzinfo) -> list[Any]:
    """One ticket as the cells of :data:`COLUMNS` (a ``chunk`` row)."""
    return [
        t.number, _local(t.opened_at, zone), t.service_type, t.service_mode or "", t.state, t.priority, t.customer,
        display(t.phone) if t.phone else "", t.product_model, t.product_serial, t.warranty,
        t.warranty_ends.isoformat() if t.warranty_ends else "", t.city, t.district, t.address,
        t.assignee_name or t.assignee_login or "", t.engineer or "", t.sla_status, t.escalation_level,
        _local(t.resolved_at, zone), _local(t.closed_at, zone), t.description, t.external_ref,
    ]


async def rows(db: Database, f: Filters, zone: dt.tzinfo, *, size: int = CHUNK) -> AsyncIterator[list[Any]]:
    """Every ticket of the filter as cells, oldest first, one chunk (one short read) at a time."""
    after: Key | None = None
    while True:
        found: Sequence[Any] = await db.read(chunk, f, after, size)
        for t in found:
            yield row(t, zone)
        if len(found) < size:
            return
        after = (found[-1].opened_at, found[-1].id)


def _local(value: dt.datetime | None, zone: dt.tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""
