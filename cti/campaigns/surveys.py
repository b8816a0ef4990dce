"""Satisfaction follow-ups (回访): what a key in the survey IVR does, and the manual form.

The survey context (dialplans/hotline.conf ``[hotline-survey]``) asks once, re-prompts once, then
reports the key (:class:`~cti.events.SurveyKeyed`):

* ``1``–``5``: the rating is stored once for the contact (a unique row in ``survey_ratings``) with
  what it rates — the ticket, the agent who resolved it, the engineer, the product model — and the
  attempt is ``answered``. A rating of 1 or 2 is announced (:class:`SurveyRated`) so the tickets
  domain opens a complaint.
* ``9``: the number goes on the do-not-call list (source ``survey``); the contact is ``do_not_call``.
* nothing valid after the re-prompt: the attempt's outcome is ``no_input``, retried per the policy.

An agent can also take a follow-up as a manual call and fill in the answers (:func:`rate_by_form`): a
supervisor gives a pending contact of a survey to an agent (:func:`assign`: the contact is ``assigned``
and the dialer leaves it alone), the agent finds it in their list (:func:`followups_for`) and sends
the form (:func:`answer`: once, by the agent it was given to). Both are audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cti.audit import record
from cti.campaigns.claims import record_outcome
from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact, DoNotCall, SurveyRating
from cti.campaigns.policy import ANSWERED, DO_NOT_CALL, NO_INPUT
from cti.events import SurveyRated
from cti.store.dialects import upsert_insert
from cti.tickets.calendar import HolidaySource
from cti.tickets.models import Ticket
from cti.users.models import User

RATINGS = ("1", "2", "3", "4", "5")
OPT_OUT = "9"
UNHAPPY = 2  # a rating at or below this opens a complaint
ASSIGNABLE = ("agent", "supervisor", "manager", "admin")  # who may be given a follow-up to call
MAX_COMMENT = 1000
LIST_LIMIT = 200


class FollowupError(ValueError):
    """A follow-up that cannot be given or answered; ``code`` names why (translated by the pages)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def store_rating(session: Session, contact: CampaignContact, rating: int, now: dt.datetime, *, action_id: str = "",
                 channel: str = "ivr", comment: str = "", keyed_by: str = "") -> SurveyRated | None:
    """The contact's rating, once: None when it has one already."""
    data = contact.data or {}
    stmt = (upsert_insert(session)(SurveyRating)
            .values(contact_id=contact.id, campaign_id=contact.campaign_id, action_id=action_id, rating=rating,
                    ticket_id=contact.ticket_id, customer_id=contact.customer_id, agent=str(data.get("agent", ""))[:64],
                    engineer_id=data.get("engineer_id"), product_model=str(data.get("product_model", ""))[:100],
                    service_type=str(data.get("service_type", ""))[:20], channel=channel, comment=comment[:1000],
                    keyed_by=keyed_by[:64], keyed_at=now)
            .on_conflict_do_nothing(index_elements=["contact_id"]).returning(SurveyRating.id))
    rating_id = session.execute(stmt).scalar()
    if rating_id is None:
        return None
    return SurveyRated(now.timestamp(), rating_id, rating, contact.ticket_id, contact.customer_id,
                       str(data.get("product_model", "")), str(data.get("agent", "")))


def add_do_not_call(session: Session, e164: str, *, source: str, note: str = "", added_by: str = "",
                    now: dt.datetime) -> bool:
    """Put a number on the do-not-call list; False when it was there already."""
    stmt = (upsert_insert(session)(DoNotCall).values(e164=e164, source=source, note=note[:200], added_by=added_by[:64],
                                              added_at=now)
            .on_conflict_do_nothing(index_elements=["e164"]).returning(DoNotCall.e164))
    return session.execute(stmt).scalar() is not None


def keyed(session: Session, action_id: str, key: str, now: dt.datetime, *, holidays: HolidaySource | None,
          default_zone: str) -> tuple[dict[str, Any] | None, list[Any]]:
    """What the survey IVR reported for an attempt: (the attempt's landing, events to publish)."""
    attempt = session.scalars(select(CampaignAttempt).where(CampaignAttempt.action_id == action_id)).first()
    if attempt is None:
        return None, []
    contact = session.get(CampaignContact, attempt.contact_id)
    assert contact is not None
    events: list[Any] = []
    if key in RATINGS:
        rated = store_rating(session, contact, int(key), now, action_id=action_id)
        events += [rated] if rated is not None else []
        outcome = ANSWERED
    elif key == OPT_OUT:
        add_do_not_call(session, contact.e164, source="survey", note=f"campaign {contact.campaign_id}", now=now)
        outcome = DO_NOT_CALL
    else:
        outcome = NO_INPUT
    moved = record_outcome(session, action_id, outcome, now, holidays=holidays, default_zone=default_zone,
                           call_over=False)  # the thanks or goodbye still plays: the line is held until the end
    return moved, events


def rate_by_form(session: Session, contact_id: int, rating: int, *, comment: str, by: str,
                 now: dt.datetime) -> SurveyRated | None:
    """An agent's manual follow-up: the answers from the form; the contact is done."""
    if rating not in range(1, 6):
        raise ValueError(f"a rating is 1 to 5, not {rating!r}")
    contact = session.get(CampaignContact, contact_id, with_for_update=True)
    if contact is None:
        raise LookupError(contact_id)
    rated = store_rating(session, contact, rating, now, channel="form", comment=comment, keyed_by=by)
    contact.state, contact.outcome, contact.next_at, contact.updated_at = "done", ANSWERED, None, now
    return rated


# -- manual follow-ups ----------------------------------------------------------------------------------

def assign(session: Session, contact_id: int, agent_user_id: int, by: str, now: dt.datetime) -> None:
    """A supervisor gives a survey's pending contact to an agent, who calls it by hand: ``assigned``, owned by
    the agent; the dialer no longer dials it."""
    contact = session.get(CampaignContact, contact_id, with_for_update=True)
    if contact is None:
        raise FollowupError("unknown")
    if session.scalar(select(Campaign.kind).where(Campaign.id == contact.campaign_id)) != "survey":
        raise FollowupError("not_survey")
    agent = session.get(User, agent_user_id)
    if agent is None or not agent.active or agent.role not in ASSIGNABLE:
        raise FollowupError("unknown_agent")
    moved = session.execute(update(CampaignContact)
                            .where(CampaignContact.id == contact_id, CampaignContact.state == "pending")
                            .values(state="assigned", owner_id=agent.id, next_at=None, updated_at=now)
                            .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise FollowupError("not_pending", state=contact.state)
    record(session, actor=by, entity="campaign_contact", entity_id=contact_id, action="followup_assign",  # type: ignore[arg-type]
           before={"state": "pending"}, after={"state": "assigned", "owner_id": agent.id, "owner": agent.username})


def answer(session: Session, contact_id: int, user_id: int, username: str, rating: int | None, comment: str,
           now: dt.datetime) -> SurveyRated | None:
    """The answers of a follow-up an agent was given, from the form: the rating (1-5) is stored once and
    the contact is done. The event announces an unhappy rating (a complaint is opened)."""
    if rating is None or rating not in range(1, 6):
        raise FollowupError("rating_required")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise FollowupError("comment_too_long", limit=MAX_COMMENT)
    contact = session.get(CampaignContact, contact_id, with_for_update=True)
    if contact is None:
        raise FollowupError("unknown")
    if contact.state != "assigned":
        raise FollowupError("not_assigned")
    if contact.owner_id != user_id:
        raise FollowupError("not_yours")
    rated = rate_by_form(session, contact_id, rating, comment=comment, by=username, now=now)
    record(session, actor=username, entity="campaign_contact", entity_id=contact_id, action="followup_answer",  # type: ignore[arg-type]
           before={"state": "assigned"}, after={"state": "done", "rating": rating})
    return rated


def followups_for(session: Session, user_id: int, *, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The follow-ups given to this agent and not answered yet, oldest first, with their tickets' numbers."""
    rows = session.execute(select(CampaignContact, Campaign.name, Ticket.number)
                           .join(Campaign, Campaign.id == CampaignContact.campaign_id)
                           .outerjoin(Ticket, Ticket.id == CampaignContact.ticket_id)
                           .where(CampaignContact.owner_id == user_id, CampaignContact.state == "assigned")
                           .order_by(CampaignContact.updated_at, CampaignContact.id).limit(limit)).all()
    return [{"id": c.id, "e164": c.e164, "name": c.name, "customer_id": c.customer_id, "campaign": name,
             "ticket": {"id": c.ticket_id, "number": number or ""} if c.ticket_id else None, "data": c.data or {},
             "reason": c.reason, "assigned_at": c.updated_at} for c, name, number in rows]


def followup_count(session: Session, user_id: int) -> int:
    """How many follow-ups this agent has to call (the console's header)."""
    return session.scalar(select(func.count()).select_from(CampaignContact).where(
        CampaignContact.owner_id == user_id, CampaignContact.state == "assigned")) or 0


def ratings_of_ticket(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """A ticket's satisfaction ratings, oldest first: keyed in the IVR or filled in by an agent."""
    rows = session.execute(select(SurveyRating, Campaign.name)
                           .join(Campaign, Campaign.id == SurveyRating.campaign_id)
                           .where(SurveyRating.ticket_id == ticket_id).order_by(SurveyRating.keyed_at)).all()
    return [{"rating": r.rating, "channel": r.channel, "at": r.keyed_at, "by": r.keyed_by, "comment": r.comment,
             "campaign": name} for r, name in rows]


def ratings_since(session: Session, since: dt.datetime) -> list[tuple[int, str]]:
    """The follow-ups' ratings keyed since ``since``: (rating, the agent who resolved the ticket)."""
    return [(r, a) for r, a in session.execute(
        select(SurveyRating.rating, SurveyRating.agent).where(SurveyRating.keyed_at >= since)).all()]
