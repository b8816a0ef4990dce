"""The demo's campaigns (``cti serve`` with the bundled simulator): counters a newcomer sees move.

The standard campaigns get the simulator's company number as caller ID and the notification campaign
runs; the demo's resolved tickets get their satisfaction follow-up due over the next minutes, and two
callbacks agents scheduled fall due. The demo customers answer the simulator's calls in a seeded mix:
most rate 4 or 5, some 3 or less, some do not answer, are busy, or key nothing. Idempotent: run again,
it adds nothing twice (the follow-ups' dedupe keys, the callbacks' own marker).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns.feeds import RESOLVED, SCHEDULED, add_contact, best_phone, feed_campaign, language_for
from cti.campaigns.models import Campaign, CampaignContact
from cti.customers.models import Customer
from cti.tickets.models import Ticket
from cti.tickets.workflow import workflow_for

CALLER_ID = '"Customer Care" <4008001234>'
FOLLOW_UPS = 12
SPREAD = dt.timedelta(minutes=6)


def seed(session: Session, now: dt.datetime, *, caller_id: str = CALLER_ID, language: str = "zh") -> int:
    """Prepare the demo's campaigns; how many contacts were added."""
    for campaign in session.scalars(select(Campaign).where(Campaign.created_by == "system")):
        campaign.caller_id = campaign.caller_id or caller_id
        if campaign.feed == "notifications" and campaign.state == "draft":
            campaign.state = "running"
    return _follow_ups(session, now, language) + _callbacks(session, now, language)


def _follow_ups(session: Session, now: dt.datetime, language: str) -> int:
    campaign = feed_campaign(session, RESOLVED)
    if campaign is None:
        return 0
    resolved = [t for t in session.scalars(select(Ticket).where(Ticket.is_open.is_(False)).order_by(Ticket.id))
                if t.state in _resolved_states(t)][:FOLLOW_UPS]
    added = 0
    for n, ticket in enumerate(resolved):
        phone = best_phone(session, ticket.customer_id)
        if phone is None:
            continue
        name = session.scalar(select(Customer.name).where(Customer.id == ticket.customer_id)) or ""
        data = {"ticket": ticket.number, "agent": ticket.opened_by, "engineer_id": ticket.engineer_id,
                "product_model": ticket.product_model, "service_type": ticket.service_type}
        due = now + dt.timedelta(seconds=30) + SPREAD * n / max(1, len(resolved))
        added += add_contact(session, campaign, e164=phone, name=name, customer_id=ticket.customer_id,
                             ticket_id=ticket.id, language=language_for(phone, language), data=data,
                             dedupe_key=f"ticket:{ticket.id}", source="resolved", state="pending", next_at=due,
                             created_at=now) is not None
    return added


def _resolved_states(ticket: Ticket) -> frozenset[str]:
    return workflow_for(ticket.service_type, ticket.service_mode if ticket.service_type == "repair" else None).resolved


def _callbacks(session: Session, now: dt.datetime, language: str) -> int:
    campaign = feed_campaign(session, SCHEDULED)
    if campaign is None or session.scalar(select(CampaignContact.id).where(
            CampaignContact.campaign_id == campaign.id, CampaignContact.dedupe_key.like("demo:%")).limit(1)):
        return 0
    customers = session.execute(select(Customer.id, Customer.name).order_by(Customer.id).limit(2)).all()
    added = 0
    for n, (customer_id, name) in enumerate(customers):
        phone = best_phone(session, customer_id)
        if phone is None:
            continue
        reason = ("客户要求下午回电确认上门时间", "确认配件到货后的取件时间")[n % 2]
        added += add_contact(session, campaign, e164=phone, name=name, customer_id=customer_id,
                             language=language_for(phone, language), source="agent", reason=reason,
                             data={"scheduled_by": "agent1"}, dedupe_key=f"demo:{n}", state="pending",
                             next_at=now + dt.timedelta(minutes=1 + 2 * n), created_at=now) is not None
    return added


def customer_behaviour(simulator: Any, numbers: list[str], *, seed: int = 2026) -> None:
    """How the demo customers answer the simulator's calls (a seeded mix, the same every run)."""
    rnd = random.Random(seed)
    for number in numbers:
        roll = rnd.random()
        if roll < 0.08:
            simulator.set_number(number, outcome="noanswer")
        elif roll < 0.14:
            simulator.set_number(number, outcome="busy")
        elif roll < 0.22:
            simulator.set_number(number, keys=["", ""])  # answers, keys nothing
        else:
            key = rnd.choices("54321", weights=(45, 35, 10, 6, 4))[0]
            simulator.set_number(number, keys=[key], answer_after=rnd.uniform(2.0, 8.0), talk=rnd.uniform(20, 60))
