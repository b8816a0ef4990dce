"""Calls join tickets: a bus subscriber of the tickets domain.

* An inbound call whose customer has exactly one open ticket is linked to it when it is
  offered (the pop shows the same rule: the agent sees the link and can move the call to
  another ticket). With several open tickets the agent chooses in the pop.
* A call answered in a queue with a ticket rule (``queue_ticket_rules``) opens a ticket
  when its customer has none open (one customer for the number, or none: nothing is guessed).
* Every inbound call linked to a ticket counts as a repeat call; each link is published as a
  :class:`~cti.events.TicketCallLinked` (complaint escalation counts them: :mod:`cti.tickets.escalations`).

It never calls the call log or the pops: it reads customers through their public
function and writes only its own tables.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.customers import service as customers
from cti.events import CallAnswered, CallOffered, Direction
from cti.logs import clean
from cti.phone import PhoneInfo
from cti.store.base import from_timestamp
from cti.tickets import queries, service
from cti.tickets.models import QueueTicketRule, TicketCall
from cti.tickets.service import NewTicket

log = logging.getLogger(__name__)
Publish = Callable[[list[Any]], Awaitable[None]]


class CallLinker:
    def __init__(self, db: Any, normalise: Callable[[str], PhoneInfo], desk: Any) -> None:
        self._db = db
        self._normalise = normalise
        self._desk = desk  # TicketDesk: promises, local day, publishing
        self._offered: dict[str, str] = {}  # inbound call id -> caller e164, until answered (bounded)
        self.linked = 0
        self.opened = 0

    async def handle_batch(self, events: Sequence[object]) -> None:
        work: list[tuple[str, str, str, float, str]] = []  # (kind, call id, e164, at, queue)
        for e in events:
            if type(e) is CallOffered and e.direction is Direction.INBOUND:
                e164 = self._normalise(e.caller_num).e164
                if e164:
                    self._offered[e.call_id] = e164
                    work.append(("offered", e.call_id, e164, e.at, ""))
                    if len(self._offered) > 10_000:
                        del self._offered[next(iter(self._offered))]
            elif type(e) is CallAnswered and e.queue:
                e164 = self._offered.pop(e.call_id, None)
                if e164:
                    work.append(("answered", e.call_id, e164, e.at, e.queue))
        if not work:
            return
        promises = await self._desk.promises()
        published = await self._db.write(self._apply, work, promises)
        self._desk.publish_later(published)

    def _apply(self, session: Session, work: list[tuple[str, str, str, float, str]], promises: Any) -> list[Any]:
        numbers = sorted({e164 for _, _, e164, _, _ in work})
        owners = customers.ids_by_phones(session, numbers)
        open_ids = queries.open_ids_of_customers(session, [c for ids in owners.values() for c in ids])
        rules = {r.queue: r for r in session.scalars(select(QueueTicketRule).where(QueueTicketRule.active.is_(True)))}
        events: list[Any] = []
        for kind, call_id, e164, at, queue in work:
            now = from_timestamp(at)
            people = owners.get(e164, [])
            tickets = sorted({t for c in people for t in open_ids.get(c, [])})
            if kind == "offered" and len(tickets) == 1:
                if service.link_call(session, tickets[0], call_id, service.SYSTEM, now=now):
                    self.linked += 1
                    events.append(service.linked_event(session, tickets[0], call_id, now=now))
            elif kind == "answered" and queue in rules and len(people) == 1 and not tickets:
                if session.scalar(select(TicketCall.id).where(TicketCall.call_id == call_id)) is not None:
                    continue
                rule = rules[queue]
                new = NewTicket(customer_id=people[0], service_type=rule.service_type, service_mode=rule.service_mode,
                                call_id=call_id, keep_open=True)
                try:
                    ticket, opened = service.open_ticket(session, new, service.SYSTEM, now=now, promises=promises,
                                                         local_day=self._desk.local_day(now))
                except service.TicketError as exc:
                    log.warning("queue %s: no ticket for call %s: %s", clean(queue), clean(call_id), exc)
                    continue
                open_ids.setdefault(people[0], []).append(ticket.id)
                events += opened
                self.opened += 1
        return events
