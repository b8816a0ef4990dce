"""Callbacks agents work with: scheduling one, "my callbacks due", calling one now, and what a callback's
pop says.

A callback is a contact of a campaign of kind ``callback`` (an abandoned call's, fed by
:mod:`cti.campaigns.feeds`, or one an agent scheduled: the ``scheduled`` feed's campaign). One an agent
scheduled *for themselves* is owner-only until ``owner_minutes`` (default 30) after its time: the dialer
leaves it to its owner meanwhile, then it is anyone's. "My callbacks due" lists what an agent should
call now: their own due callbacks, and anyone's due in a *preview* campaign (a progressive campaign's are
dialled by the dialer and queued). Calling one now claims it like the dialer does (:func:`claim_contact`),
and rings the agent's phone first (``hotline-dial``). One no longer needed is cancelled (:func:`cancel`), or
marked done when the agent reached the customer some other way (:func:`mark_done`); only its owner (or a
supervisor) may do either. Scheduling, calling, cancelling and marking done are audited (entity
``campaign_contact``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from cti.audit import record
from cti.campaigns.claims import CLAIMER, Claim, blocked, free_of_owner, take, window_of
from cti.campaigns.feeds import SCHEDULED, add_contact, feed_campaign, language_for
from cti.campaigns.models import IS_BUSY, IS_PENDING, Campaign, CampaignAttempt, CampaignContact
from cti.campaigns.window import zones_of
from cti.customers.models import Customer
from cti.tickets.calendar import HolidaySource
from cti.tickets.models import Ticket
from cti.users.models import User

DEFAULT_OWNER_MINUTES = 30
MAX_AHEAD = dt.timedelta(days=60)
MAX_REASON = 500
LIST_LIMIT = 200


class CallbackError(ValueError):
    """A callback that cannot be scheduled or called; ``code`` names why (translated by the pages)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Agent:
    user_id: int
    username: str
    interface: str | None


def schedule(session: Session, agent: Agent, *, e164: str | None, at: dt.datetime, owner_only: bool, reason: str,
             now: dt.datetime, name: str = "", customer_id: int | None = None, ticket_id: int | None = None,
             call_id: str = "", language: str = "zh", source: str = "agent") -> int:
    """Schedule a callback at ``at`` (from the pop, a ticket or the call log); its contact's id."""
    if e164 is None:
        raise CallbackError("no_number")
    if at < now - dt.timedelta(minutes=5):
        raise CallbackError("in_the_past")
    if at > now + MAX_AHEAD:
        raise CallbackError("too_far", days=MAX_AHEAD.days)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise CallbackError("reason_too_long", limit=MAX_REASON)
    customer_id = _linked_customer(session, customer_id, ticket_id)
    campaign = feed_campaign(session, SCHEDULED)
    if campaign is None:
        raise CallbackError("no_campaign")
    minutes = float((campaign.rules or {}).get("owner_minutes", DEFAULT_OWNER_MINUTES))
    contact_id = add_contact(
        session, campaign, e164=e164, name=name[:200], customer_id=customer_id, ticket_id=ticket_id,
        language=language_for(e164, language), source=source, reason=reason, origin_call_id=call_id[:64],
        owner_id=agent.user_id if owner_only else None,
        owner_until=at + dt.timedelta(minutes=minutes) if owner_only else None,
        data={"scheduled_by": agent.username, "due": at.astimezone(dt.UTC).isoformat()},  # due: the promise
        dedupe_key=None, state="pending", next_at=max(at, now), created_at=now)
    assert contact_id is not None  # no dedupe key: never a conflict
    _audit(session, agent, contact_id, "callback_schedule" if source == "agent" else f"callback_{source}", None, {
        "campaign_id": campaign.id, "e164": e164, "at": at.isoformat(), "owner_only": owner_only, "reason": reason,
        "customer_id": customer_id, "ticket_id": ticket_id, "call_id": call_id[:64]})
    return contact_id


def dial(session: Session, agent: Agent, *, e164: str | None, now: dt.datetime, holidays: HolidaySource | None,
         default_zone: str, name: str = "", customer_id: int | None = None, ticket_id: int | None = None,
         call_id: str = "", language: str = "zh") -> Claim:
    """Click-to-dial: the agent calls a customer now from their phone. A callback of their own, due now
    (``source`` ``dial``), claimed in the same transaction: it is made once, under the do-not-call list,
    and it is logged and linked like one; refused (``CallbackError``), nothing is left behind. Neither the
    campaign's calling hours nor its lines hold back a call a person decided to make (the agent sees the
    time); it does take one of the campaign's lines, so the dialer's automatic callbacks yield to it."""
    if not agent.interface:
        raise CallbackError("no_phone")
    contact_id = schedule(session, agent, e164=e164, at=now, owner_only=True, reason="", now=now, name=name,
                          customer_id=customer_id, ticket_id=ticket_id, call_id=call_id, language=language,
                          source="dial")
    return claim_contact(session, contact_id, agent, now, holidays=holidays, default_zone=default_zone,
                         by_a_person=True)


def _linked_customer(session: Session, customer_id: int | None, ticket_id: int | None) -> int | None:
    """The customer a callback is about: the one given (it must exist), else the ticket's."""
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise CallbackError("unknown_customer")
    if ticket_id is None:
        return customer_id
    owner = session.scalar(select(Ticket.customer_id).where(Ticket.id == ticket_id))
    if owner is None:
        raise CallbackError("unknown_ticket")
    return customer_id if customer_id is not None else owner


def _audit(session: Session, agent: Agent, contact_id: int, action: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> None:
    record(session, actor=agent.username, entity="campaign_contact", entity_id=contact_id,  # type: ignore[arg-type]
           action=action, before=before, after=after)


def _callback_campaigns(session: Session) -> list[tuple[int, bool]]:
    """The callback campaigns an agent's list draws on (running or paused): (id, anyone may take its due
    callbacks: a running preview campaign). Each is then read on its own (``campaign_id = ?``, a range of
    ``ix_campaign_contacts_due``): with ``campaign_id IN (…)`` SQLite's planner scans every contact of every
    campaign (18 ms at 100,000 list contacts, for every console's header count)."""
    rows = session.execute(select(Campaign.id, Campaign.mode, Campaign.state).where(
        Campaign.kind == "callback", Campaign.state.in_(("running", "paused"))).order_by(Campaign.id)).all()
    return [(cid, mode == "preview" and state == "running") for cid, mode, state in rows]


def _mine_in(campaign_id: int, anyones: bool, user_id: int, now: dt.datetime):
    """Due callbacks of one campaign this agent should call: their own, and anyone's in a preview campaign."""
    whose = CampaignContact.owner_id == user_id
    if anyones:
        whose = or_(whose, free_of_owner(now))
    return and_(CampaignContact.campaign_id == campaign_id, IS_PENDING, CampaignContact.next_at <= now, whose)


def due_count(session: Session, user_id: int, now: dt.datetime) -> int:
    """The number in the console's header."""
    return sum(session.scalar(select(func.count()).select_from(CampaignContact).where(_mine_in(cid, anyones, user_id, now)))
               or 0 for cid, anyones in _callback_campaigns(session))


def floor_counts(session: Session, now: dt.datetime, overdue_after: dt.timedelta) -> tuple[int, int]:
    """The hotline's callbacks waiting to be made: (due now, of which waiting longer than ``overdue_after``)."""
    due = overdue = 0
    for cid, _ in _callback_campaigns(session):
        waiting = and_(CampaignContact.campaign_id == cid, IS_PENDING, CampaignContact.next_at <= now)
        due += session.scalar(select(func.count()).select_from(CampaignContact).where(waiting)) or 0
        overdue += session.scalar(select(func.count()).select_from(CampaignContact).where(
            waiting, CampaignContact.next_at <= now - overdue_after)) or 0
    return due, overdue


def due_for(session: Session, user_id: int, now: dt.datetime, *, upcoming: dt.timedelta = dt.timedelta(hours=12),
            limit: int = LIST_LIMIT, username: str = "") -> dict[str, list[dict[str, Any]]]:
    """An agent's callbacks: ``due`` now, and their own ``upcoming`` ones (the next hours); with ``username``,
    the upcoming ones they scheduled for anyone too."""
    own = CampaignContact.owner_id == user_id
    if username:
        own = or_(own, and_(CampaignContact.owner_id.is_(None), CampaignContact.source == "agent",
                            CampaignContact.data["scheduled_by"].as_string() == username))
    due: list[CampaignContact] = []
    later: list[CampaignContact] = []
    for cid, anyones in _callback_campaigns(session):
        due += session.scalars(select(CampaignContact).where(_mine_in(cid, anyones, user_id, now))
                               .order_by(CampaignContact.next_at, CampaignContact.id).limit(limit))
        later += session.scalars(select(CampaignContact).where(
            CampaignContact.campaign_id == cid, IS_PENDING, own,
            CampaignContact.next_at > now, CampaignContact.next_at <= now + upcoming)
            .order_by(CampaignContact.next_at, CampaignContact.id).limit(limit))
    due = sorted(due, key=_in_turn)[:limit]
    later = sorted(later, key=_in_turn)[:limit]
    tickets = _ticket_numbers(session, [c.ticket_id for c in (*due, *later) if c.ticket_id])
    return {"due": [_row(c, tickets, now) for c in due], "upcoming": [_row(c, tickets, now) for c in later]}


def _in_turn(contact: CampaignContact) -> tuple[dt.datetime, int]:
    return contact.next_at, contact.id


def _ticket_numbers(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ids))).all())


def _row(contact: CampaignContact, tickets: dict[int, str], now: dt.datetime) -> dict[str, Any]:
    return {"id": contact.id, "e164": contact.e164, "name": contact.name, "customer_id": contact.customer_id,
            "ticket": {"id": contact.ticket_id, "number": tickets.get(contact.ticket_id, "")} if contact.ticket_id
            else None, "source": contact.source, "reason": contact.reason, "data": contact.data or {},
            "next_at": contact.next_at, "overdue": contact.next_at is not None and contact.next_at < now,
            "owner_only": contact.owner_until is not None and contact.owner_until > now,
            "owner_id": contact.owner_id, "owner_until": contact.owner_until, "created_at": contact.created_at,
            "attempts": contact.attempts, "outcome": contact.outcome}


def claim_contact(session: Session, contact_id: int, agent: Agent, now: dt.datetime, *,
                  holidays: HolidaySource | None, default_zone: str, claimer: str = CLAIMER,
                  by_a_person: bool = False) -> Claim:
    """An agent calls this callback now: claimed like the dialer claims (the campaign's row locked, its
    lines counted, the do-not-call list and the callee's calling window checked)."""
    if not agent.interface:
        raise CallbackError("no_phone")
    contact = session.get(CampaignContact, contact_id)
    if contact is None:
        raise CallbackError("unknown")
    campaign = session.scalars(select(Campaign).where(Campaign.id == contact.campaign_id).with_for_update()).one()
    if campaign.kind != "callback" or campaign.state != "running":
        raise CallbackError("campaign_not_running")
    if contact.state != "pending":
        raise CallbackError("taken")
    if contact.owner_id not in (None, agent.user_id) and contact.owner_until is not None and contact.owner_until > now:
        raise CallbackError("not_yours")
    if blocked(session, contact.e164):
        raise CallbackError("do_not_call")
    zones = zones_of(contact.e164, default_zone)
    window = window_of(campaign, holidays)
    if not by_a_person and not window.is_open(now, zones):
        raise CallbackError("outside_window", opens=window.next_open(now, zones))
    busy = session.scalar(select(func.count()).select_from(CampaignAttempt).where(
        CampaignAttempt.campaign_id == campaign.id, IS_BUSY)) or 0
    if busy >= campaign.max_concurrent and not by_a_person:
        raise CallbackError("lines_full")  # a person's own call is not held back: the dialer's calls yield
    claim = take(session, campaign, contact, now, claimer)
    if claim is None:
        raise CallbackError("taken")
    _audit(session, agent, contact_id, "callback_call", {"state": "pending"},
           {"state": "dialling", "attempt": claim.number, "action_id": claim.action_id, "phone": agent.interface})
    return claim


def cancel(session: Session, contact_id: int, agent: Agent, now: dt.datetime, *, supervisor: bool = False) -> None:
    """A callback no longer needed (the customer called again, or it was settled otherwise)."""
    _close(session, contact_id, agent, now, supervisor=supervisor, state="cancelled", outcome="cancelled",
           action="callback_cancel")


def mark_done(session: Session, contact_id: int, agent: Agent, now: dt.datetime, *, supervisor: bool = False) -> None:
    """The agent reached the customer some other way: the callback is done (its latest outcome kept), with the
    same rules as :func:`cancel`."""
    _close(session, contact_id, agent, now, supervisor=supervisor, state="done", outcome=None, action="callback_done")


def _close(session: Session, contact_id: int, agent: Agent, now: dt.datetime, *, supervisor: bool, state: str,
           outcome: str | None, action: str) -> None:
    """A pending callback closed by its owner (anyone's when it has none; any by a supervisor)."""
    contact = session.get(CampaignContact, contact_id, with_for_update=True)
    if contact is None or contact.source not in ("agent", "abandoned", "dial"):
        raise CallbackError("unknown")
    if not supervisor and contact.owner_id not in (None, agent.user_id):
        raise CallbackError("not_yours")
    values: dict[str, Any] = {"state": state, "next_at": None, "updated_at": now}
    if outcome is not None:
        values["outcome"] = outcome
    moved = session.execute(update(CampaignContact).where(CampaignContact.id == contact_id,
                                                          CampaignContact.state == "pending")
                            .values(**values).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise CallbackError("taken")
    _audit(session, agent, contact_id, action, {"state": "pending"}, {"state": state})


def origin(session: Session, action_id: str) -> dict[str, Any] | None:
    """What a campaign call's pop says about why it was made (None: not a campaign's call)."""
    row = session.execute(select(CampaignContact, Campaign.kind, Campaign.name)
                          .join(CampaignAttempt, CampaignAttempt.contact_id == CampaignContact.id)
                          .join(Campaign, Campaign.id == CampaignContact.campaign_id)
                          .where(CampaignAttempt.action_id == action_id)).first()
    if row is None:
        return None
    contact, kind, name = row
    tickets = _ticket_numbers(session, [contact.ticket_id] if contact.ticket_id else [])
    data = contact.data or {}
    by = data.get("scheduled_by", "")
    by_name = session.scalar(select(User.display_name).where(User.username == by)) if by else ""
    return {"kind": kind, "campaign": name, "source": contact.source, "reason": contact.reason,
            "queue": data.get("queue", ""), "waited": data.get("waited"), "scheduled_by": by,
            "scheduled_by_name": by_name or by,
            "contact_id": contact.id, "attempt": contact.attempts,
            "ticket": {"id": contact.ticket_id, "number": tickets.get(contact.ticket_id, "")}
            if contact.ticket_id else None}
