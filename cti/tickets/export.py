"""The ticket list as a table for a spreadsheet: the columns, and the rows of a filter, streamed.

The rows come from one query (joining the customer, the assignee and the engineer) fetched
:data:`CHUNK` at a time from a server-side cursor, so an export of a million tickets holds one chunk
at a time and reads one snapshot. (Keyset pages were tried: on SQLite a filter served by another
index than the order's sorts what is left of the set for every page, which grows with the square of
the export.)

The writers (:mod:`cti.sheets`) make the cells formula-safe. Times are local (the zone given); the
codes (type, mode, state, priority, warranty, SLA status) are the tickets domain's own, as in
``README.md`` ("Ticket export"). The phone is the stored E.164 form, as in the call log's export: exact,
read back by the imports, and cheap (formatting each number for display would cost more than the rest
of the row together); a spreadsheet shows it as text (``'+86…``) instead of turning it into a number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cti.customers.models import Customer, CustomerPhone
from cti.dispatch.models import Engineer
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


def count(session: Session, f: Filters) -> int:
    """How many tickets the filter exports (a progress bar's total)."""
    return int(session.scalar(select(func.count()).select_from(Ticket).where(*where(session, f))) or 0)


def row(t: Any, zone: dt.tzinfo) -> list[Any]:
    """One ticket (a row of the export's query) as the cells of :data:`COLUMNS`."""
    return [
        t.number, _local(t.opened_at, zone), t.service_type, t.service_mode or "", t.state, t.priority, t.customer,
        t.phone or "", t.product_model, t.product_serial, t.warranty,
        t.warranty_ends.isoformat() if t.warranty_ends else "", t.city, t.district, t.address,
        t.assignee_name or t.assignee_login or "", t.engineer or "", t.sla_status, t.escalation_level,
        _local(t.resolved_at, zone), _local(t.closed_at, zone), t.description, t.external_ref,
    ]


async def rows(db: Database, f: Filters, zone: dt.tzinfo, *, size: int = CHUNK) -> AsyncIterator[list[Any]]:
    """Every ticket of the filter as cells, oldest first, fetched ``size`` at a time."""
    async with db.session() as session:
        stmt = _SELECT.where(*where(session, f)).order_by(Ticket.opened_at, Ticket.id)  # type: ignore[arg-type]
        result = await session.stream(stmt.execution_options(yield_per=size))
        async for part in result.partitions():
            for t in part:
                yield row(t, zone)


def _local(value: dt.datetime | None, zone: dt.tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""
