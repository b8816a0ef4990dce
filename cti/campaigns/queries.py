"""What the supervisors' pages read about campaigns: synchronous ``Session`` functions for ``Database.read``.

* :func:`progress` — a campaign's counters, read every 2 s by its page: contacts per state and per
  outcome of their latest attempt (one ``GROUP BY`` answered from the index
  ``ix_campaign_contacts_progress`` alone), attempts today (``ix_campaign_attempts_claimed``), lines in
  use (the partial index of busy attempts the claims count from), the ratings of a survey, the next
  contact due (the partial index of pending contacts). A handful of indexed reads whatever the size.
* :func:`campaign_list` — the campaigns, running first, each with its counts (one grouped read a page).
* :func:`contacts_page`, :func:`contact_detail`, :func:`unknown_contacts` — the contacts, filtered and
  paged; one with every attempt and the decisions taken on it; the ones a person must decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from cti.audit.models import AuditEntry
from cti.campaigns.models import (
    CONTACT_STATES, IS_BUSY, IS_PENDING, Campaign, CampaignAttempt, CampaignContact, CampaignImport, SurveyRating,
)  # fmt: skip
from cti.campaigns.policy import OUTCOMES
from cti.tickets.models import Ticket

PAGE_SIZE = 50
CLOSED = ("done", "exhausted", "do_not_call", "cancelled")  # nothing more will be dialled for these
RATINGS = (1, 2, 3, 4, 5)
UNKNOWN_SHOWN = 50
NOT_TRIED = "none"  # the outcome filter for contacts never dialled
_BUSY, _PENDING = IS_BUSY, IS_PENDING  # the partial indexes' conditions, written out (models.py)


def progress(session: Session, campaign_id: int, *, day_start: dt.datetime) -> dict[str, Any]:
    """The counters of one campaign (see the module's docstring); ``day_start``: local midnight, in UTC."""
    states = dict.fromkeys(CONTACT_STATES, 0)
    outcomes = dict.fromkeys(OUTCOMES, 0)
    retrying = 0
    rows = session.execute(select(CampaignContact.state, CampaignContact.outcome, func.count())
                           .where(CampaignContact.campaign_id == campaign_id)
                           .group_by(CampaignContact.state, CampaignContact.outcome))
    for state, outcome, n in rows:
        states[state] = states.get(state, 0) + n
        if outcome:
            outcomes[outcome] = outcomes.get(outcome, 0) + n
            retrying += n if state == "pending" else 0
    total = sum(states.values())
    ratings = dict.fromkeys(RATINGS, 0)
    for rating, n in session.execute(select(SurveyRating.rating, func.count()).where(
            SurveyRating.campaign_id == campaign_id).group_by(SurveyRating.rating)):
        ratings[rating] = n
    rated = sum(ratings.values())
    return {
        "states": states, "outcomes": outcomes, "total": total, "retrying": retrying,
        "closed": sum(states[s] for s in CLOSED),
        "attempts_today": session.scalar(select(func.count()).select_from(CampaignAttempt).where(
            CampaignAttempt.campaign_id == campaign_id, CampaignAttempt.claimed_at >= day_start)) or 0,
        "lines": lines_in_use(session, [campaign_id]).get(campaign_id, 0),
        "ratings": ratings, "rated": rated,
        "average": round(sum(k * v for k, v in ratings.items()) / rated, 2) if rated else None,
        "next_due": session.scalar(select(func.min(CampaignContact.next_at)).where(
            CampaignContact.campaign_id == campaign_id, _PENDING)),
    }


def lines_in_use(session: Session, campaign_ids: list[int]) -> dict[int, int]:
    """Attempts claimed or on the line, per campaign: the lines it uses (what the claims count)."""
    if not campaign_ids:
        return {}
    return {campaign_id: n for campaign_id, n in session.execute(lines_query(campaign_ids))}


def lines_query(campaign_ids: list[int]) -> Any:
    return (select(CampaignAttempt.campaign_id, func.count()).where(CampaignAttempt.campaign_id.in_(campaign_ids), _BUSY)
            .group_by(CampaignAttempt.campaign_id))


# --- the list of campaigns --------------------------------------------------------------------------

_STATE_ORDER = case({"running": 0, "paused": 1, "draft": 2}, value=Campaign.state, else_=3)


@dataclass(frozen=True, slots=True)
class CampaignLine:
    campaign: Campaign
    total: int
    closed: int
    unknown: int
    lines: int


def campaign_list(session: Session, *, page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list[CampaignLine], int]:
    """A page of campaigns (running, paused, draft, then finished; the latest changed first) and how many there are."""
    total = session.scalar(select(func.count()).select_from(Campaign)) or 0
    campaigns = list(session.scalars(select(Campaign).order_by(_STATE_ORDER, Campaign.updated_at.desc(), Campaign.id.desc())
                                      .offset((page - 1) * page_size).limit(page_size)))
    ids = [c.id for c in campaigns]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        for campaign_id, state, n in session.execute(
                select(CampaignContact.campaign_id, CampaignContact.state, func.count())
                .where(CampaignContact.campaign_id.in_(ids)).group_by(CampaignContact.campaign_id, CampaignContact.state)):
            counts[campaign_id][state] = n
    busy = lines_in_use(session, ids)
    return [CampaignLine(c, sum(counts[c.id].values()), sum(counts[c.id].get(s, 0) for s in CLOSED),
                         counts[c.id].get("unknown", 0), busy.get(c.id, 0)) for c in campaigns], total


# --- contacts ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactFilter:
    state: str = ""  # one of CONTACT_STATES, or every state
    outcome: str = ""  # one of OUTCOMES, NOT_TRIED, or every outcome
    numbers: tuple[str, ...] = ()  # E.164 keys of a complete number typed in the search
    digits: str = ""  # part of a number typed in the search
    name: str = ""  # else: part of a name
    page: int = 1


def _contact_where(campaign_id: int, f: ContactFilter) -> list[Any]:
    where: list[Any] = [CampaignContact.campaign_id == campaign_id]
    if f.state:
        where.append(CampaignContact.state == f.state)
    if f.outcome:
        where.append(CampaignContact.outcome == ("" if f.outcome == NOT_TRIED else f.outcome))
    if f.numbers:
        where.append(CampaignContact.e164.in_(f.numbers))
    elif f.digits:
        where.append(CampaignContact.e164.contains(f.digits, autoescape=True))
    elif f.name:
        where.append(CampaignContact.name.contains(f.name, autoescape=True))
    return where


def contacts_page(session: Session, campaign_id: int, f: ContactFilter,
                  *, page_size: int = PAGE_SIZE) -> tuple[list[CampaignContact], int]:
    """A page of a campaign's contacts in the order they were added, and how many the filter finds."""
    where = _contact_where(campaign_id, f)
    total = session.scalar(select(func.count()).select_from(CampaignContact).where(*where)) or 0
    rows = session.scalars(select(CampaignContact).where(*where).order_by(CampaignContact.id)
                           .offset((f.page - 1) * page_size).limit(page_size))
    return list(rows), total


def unknown_contacts(session: Session, campaign_id: int, limit: int = UNKNOWN_SHOWN) -> list[dict[str, Any]]:
    """The contacts a person must decide on (the service cannot tell whether their last call went out),
    the longest waiting first, each with that attempt."""
    contacts = list(session.scalars(select(CampaignContact).where(
        CampaignContact.campaign_id == campaign_id, CampaignContact.state == "unknown")
        .order_by(CampaignContact.updated_at, CampaignContact.id).limit(limit)))
    attempts: dict[int, CampaignAttempt] = {}
    if contacts:
        for attempt in session.scalars(select(CampaignAttempt).where(
                CampaignAttempt.contact_id.in_([c.id for c in contacts])).order_by(CampaignAttempt.number)):
            attempts[attempt.contact_id] = attempt  # the latest wins
    return [{"contact": c, "attempt": attempts.get(c.id)} for c in contacts]


def contact_detail(session: Session, campaign_id: int, contact_id: int) -> dict[str, Any] | None:
    """One contact with every attempt, its rating, its ticket's number and the decisions people took on it."""
    contact = session.get(CampaignContact, contact_id)
    if contact is None or contact.campaign_id != campaign_id:
        return None
    attempts = list(session.scalars(select(CampaignAttempt).where(CampaignAttempt.contact_id == contact_id)
                                    .order_by(CampaignAttempt.number)))
    rating = session.scalar(select(SurveyRating).where(SurveyRating.contact_id == contact_id))
    ticket = session.scalar(select(Ticket.number).where(Ticket.id == contact.ticket_id)) if contact.ticket_id else None
    decisions = list(session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "campaign_contact", AuditEntry.entity_id == str(contact_id),
        or_(AuditEntry.action == "decide_done", AuditEntry.action == "decide_redial")).order_by(AuditEntry.id)))
    return {"contact": contact, "attempts": attempts, "rating": rating, "ticket_number": ticket,
            "decisions": decisions}


def imports_of(session: Session, campaign_id: int, limit: int = 10) -> list[CampaignImport]:
    """The latest imports into a campaign, newest first."""
    return list(session.scalars(select(CampaignImport).where(CampaignImport.campaign_id == campaign_id)
                                .order_by(CampaignImport.id.desc()).limit(limit)))
