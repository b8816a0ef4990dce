"""The field-work columns of an on-site ticket (who goes, when), written for the dispatch domain.

:mod:`cti.dispatch` decides who takes a job and when; the ticket's own columns
(``engineer_id``, ``outlet_id``, ``appointment_start``/``appointment_end``) are
changed here, with a history line and an audit row, inside the caller's
transaction. The state changes themselves go through
:func:`cti.tickets.service.change_state`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.audit.models import AuditEntry
from cti.tickets.models import TicketEvent
from cti.tickets.service import Actor, changed_event, get_for_update

ASSIGNED = "field_assigned"  # the history line's action


def _fields(ticket: Any) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"engineer_id": ticket.engineer_id, "outlet_id": ticket.outlet_id,
            "appointment_start": iso(ticket.appointment_start), "appointment_end": iso(ticket.appointment_end)}


def assign(session: Session, ticket_id: int, actor: Actor, *, engineer_id: int | None, outlet_id: int | None,
           start: dt.datetime, end: dt.datetime, now: dt.datetime, label: str = "",
           engineer_user_id: int | None = None) -> list[Any]:
    """Who goes (an engineer, an outlet or both) and the appointment window (aware UTC).

    ``label`` is the history line's note (the names and the window as people read them);
    ``engineer_user_id`` the login whose work list shows the job, named in the event.
    """
    ticket = get_for_update(session, ticket_id)
    before = _fields(ticket)
    ticket.engineer_id, ticket.outlet_id = engineer_id, outlet_id
    ticket.appointment_start, ticket.appointment_end = start, end
    ticket.updated_at = now
    after = _fields(ticket)
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor=actor.username, action=ASSIGNED, note=label[:2000],
                            data=after))
    session.add(AuditEntry(actor=actor.username, entity="ticket", entity_id=str(ticket.id), action="field_assign",
                           before=before, after=after))
    return [changed_event(ticket, now, engineer_user_id)]


def last_arrival(session: Session, ticket_id: int) -> dt.datetime | None:
    """When the engineer last checked in on site (the latest ``arrive`` in the ticket's history;
    a review sending the job back on site is not an arrival)."""
    rows = session.execute(
        select(TicketEvent.at, TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == "state", TicketEvent.to_state == "on_site")
        .order_by(TicketEvent.id.desc())
    )
    return next((at for at, data in rows if (data or {}).get("action") == "arrive"), None)
