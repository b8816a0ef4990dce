"""Builders for the SLA tick and escalation tests: timers and an escalation engine on a desk whose clock
the test moves, their events collected; counts of what the tables hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from cti.audit.models import AuditEntry
from cti.tickets.escalation import Rules
from cti.tickets.escalations import EscalationEngine
from cti.tickets.models import Escalation, SlaClock, Ticket, TicketEvent
from cti.tickets.service import NewTicket
from cti.tickets.timers import SlaTimers
from tests.integration.domains.helpers import add_customer
from tests.integration.tickets.support import AGENT, local, make_desk

TUESDAY_10 = local(2026, 12, 1, 10, 0)  # a working Tuesday in Shanghai
# A ticket opened then has 24 business hours to first contact (09:00-18:00 on working days):
FIRST_CONTACT_AT_RISK = local(2026, 12, 3, 11, 12)  # 80 % used: 8 h Tue + 9 h Wed + 2.2 h Thu
FIRST_CONTACT_DUE = local(2026, 12, 3, 16, 0)
BREACHED_AT = FIRST_CONTACT_DUE + dt.timedelta(minutes=1)  # the tick finds that promise broken
RULES = Rules()  # 3 calls in 48 h, 2 h to acknowledge level 1


def rig(db, now: dt.datetime = TUESDAY_10, *, rules: Rules = RULES, hook=None, limit: int = 500):
    """A desk, its clock, what it published, the timers and the escalation engine on it."""
    desk, clock, published = make_desk(db, now)
    timers = SlaTimers(db, desk, rules, hook=hook, limit=limit)
    engine = EscalationEngine(db, desk, rules, hook)
    return desk, clock, published, timers, engine


async def open_ticket(db, desk, service_type: str = "repair", mode: str | None = "carry_in", *,
                      phone: str = "+8613800138000", name: str = "王芳") -> int:
    customer = await add_customer(db, name, phone)
    ticket_id, _ = await desk.open(NewTicket(customer.id, service_type, mode if service_type == "repair" else None,
                                             description="空调不制冷"), AGENT)
    return ticket_id


async def history(db, ticket_id: int, *actions: str) -> list[str]:
    async with db.session() as s:
        rows = await s.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket_id)
                               .order_by(TicketEvent.id))
        return [a for a in rows if not actions or a in actions]


async def audits(db, ticket_id: int, action: str) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket_id), AuditEntry.action == action))


async def clocks(db, ticket_id: int) -> dict[str, SlaClock]:
    async with db.session() as s:
        return {c.kind: c for c in await s.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket_id))}


async def ticket(db, ticket_id: int) -> Ticket:
    async with db.session() as s:
        return await s.get(Ticket, ticket_id)


async def escalation_rows(db, ticket_id: int) -> list[Escalation]:
    async with db.session() as s:
        return list(await s.scalars(select(Escalation).where(Escalation.ticket_id == ticket_id)
                                    .order_by(Escalation.level)))


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if type(e) is kind]
