"""A campaign's results as spreadsheet rows (written formula-safe by :mod:`cti.sheets`): one row per contact
with its latest outcome, how many attempts it took and its rating, and one row per attempt.

Rows are read a thousand at a time in id order (keyset), so a campaign of 100,000 contacts is never in
memory at once. Times are local (``CTI_TIMEZONE``), numbers E.164 (a spreadsheet shows ``'+86…`` as text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cti.campaigns.models import CampaignAttempt, CampaignContact, SurveyRating
from cti.tickets.models import Ticket

RESULT_COLUMNS = ("contact_id", "number", "name", "language", "state", "outcome", "attempts", "last_attempt_at",
                  "next_at", "rating", "ticket", "source", "note", "added_at")
ATTEMPT_COLUMNS = ("attempt_id", "contact_id", "number", "name", "attempt", "claimed_at", "dialled_at", "ended_at",
                   "state", "outcome", "cause", "call_id")
PAGE = 1000


def _time(value: dt.datetime | None, zone: dt.tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _results_after(session: Session, campaign_id: int, after: int) -> list[Any]:
    last = (select(func.max(CampaignAttempt.claimed_at)).where(CampaignAttempt.contact_id == CampaignContact.id)
            .correlate(CampaignContact).scalar_subquery())
    return list(session.execute(
        select(CampaignContact, last.label("last"), SurveyRating.rating, Ticket.number)
        .outerjoin(SurveyRating, SurveyRating.contact_id == CampaignContact.id)
        .outerjoin(Ticket, Ticket.id == CampaignContact.ticket_id)
        .where(CampaignContact.campaign_id == campaign_id, CampaignContact.id > after)
        .order_by(CampaignContact.id).limit(PAGE)))


def _attempts_after(session: Session, campaign_id: int, after: int) -> list[Any]:
    return list(session.execute(
        select(CampaignAttempt, CampaignContact.e164, CampaignContact.name)
        .join(CampaignContact, CampaignContact.id == CampaignAttempt.contact_id)
        .where(CampaignAttempt.campaign_id == campaign_id, CampaignAttempt.id > after)
        .order_by(CampaignAttempt.id).limit(PAGE)))


def result_row(row: Any, zone: dt.tzinfo) -> list[Any]:
    c = row[0]
    return [c.id, c.e164, c.name, c.language, c.state, c.outcome, c.attempts, _time(row.last, zone),
            _time(c.next_at, zone), row.rating if row.rating is not None else "", row.number or "", c.source,
            c.reason, _time(c.created_at, zone)]


def attempt_row(row: Any, zone: dt.tzinfo) -> list[Any]:
    a = row[0]
    return [a.id, a.contact_id, row.e164, row.name, a.number, _time(a.claimed_at, zone), _time(a.dialled_at, zone),
            _time(a.ended_at, zone), a.state, a.outcome, a.cause if a.cause is not None else "", a.call_id]


async def _stream(db: Any, read: Callable[..., list[Any]], shape: Callable[[Any, dt.tzinfo], list[Any]],
                  campaign_id: int, zone: dt.tzinfo) -> AsyncIterator[list[Any]]:
    after = 0
    while True:
        rows = await db.read(read, campaign_id, after)
        for row in rows:
            yield shape(row, zone)
        if len(rows) < PAGE:
            return
        after = rows[-1][0].id


def results(db: Any, campaign_id: int, zone: dt.tzinfo) -> AsyncIterator[list[Any]]:
    """One row per contact (:data:`RESULT_COLUMNS`), in the order they were added."""
    return _stream(db, _results_after, result_row, campaign_id, zone)


def attempts(db: Any, campaign_id: int, zone: dt.tzinfo) -> AsyncIterator[list[Any]]:
    """One row per attempt (:data:`ATTEMPT_COLUMNS`), in the order they were claimed."""
    return _stream(db, _attempts_after, attempt_row, campaign_id, zone)


def count(session: Session, campaign_id: int, *, of_attempts: bool = False) -> int:
    """How many rows an export writes (a progress bar's end)."""
    model = CampaignAttempt if of_attempts else CampaignContact
    return session.scalar(select(func.count()).select_from(model).where(model.campaign_id == campaign_id)) or 0
