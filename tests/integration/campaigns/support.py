"""Builders for the supervisors' side of campaigns: a campaign made as the form makes it, contacts in given
states, attempts, ratings, and the audit rows written."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cti.audit.models import AuditEntry
from cti.campaigns import admin
from cti.campaigns.forms import DEFAULTS, parse
from cti.campaigns.models import CampaignAttempt, CampaignContact, SurveyRating

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)


def values(**form: str):
    return parse({**DEFAULTS, "name": "十二月回访", **form}, zone=SHANGHAI)


async def new_campaign(db, *, actor: str = "boss", now: dt.datetime = TUESDAY_10, state: str = "draft", **form: str) -> int:
    """A campaign created as the form creates it, moved to ``state`` (draft, running, paused, finished)."""
    campaign_id = await db.write(admin.create, values(**form), actor=actor, now=now)
    for action in {"draft": (), "running": ("start",), "paused": ("start", "pause"),
                   "finished": ("start", "stop")}[state]:
        await db.write(admin.transition, campaign_id, action, actor=actor, now=now)
    return campaign_id


async def add_contacts(db, campaign_id: int, rows: list[tuple[str, str, str]], *, now: dt.datetime = TUESDAY_10,
                       attempts: int = 0) -> list[int]:
    """Contacts as (number, state, outcome of the latest attempt); pending ones due ``now``."""
    async with db.session() as s:
        made = [CampaignContact(campaign_id=campaign_id, e164=e164, state=state, outcome=outcome, attempts=attempts,
                                dedupe_key=e164, next_at=now if state == "pending" else None)
                for e164, state, outcome in rows]
        s.add_all(made)
        await s.commit()
        return [c.id for c in made]


async def add_attempt(db, campaign_id: int, contact_id: int, number: int, *, state: str = "ended", outcome: str = "",
                      at: dt.datetime = TUESDAY_10, cause: int | None = None, call_id: str = "") -> int:
    async with db.session() as s:
        attempt = CampaignAttempt(campaign_id=campaign_id, contact_id=contact_id, number=number,
                                  action_id=f"cti-{contact_id}-{number}", state=state, outcome=outcome, cause=cause,
                                  call_id=call_id, claimed_at=at, dialled_at=at + dt.timedelta(seconds=1),
                                  ended_at=at + dt.timedelta(seconds=40) if state == "ended" else None)
        s.add(attempt)
        await s.commit()
        return attempt.id


async def rate(db, campaign_id: int, contact_id: int, rating: int) -> None:
    async with db.session() as s:
        s.add(SurveyRating(campaign_id=campaign_id, contact_id=contact_id, rating=rating))
        await s.commit()


async def contact(db, contact_id: int) -> CampaignContact:
    async with db.session() as s:
        return await s.get(CampaignContact, contact_id)


async def audit_rows(db, entity: str | None = None) -> list[AuditEntry]:
    async with db.session() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if entity:
            stmt = stmt.where(AuditEntry.entity == entity)
        return list(await s.scalars(stmt))


async def open_repair_for(db, name: str, e164: str) -> tuple[str, int, int]:
    """A customer with this number and a carry-in repair opened for them: (ticket number, ticket id, customer id)."""
    from cti.customers import service as customers
    from cti.phone import normalise
    from cti.tickets.service import NewTicket
    from tests.integration.tickets.support import AGENT, make_desk

    async with db.session() as s:
        customer = await customers.create(s, customers.NewCustomer(name=name, phones=[normalise(e164)]), actor="test")
    desk, _, _ = make_desk(db, TUESDAY_10)
    ticket_id, number = await desk.open(NewTicket(customer.id, "repair", "carry_in"), AGENT)
    return number, ticket_id, customer.id
