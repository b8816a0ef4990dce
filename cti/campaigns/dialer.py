"""The dialer: a job of the service's scheduler that claims what is due and places each claim once,
and a bus subscriber that lands each attempt's outcome.

Placing a call goes through ``place`` (:data:`Place`), which the composition root builds over the
PBX gateway and which answers what became of the Originate: ``sent`` (the PBX took it), ``refused``
(the PBX or our own checks refused it: nothing rang), ``not_sent`` (no PBX connection: the contact
is released, due again shortly) or ``unknown`` (the connection was lost with the Originate on the
wire: it may ring, so the attempt is ``unknown`` for a person, never dialled again by itself).

Outcomes come from the tracker's events that carry the attempt's ActionID (the Originate sets it
as a channel variable): ``OriginateFailed`` (the dialled leg's Hangup cause) and ``CallEnded``
(answered or not; a call that never reached the customer ends ``failed`` and its ``OriginateFailed``
gives the reason).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns.claims import Claim, anything_due, claim_due, dialled, record_outcome, release
from cti.campaigns.models import Campaign
from cti.campaigns.policy import FAILED, NO_ANSWER, UNKNOWN, outcome_of_cause
from cti.events import CallEnded, Disposition, OriginateFailed
from cti.tickets.calendar import HolidaySource

log = logging.getLogger(__name__)
SENT, REFUSED, NOT_SENT = "sent", "refused", "not_sent"
ACTION_PREFIX = "cti-"  # the ActionIDs of campaign attempts (claims.py): other Originates are not ours
DIAL_SECONDS = 1.0  # how often the scheduler looks for due contacts


@dataclass(frozen=True, slots=True)
class DialRequest:
    action_id: str
    channel: str  # the customer's leg, e.g. PJSIP/+8613800138000@carrier
    context: str  # dialplans/hotline.conf
    caller_id: str
    variables: dict[str, str] = field(default_factory=dict)


Place = Callable[[DialRequest], Awaitable[str]]


def _plans(session: Session, campaign_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    rows = session.execute(select(Campaign.id, Campaign.dial, Campaign.context, Campaign.caller_id)
                           .where(Campaign.id.in_(campaign_ids)))
    return {r.id: (r.dial, r.context, r.caller_id) for r in rows}


def request_for(claim: Claim, plan: tuple[str, str, str]) -> DialRequest:
    dial, context, caller_id = plan
    return DialRequest(claim.action_id, dial.replace("{number}", claim.e164), context, caller_id,
                       {"CTI_CAMPAIGN": str(claim.campaign_id), "CTI_CONTACT": str(claim.contact_id)})


class Dialer:
    def __init__(self, db: Any, place: Place, *, zone: str, holidays: HolidaySource | None,
                 clock: Callable[[], dt.datetime], limit: int = 50) -> None:
        self._db = db
        self._place = place
        self._zone = zone
        self._holidays = holidays
        self._clock = clock
        self._limit = limit
        self.placed = 0
        self.outcomes = 0

    async def tick(self) -> int:
        """Claim what is due now and place each claim once; returns how many were claimed."""
        now = self._clock()
        if not await self._db.read(anything_due, now):  # most seconds: one indexed read, no write transaction
            return 0
        claims = await self._db.write(claim_due, now, holidays=self._holidays, default_zone=self._zone,
                                      limit=self._limit)
        if not claims:
            return 0
        plans = await self._db.read(_plans, {c.campaign_id for c in claims})
        sent: list[int] = []
        for claim in claims:
            result = await self._place(request_for(claim, plans[claim.campaign_id]))
            if result == SENT:
                sent.append(claim.attempt_id)
            elif result == NOT_SENT:
                await self._db.write(release, claim.action_id, self._clock())
            else:
                await self.land(claim.action_id, FAILED if result == REFUSED else UNKNOWN)
        await self._db.write(dialled, sent, self._clock())
        self.placed += len(sent)
        return len(claims)

    async def handle_batch(self, events: Sequence[object]) -> None:
        """Bus subscriber: the outcome of each of our attempts, from the tracker's events."""
        for event in events:
            kind = type(event)
            if kind is OriginateFailed and event.action_id.startswith(ACTION_PREFIX):
                await self.land(event.action_id, outcome_of_cause(event.cause), cause=event.cause)
            elif (kind is CallEnded and event.action_id.startswith(ACTION_PREFIX)
                  and event.disposition is not Disposition.FAILED):  # a failed one: its OriginateFailed says why
                answered = event.answered_at is not None
                await self.land(event.action_id, "answered" if answered else NO_ANSWER, call_id=event.call_id)

    async def land(self, action_id: str, outcome: str, **extra: Any) -> dict[str, Any] | None:
        """Record an attempt's outcome once (None when it had one already); the reconciler lands through here too."""
        moved = await self._db.write(record_outcome, action_id, outcome, self._clock(), holidays=self._holidays,
                                     default_zone=self._zone, **extra)
        if moved is not None:
            self.outcomes += 1
        return moved
