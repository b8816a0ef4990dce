"""What fills the campaigns by themselves, and what takes a callback back out.

A campaign with a ``feed`` receives contacts without anyone importing them (its ``rules`` tune it):

* ``abandoned`` — a caller who hung up in the queue after waiting at least ``min_wait_seconds``
  (default 10) is called back: one contact per number per local day (``dedupe_key``), never for an
  anonymous or invalid number. The callback is dropped (``cancelled``, outcome ``reached``) when the
  caller gets through in the meantime: an answered inbound call, or another callback answered.
* ``resolved`` — a resolved ticket's customer is asked for a rating (回访) ``delay_minutes`` after
  the resolution (default 120), for ``sample`` percent of the tickets of each service type (default
  100; the same tickets are always the ones sampled: a hash of the ticket's id).
* ``notifications`` — a ticket's pending customer notification (修复通知, 到货通知 …) becomes an
  automatic call; each attempt and its outcome land on the notification item.
* ``scheduled`` — callbacks agents schedule (:mod:`cti.campaigns.callbacks`).

A feed fills a campaign that is ``running`` or ``paused`` (paused: the contacts wait); a notification
is added only while its campaign runs (an old notice is not worth a call weeks later). With several
campaigns on one feed, the oldest takes the contacts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cti.campaigns.models import Campaign, CampaignContact
from cti.customers.models import Customer, CustomerPhone
from cti.events import CallEnded, Direction, Disposition, TicketResolved
from cti.phone import PhoneInfo
from cti.store.dialects import upsert_insert
from cti.tickets.models import Ticket, TicketNotification

ABANDONED, SCHEDULED, RESOLVED, NOTIFICATIONS = "abandoned", "scheduled", "resolved", "notifications"
DEFAULT_MIN_WAIT = 10  # seconds in the queue before an abandoned call deserves a callback
DEFAULT_SURVEY_DELAY = 120  # minutes after the resolution
NOTICE_OF_KIND = {"repaired": "repaired", "parts_arrived": "arrived", "repair_extended": "extended",
                  "awaiting_parts": "waiting_parts"}  # a notification item's kind → the IVR's message (CTI_NOTICE)
NOTIFICATION_MAX_AGE = dt.timedelta(days=3)  # an older pending notice is left to a person
REACHED = "reached"


def feed_campaign(session: Session, feed: str, *, running_only: bool = False) -> Campaign | None:
    """The campaign a feed fills now, or None (no such campaign, or it is not running or paused)."""
    states = ("running",) if running_only else ("running", "paused")
    return session.scalars(select(Campaign).where(Campaign.feed == feed, Campaign.state.in_(states))
                           .order_by(Campaign.id).limit(1)).first()


def add_contact(session: Session, campaign: Campaign, **values: Any) -> int | None:
    """Insert a contact; None when the campaign has one with the same ``dedupe_key`` already."""
    values.setdefault("updated_at", values["created_at"])
    stmt = (upsert_insert(session)(CampaignContact).values(campaign_id=campaign.id, **values)
            .on_conflict_do_nothing(index_elements=["campaign_id", "dedupe_key"]).returning(CampaignContact.id))
    return session.execute(stmt).scalar()


def language_for(e164: str, default: str) -> str:
    """The IVR's language for a number: the hotline's default for Chinese numbers, English for others."""
    return default if e164.startswith("+86") else "en"


# -- abandoned calls ----------------------------------------------------------------------------------

def callback_for_abandoned(session: Session, *, e164: str, name: str, call_id: str, queue: str, waited: int,
                           ended_at: dt.datetime, zone: ZoneInfo, language: str) -> int | None:
    """The abandoned caller's callback (see the module's docstring); None when none is due or it exists."""
    campaign = feed_campaign(session, ABANDONED)
    if campaign is None or waited < int((campaign.rules or {}).get("min_wait_seconds", DEFAULT_MIN_WAIT)):
        return None
    day = ended_at.astimezone(zone).date()
    customer_id = session.scalar(select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164).limit(1))
    return add_contact(session, campaign, e164=e164, name=name[:200], customer_id=customer_id,
                       language=language_for(e164, language), dedupe_key=f"abandoned:{e164}:{day:%Y%m%d}",
                       data={"queue": queue, "waited": waited},  # the pop says why, in the reader's language
                       source="abandoned", origin_call_id=call_id, state="pending", next_at=ended_at,
                       created_at=ended_at)


def drop_reached(session: Session, e164: str, now: dt.datetime, *, except_contact: int | None = None) -> int:
    """The caller got through: their pending abandoned-call callbacks are cancelled (outcome ``reached``)."""
    stmt = (update(CampaignContact)
            .where(CampaignContact.e164 == e164, CampaignContact.source == "abandoned",
                   CampaignContact.state == "pending")
            .values(state="cancelled", outcome=REACHED, next_at=None, updated_at=now)
            .execution_options(synchronize_session=False))
    if except_contact is not None:
        stmt = stmt.where(CampaignContact.id != except_contact)
    return session.execute(stmt).rowcount or 0


def waiting_callbacks(session: Session, numbers: list[str]) -> bool:
    """Whether any of these numbers has an abandoned-call callback waiting (a read: most have none)."""
    return session.scalar(select(CampaignContact.id).where(
        CampaignContact.e164.in_(numbers), CampaignContact.source == "abandoned", CampaignContact.state == "pending")
        .limit(1)) is not None


def drop_reached_all(session: Session, reached: dict[str, dt.datetime]) -> int:
    """:func:`drop_reached` for each number that got through (number → when)."""
    return sum(drop_reached(session, e164, at) for e164, at in reached.items())


# -- resolved tickets ----------------------------------------------------------------------------------

def sampled(ticket_id: int, percent: float) -> bool:
    """Whether a ticket is in the sample of ``percent`` (0-100): stable for a ticket, even across processes."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"survey:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < percent / 100


def survey_for_resolved(session: Session, resolved: TicketResolved, now: dt.datetime, *,
                        language: str) -> int | None:
    """The follow-up call of a resolved ticket (see the module's docstring); None when none is due."""
    campaign = feed_campaign(session, RESOLVED)
    if campaign is None:
        return None
    rules = campaign.rules or {}
    if not sampled(resolved.ticket_id, float((rules.get("sample") or {}).get(resolved.service_type, 100))):
        return None
    ticket = session.get(Ticket, resolved.ticket_id)
    phone = best_phone(session, resolved.customer_id)
    if ticket is None or phone is None:
        return None
    name = session.scalar(select(Customer.name).where(Customer.id == resolved.customer_id)) or ""
    delay = dt.timedelta(minutes=float(rules.get("delay_minutes", DEFAULT_SURVEY_DELAY)))
    data = {"ticket": ticket.number, "agent": resolved.agent, "engineer_id": ticket.engineer_id,
            "product_model": resolved.product_model, "service_type": resolved.service_type}
    return add_contact(session, campaign, e164=phone, name=name[:200], customer_id=resolved.customer_id,
                       ticket_id=ticket.id, language=language_for(phone, language), data=data,
                       dedupe_key=f"ticket:{ticket.id}", source="resolved", state="pending", next_at=now + delay,
                       created_at=now)


def best_phone(session: Session, customer_id: int) -> str | None:
    """The number to call a customer on: a mobile first, then any, oldest first."""
    rows = session.execute(select(CustomerPhone.e164, CustomerPhone.kind).where(
        CustomerPhone.customer_id == customer_id).order_by(CustomerPhone.id)).all()
    mobiles = [r.e164 for r in rows if r.kind == "mobile"]
    return (mobiles or [r.e164 for r in rows] or [None])[0]


# -- notifications ------------------------------------------------------------------------------------

def calls_for_notifications(session: Session, now: dt.datetime, *, language: str, limit: int = 500) -> int:
    """Pending notification items of the last few days without a call yet become contacts; how many."""
    campaign = feed_campaign(session, NOTIFICATIONS, running_only=True)
    if campaign is None:
        return 0
    called = select(CampaignContact.notification_id).where(CampaignContact.campaign_id == campaign.id,
                                                           CampaignContact.notification_id.is_not(None))
    rows = session.execute(
        select(TicketNotification.id, TicketNotification.kind, Ticket.id.label("ticket_id"), Ticket.number,
               Ticket.customer_id)
        .join(Ticket, Ticket.id == TicketNotification.ticket_id)
        .where(TicketNotification.state == "pending", TicketNotification.kind.in_(NOTICE_OF_KIND),
               TicketNotification.created_at >= now - NOTIFICATION_MAX_AGE, TicketNotification.id.not_in(called))
        .order_by(TicketNotification.id).limit(limit)).all()
    added = 0
    for row in rows:
        phone = best_phone(session, row.customer_id)
        if phone is None:
            continue
        name = session.scalar(select(Customer.name).where(Customer.id == row.customer_id)) or ""
        added += add_contact(session, campaign, e164=phone, name=name[:200], customer_id=row.customer_id,
                             ticket_id=row.ticket_id, notification_id=row.id, language=language_for(phone, language),
                             data={"ticket": row.number, "notice": NOTICE_OF_KIND[row.kind]},
                             dedupe_key=f"notification:{row.id}", source="notification", state="pending",
                             next_at=now, created_at=now) is not None
    return added


# -- the subscriber ---------------------------------------------------------------------------------------

class CampaignFeeds:
    """Bus subscriber: abandoned and answered calls, resolved tickets (the notifications are a job)."""

    def __init__(self, db: Any, normalise: Callable[[str], PhoneInfo], *, zone: ZoneInfo, language: str,
                 clock: Callable[[], dt.datetime]) -> None:
        self._db = db
        self._normalise = normalise
        self._zone = zone
        self._language = language
        self._clock = clock
        self.added = 0
        self.dropped = 0

    async def handle_batch(self, events: Sequence[object]) -> None:
        """Abandoned calls become callbacks; callers who got through are looked up together (one read
        for the batch, a write only when one of them has a callback waiting); resolved tickets."""
        reached: dict[str, dt.datetime] = {}
        for event in events:
            kind = type(event)
            if kind is CallEnded:
                await self._call_ended(event, reached)
            elif kind is TicketResolved:
                self.added += await self._db.write(survey_for_resolved, event, self._clock(),
                                                   language=self._language) is not None
        if reached and await self._db.read(waiting_callbacks, list(reached)):
            self.dropped += await self._db.write(drop_reached_all, reached)

    async def notifications(self) -> int:
        """Scheduler job: the notification items not yet called."""
        added = await self._db.write(calls_for_notifications, self._clock(), language=self._language)
        self.added += added
        return added

    async def _call_ended(self, ended: CallEnded, reached: dict[str, dt.datetime]) -> None:
        e164 = self._normalise(ended.caller_num).e164
        if e164 is None:
            return  # anonymous or not a number: nobody to call back
        at = dt.datetime.fromtimestamp(ended.at, dt.UTC)
        if ended.direction is Direction.INBOUND and ended.disposition in (Disposition.ABANDONED, Disposition.MISSED):
            reached.pop(e164, None)  # abandoned after getting through earlier in the batch: called back
            added = await self._db.write(callback_for_abandoned, e164=e164, name=ended.caller_name, call_id=ended.call_id,
                                         queue=ended.queue, waited=ended.wait_seconds, ended_at=at, zone=self._zone,
                                         language=self._language)
            self.added += added is not None
        elif ended.answered_at is not None and ended.disposition is not Disposition.FAILED:
            reached[e164] = at
