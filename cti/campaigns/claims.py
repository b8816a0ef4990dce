"""Claiming due contacts before they are dialled, and recording what each attempt came to.

:func:`claim_due` is one unit of work (``Database.write``). For each running campaign, its row is
locked first (PostgreSQL: ``FOR UPDATE``; SQLite: the single writer of ``BEGIN IMMEDIATE``), so two
processes claiming at once take turns per campaign and its free lines are counted from the attempts
it holds (``claimed`` or ``dialled``), never exceeded. A contact is claimed by a conditional update
(``… SET state = 'dialling' WHERE id = :id AND state = 'pending'``: a row count of 1) and an attempt
row with a unique ``action_id`` is added in the same transaction: the Originate that follows
carries that ActionID, and no contact is handed out twice, whatever crashes after the commit.

At claim time, not only when the contact was added: a number on the do-not-call list is closed
(``do_not_call``), a number outside the calling window (in its own local time) is moved to when the
window opens, and pacing spaces the claims ``60 / per_minute`` seconds apart.

:func:`record_outcome` lands an attempt's result once (the attempt must still be open) and decides
the contact's next step with the campaign's retry policy and window.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from cti.campaigns.models import IS_BUSY, IS_PENDING, Campaign, CampaignAttempt, CampaignContact, DoNotCall
from cti.campaigns.policy import FINAL, Retry, RetryPolicy
from cti.campaigns.window import Window, zones_of
from cti.tickets.calendar import HolidaySource

CLAIMER = f"{socket.gethostname()}:{os.getpid()}"[:64]
ONCE = "dial"  # the source of a contact dialled once whatever became of it (an agent's click-to-dial)


@dataclass(frozen=True, slots=True)
class Claim:
    """A contact to dial now: what the dialer needs for the Originate."""

    attempt_id: int
    action_id: str
    campaign_id: int
    contact_id: int
    e164: str
    number: int  # the contact's n-th attempt


def window_of(campaign: Campaign, holidays: HolidaySource | None) -> Window:
    """The campaign's calling window (its JSON: weekday → [["09:00", "20:00"], …])."""
    hours = {int(day): tuple((dt.time.fromisoformat(a), dt.time.max if b == "24:00" else dt.time.fromisoformat(b))
                             for a, b in spans) for day, spans in (campaign.window or {}).items()}
    return Window(hours, holidays, campaign.allow_holidays)


def policy_of(campaign: Campaign) -> RetryPolicy:
    """The campaign's retry policy (its JSON: outcome → [seconds, attempts]); the defaults when empty."""
    if not campaign.retry:
        return RetryPolicy.defaults()
    return RetryPolicy({k: Retry(dt.timedelta(seconds=float(v[0])), int(v[1])) for k, v in campaign.retry.items()})


def _dialled_by_the_dialer():
    """The campaigns the dialer dials by itself: running, not preview (an agent starts those calls)."""
    return select(Campaign.id).where(Campaign.state == "running", Campaign.mode != "preview")


def free_of_owner(now: dt.datetime):
    """Not an owner-only callback still in its owner's time (the owner calls it from their list)."""
    return or_(CampaignContact.owner_until.is_(None), CampaignContact.owner_until <= now)


def anything_due(session: Session, now: dt.datetime) -> bool:
    """A read, before the claim's write transaction: is any contact the dialer may dial due?

    One probe per running campaign (``campaign_id = ?``: a range of ``ix_campaign_contacts_due``, empty
    when nothing is due). Not ``campaign_id IN (running campaigns)``: with several campaigns SQLite's
    planner expects each to hold most contacts and scans the table instead (21 ms at 100,000 contacts,
    every second, against 0.01 ms a probe; bench/campaigns.py, idle)."""
    for campaign_id in session.scalars(_dialled_by_the_dialer()):
        if session.scalar(select(CampaignContact.id).where(
                CampaignContact.campaign_id == campaign_id, IS_PENDING,
                CampaignContact.next_at <= now, free_of_owner(now)).limit(1)) is not None:
            return True
    return False


def claim_due(session: Session, now: dt.datetime, *, holidays: HolidaySource | None, default_zone: str,
              limit: int = 100, claimer: str = CLAIMER, clock: Callable[[], dt.datetime] | None = None) -> list[Claim]:
    """The contacts to dial now, claimed (see the module's docstring); at most ``limit`` in all.

    ``clock``: the attempts' ``claimed_at`` is read from it once the campaign's lines are counted (after
    waiting for another process's claims), so that an attempt's span starts when it took its line."""
    claims: list[Claim] = []
    running = session.scalars(_dialled_by_the_dialer().order_by(Campaign.id)).all()
    for campaign_id in running:
        if len(claims) >= limit:
            break
        campaign = session.scalars(select(Campaign).where(Campaign.id == campaign_id, Campaign.state == "running")
                                   .with_for_update()).first()  # the campaign's claims take turns
        if campaign is None or not _in_dates(campaign, now):
            continue
        claims += _claim_for(session, campaign, now, holidays, default_zone, limit - len(claims), claimer, clock)
    return claims


def _in_dates(campaign: Campaign, now: dt.datetime) -> bool:
    return (campaign.starts_at is None or campaign.starts_at <= now) and (campaign.ends_at is None or now < campaign.ends_at)


def _claim_for(session: Session, campaign: Campaign, now: dt.datetime, holidays: HolidaySource | None,
               default_zone: str, limit: int, claimer: str, clock: Callable[[], dt.datetime] | None) -> list[Claim]:
    busy = session.scalar(select(func.count()).select_from(CampaignAttempt).where(
        CampaignAttempt.campaign_id == campaign.id, IS_BUSY)) or 0
    stamp = clock() if clock is not None else now
    room = min(limit, campaign.max_concurrent - busy, _paced(campaign, now))
    if room <= 0:
        return []
    window = window_of(campaign, holidays)
    claims: list[Claim] = []
    # more than the room: some may be set aside (do-not-call, outside the window); the rest wait a round
    due = session.scalars(select(CampaignContact).where(
        CampaignContact.campaign_id == campaign.id, IS_PENDING, CampaignContact.next_at <= now,
        free_of_owner(now)).order_by(CampaignContact.next_at, CampaignContact.id).limit(room * 4 + 10))
    for contact in due:
        if len(claims) >= room:
            break
        if blocked(session, contact.e164):
            _close(contact, "do_not_call", now)
            continue
        zones = zones_of(contact.e164, default_zone)
        if not window.is_open(now, zones):
            contact.next_at = window.next_open(now, zones)
            if contact.next_at is None:
                _close(contact, "exhausted", now)
            continue
        claim = take(session, campaign, contact, stamp, claimer)
        if claim is not None:
            claims.append(claim)
    if claims:
        campaign.last_dial_at = stamp
    return claims


def _paced(campaign: Campaign, now: dt.datetime) -> int:
    """How many claims pacing allows now: one a ``60 / per_minute`` seconds since the latest claim (the
    dialer looks every second, so a fast campaign takes several at a time)."""
    if campaign.per_minute <= 0:
        return 0
    interval = 60.0 / campaign.per_minute
    elapsed = None if campaign.last_dial_at is None else (now - campaign.last_dial_at).total_seconds()
    if elapsed is None or elapsed < 0:  # the first claims, or the clock went back: a second's worth, at least one
        return max(1, int(1.0 // interval))
    return int(elapsed // interval)


def blocked(session: Session, e164: str) -> bool:
    """On the do-not-call list now (read in the claim's transaction, so an entry made a moment ago counts)."""
    return session.scalar(select(DoNotCall.e164).where(DoNotCall.e164 == e164)) is not None


def take(session: Session, campaign: Campaign, contact: CampaignContact, now: dt.datetime,
          claimer: str) -> Claim | None:
    """The conditional update that claims one contact, and its attempt row; None if someone else has it."""
    taken = session.execute(
        update(CampaignContact).where(CampaignContact.id == contact.id, CampaignContact.state == "pending")
        .values(state="dialling", attempts=CampaignContact.attempts + 1, next_at=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        return None
    number = contact.attempts + 1
    action_id = f"cti-{contact.id}-{number}"
    attempt = CampaignAttempt(campaign_id=campaign.id, contact_id=contact.id, number=number, action_id=action_id,
                              state="claimed", claimed_by=claimer, claimed_at=now)
    session.add(attempt)
    session.flush()
    session.expire(contact)
    return Claim(attempt.id, action_id, campaign.id, contact.id, contact.e164, number)


def _close(contact: CampaignContact, state: str, now: dt.datetime) -> None:
    contact.state, contact.next_at, contact.updated_at = state, None, now
    if state == "do_not_call":
        contact.outcome = "do_not_call"


def release(session: Session, action_id: str, now: dt.datetime, *, delay: dt.timedelta = dt.timedelta(seconds=30)) -> bool:
    """An Originate that was certainly never sent (no PBX connection at the time): its attempt is removed
    and the contact is due again after ``delay``; nothing was dialled, so nothing is counted."""
    attempt = session.scalars(select(CampaignAttempt).where(CampaignAttempt.action_id == action_id,
                                                            CampaignAttempt.state == "claimed")).first()
    if attempt is None:
        return False
    contact = session.get(CampaignContact, attempt.contact_id, with_for_update=True)
    assert contact is not None
    session.delete(attempt)
    contact.state, contact.attempts, contact.next_at, contact.updated_at = "pending", attempt.number - 1, now + delay, now
    return True


_OPEN = ("claimed", "dialled")  # no outcome yet


def free_line(session: Session, action_id: str, now: dt.datetime) -> bool:
    """A reported attempt's call ended (however it ended): it no longer holds a line."""
    return session.execute(
        update(CampaignAttempt).where(CampaignAttempt.action_id == action_id, CampaignAttempt.state == "reported")
        .values(state="ended", ended_at=now).execution_options(synchronize_session=False)).rowcount == 1


def dialled(session: Session, attempt_ids: Iterable[int], now: dt.datetime) -> None:
    """The PBX accepted these Originates (``Response: Success`` to ``Async: true``)."""
    ids = list(attempt_ids)
    if ids:
        session.execute(update(CampaignAttempt).where(CampaignAttempt.id.in_(ids), CampaignAttempt.state == "claimed")
                        .values(state="dialled", dialled_at=now).execution_options(synchronize_session=False))


def record_outcome(session: Session, action_id: str, outcome: str, now: dt.datetime, *,
                   holidays: HolidaySource | None, default_zone: str, cause: int | None = None,
                   call_id: str = "", call_over: bool = True) -> dict[str, Any] | None:
    """Land an attempt's outcome once and move its contact on: done, retried at the policy's time (in
    the window), or exhausted. None when the attempt is unknown or already has its outcome (a duplicate).

    ``call_over=False``: an IVR reported the outcome while the call goes on; the attempt is ``reported``
    and keeps its line until the call's end (a later call with ``call_over=True`` frees it)."""
    if call_over and free_line(session, action_id, now):
        return None  # its outcome was reported during the call: now the line is free too
    state = "unknown" if outcome == "unknown" else "ended" if call_over else "reported"
    ended = session.execute(
        update(CampaignAttempt).where(CampaignAttempt.action_id == action_id, CampaignAttempt.state.in_(_OPEN))
        .values(state=state, outcome=outcome, cause=cause, call_id=call_id, ended_at=now if call_over else None)
        .execution_options(synchronize_session=False)).rowcount
    if ended != 1:
        return None
    attempt = session.scalars(select(CampaignAttempt).where(CampaignAttempt.action_id == action_id)).one()
    contact = session.get(CampaignContact, attempt.contact_id, with_for_update=True)
    campaign = session.get(Campaign, attempt.campaign_id)
    assert contact is not None and campaign is not None
    contact.outcome, contact.updated_at = outcome, now
    if outcome == "answered":
        contact.state = "done"
    elif outcome == "unknown":
        contact.state = "unknown"  # a person decides: never dialled again by itself
    elif outcome == "do_not_call":
        contact.state = "do_not_call"
    else:
        once = outcome in FINAL or contact.source == ONCE  # a person's click-to-dial is never retried by itself
        retry_at = None if once else policy_of(campaign).next_attempt(
            outcome, attempts=contact.attempts, ended_at=now)
        if retry_at is not None:
            retry_at = window_of(campaign, holidays).next_open(retry_at, zones_of(contact.e164, default_zone))
        contact.state, contact.next_at = ("pending", retry_at) if retry_at is not None else ("exhausted", None)
    return {"contact_id": contact.id, "state": contact.state, "next_at": contact.next_at, "attempt": attempt.number,
            "outcome": outcome, "kind": campaign.kind, "notification_id": contact.notification_id,
            "ticket_id": contact.ticket_id, "call_id": call_id, "by": (contact.data or {}).get("scheduled_by", "")}
