"""The dialer: a job of the service's scheduler that claims what is due and places each claim once,
and a bus subscriber that lands each attempt's outcome.

Placing a call goes through ``place`` (:data:`Place`), which the composition root builds over the
PBX gateway and which answers what became of the Originate: ``sent`` (the PBX took it), ``refused``
(the PBX or our own checks refused it: nothing rang), ``not_sent`` (no PBX connection: the contact
is released, due again shortly) or ``unknown`` (the connection was lost with the Originate on the
wire: it may ring, so the attempt is ``unknown`` for a person, never dialled again by itself).

Outcomes come from the tracker's events that carry the attempt's ActionID (the Originate sets it
as a channel variable, ``OriginateResponse`` names it): ``OriginateFailed`` (the dialled leg's Hangup
cause), ``CallEnded`` (answered or not; a call that never reached the customer ends ``failed`` and its
``OriginateFailed`` gives the reason), and the IVRs' reports, which come first: ``SurveyKeyed`` (a
rating, 9 for do-not-call, or nothing: :mod:`cti.campaigns.surveys`), ``NotificationKeyed`` (the
message was heard) and ``CustomerDialled`` (a preview call's customer leg). An outcome lands once; an
IVR's report leaves the attempt ``reported``, holding its line until ``CallEnded`` (the goodbye still
plays, or the customer waits for an agent).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns import callbacks, surveys
from cti.campaigns.claims import Claim, anything_due, claim_due, dialled, free_line, record_outcome, release
from cti.campaigns.models import Campaign, CampaignContact
from cti.campaigns.policy import ANSWERED, BUSY, CONGESTION, FAILED, NO_ANSWER, UNKNOWN, outcome_of_cause
from cti.events import (
    CallEnded,
    CampaignCallPlaced,
    CustomerDialled,
    Disposition,
    NotificationCallEnded,
    NotificationKeyed,
    OriginateFailed,
    SurveyKeyed,
)
from cti.users.models import User
from cti.tickets.calendar import HolidaySource

log = logging.getLogger(__name__)
SENT, REFUSED, NOT_SENT = "sent", "refused", "not_sent"
PREVIEW_CONTEXT = "hotline-dial"  # dialplans/hotline.conf: the agent's phone first, then Dial the customer
_DIAL_STATUS = {"ANSWER": ANSWERED, "BUSY": BUSY, "NOANSWER": NO_ANSWER, "CONGESTION": CONGESTION,
                "CHANUNAVAIL": FAILED, "CANCEL": FAILED, "DONTCALL": FAILED, "TORTURE": FAILED, "INVALIDARGS": FAILED}
ACTION_PREFIX = "cti-"  # the ActionIDs of campaign attempts (claims.py): other Originates are not ours
DIAL_SECONDS = 1.0  # how often the scheduler looks for due contacts


@dataclass(frozen=True, slots=True)
class DialRequest:
    action_id: str
    channel: str  # the customer's leg, e.g. PJSIP/+8613800138000@carrier (preview: the agent's phone)
    context: str  # dialplans/hotline.conf
    caller_id: str
    variables: dict[str, str] = field(default_factory=dict)
    exten: str = "s"  # preview: the customer's number (context hotline-dial)


Place = Callable[[DialRequest], Awaitable[str]]
Publish = Callable[[list[Any]], Awaitable[None]]


def dial_requests(session: Session, claims: Sequence[Claim], *, language: str,
                  agent_interface: str = "") -> dict[int, DialRequest]:
    """The Originate of each claim (attempt id → request), with what its context needs (see
    dialplans/hotline.conf): the customer, the call's language, the queue, the ticket, the notice, and
    the owning agent. ``agent_interface``: a preview call rings that phone first."""
    campaigns = {c.id: c for c in session.scalars(select(Campaign).where(
        Campaign.id.in_({c.campaign_id for c in claims})))}
    contacts = {c.id: c for c in session.scalars(select(CampaignContact).where(
        CampaignContact.id.in_([c.contact_id for c in claims])))}
    owners = dict(session.execute(select(User.id, User.interface).where(
        User.id.in_({c.owner_id for c in contacts.values() if c.owner_id}))).all())
    requests = {}
    for claim in claims:
        campaign, contact = campaigns[claim.campaign_id], contacts[claim.contact_id]
        data = contact.data or {}
        variables = {"CTI_CAMPAIGN": str(campaign.id), "CTI_CONTACT": str(contact.id),
                     "CTI_LANGUAGE": contact.language or language, "CB_NUMBER": contact.e164,
                     "CB_NAME": _variable_text(contact.name), "CTI_QUEUE": campaign.queue,
                     "CTI_TICKET": str(data.get("ticket", "")), "CTI_NOTICE": str(data.get("notice", "")),
                     "CTI_AGENT": owners.get(contact.owner_id, "") or ""}
        if agent_interface:
            requests[claim.attempt_id] = DialRequest(claim.action_id, agent_interface, PREVIEW_CONTEXT,
                                                     _shown_to_agent(contact), variables, exten=contact.e164)
        else:
            requests[claim.attempt_id] = DialRequest(claim.action_id, campaign.dial.replace("{number}", claim.e164),
                                                     campaign.context, campaign.caller_id, variables)
    return requests


def _variable_text(value: str) -> str:
    """A name as a channel variable: no separators the AMI or the dialplan would split on."""
    return "".join(ch for ch in value if ch.isprintable() and ch not in ",;|\"\\")[:60]


def _shown_to_agent(contact: CampaignContact) -> str:
    """The caller ID the agent's phone shows for a preview call: the customer."""
    name = _variable_text(contact.name).replace("<", "").replace(">", "")
    return f'"{name}" <{contact.e164}>' if name else contact.e164


def outcome_of_dial_status(status: str) -> str:
    """A preview call's customer leg (the dialplan's DIALSTATUS) as a campaign outcome.

    >>> outcome_of_dial_status("BUSY"), outcome_of_dial_status("ANSWER"), outcome_of_dial_status("")
    ('busy', 'answered', 'failed')
    """
    return _DIAL_STATUS.get(status, FAILED)


class Dialer:
    def __init__(self, db: Any, place: Place, *, zone: str, holidays: HolidaySource | None,
                 clock: Callable[[], dt.datetime], limit: int = 50, language: str = "zh",
                 publish: Publish | None = None) -> None:
        self._db = db
        self._place = place
        self._language = language
        self._publish = publish
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
                                      limit=self._limit, clock=self._clock)
        if claims:
            await self._place_claims(claims)
        return len(claims)

    async def call_now(self, contact_id: int, agent: callbacks.Agent) -> str:
        """An agent calls a callback now from their list: claimed (``CallbackError`` says why not), then
        their phone rings first and the customer is dialled once they answer. What became of the
        Originate (``sent``, ``refused``, ``not_sent``: released, ``unknown``)."""
        claim = await self._db.write(callbacks.claim_contact, contact_id, agent, self._clock(),
                                     holidays=self._holidays, default_zone=self._zone)
        return (await self._place_claims([claim], agent_interface=agent.interface or ""))[0]

    async def dial_now(self, agent: callbacks.Agent, e164: str | None, **about: Any) -> str:
        """Click-to-dial: the agent's phone rings first, then the customer is dialled with the hotline's
        caller ID (``hotline-dial``); ``about``: name, customer_id, ticket_id, call_id (``CallbackError``
        says why not). What became of the Originate, as :meth:`call_now`."""
        claim = await self._db.write(callbacks.dial, agent, e164=e164, now=self._clock(), holidays=self._holidays,
                                     default_zone=self._zone, language=self._language, **about)
        return (await self._place_claims([claim], agent_interface=agent.interface or ""))[0]

    async def _place_claims(self, claims: list[Claim], *, agent_interface: str = "") -> list[str]:
        """Place each claim once: sent ones are marked dialled; never sent: released; refused: failed;
        unknown (the connection went with the Originate on the wire): left for a person."""
        requests = await self._db.read(dial_requests, claims, language=self._language, agent_interface=agent_interface)
        sent: list[int] = []
        results = []
        for claim in claims:
            result = await self._place(requests[claim.attempt_id])
            results.append(result)
            if result == SENT:
                sent.append(claim.attempt_id)
            elif result == NOT_SENT:
                await self._db.write(release, claim.action_id, self._clock())
            else:
                await self.land(claim.action_id, FAILED if result == REFUSED else UNKNOWN)
        await self._db.write(dialled, sent, self._clock())
        self.placed += len(sent)
        return results

    async def handle_batch(self, events: Sequence[object]) -> None:
        """Bus subscriber: the outcome of each of our attempts, from the tracker's events, in their order
        (an IVR's report comes before its call's end, and lands first)."""
        for event in events:
            kind = type(event)
            if not getattr(event, "action_id", "").startswith(ACTION_PREFIX):
                continue
            if kind is OriginateFailed:
                await self.land(event.action_id, outcome_of_cause(event.cause), cause=event.cause)
            elif kind is CallEnded and event.disposition is Disposition.FAILED:
                # OriginateFailed (which follows) says why; an outcome an IVR or the agent's dial reported
                # during the call (a busy customer of a click-to-dial) has its line given back here
                await self._db.write(free_line, event.action_id, self._clock())
            elif kind is CallEnded:
                answered = event.answered_at is not None
                await self.land(event.action_id, ANSWERED if answered else NO_ANSWER, call_id=event.call_id)
            elif kind is SurveyKeyed:
                moved, news = await self._db.write(surveys.keyed, event.action_id, event.key, self._clock(),
                                                   holidays=self._holidays, default_zone=self._zone)
                await self._landed(moved, news)
            elif kind is NotificationKeyed:  # the message played: the customer was told, a key or not
                await self.land(event.action_id, ANSWERED, call_id=event.call_id, call_over=False)
            elif kind is CustomerDialled:
                await self.land(event.action_id, outcome_of_dial_status(event.dial_status), call_id=event.call_id,
                                call_over=False)

    async def land(self, action_id: str, outcome: str, **extra: Any) -> dict[str, Any] | None:
        """Record an attempt's outcome once (None when it had one already); the reconciler lands through here too."""
        moved = await self._db.write(record_outcome, action_id, outcome, self._clock(), holidays=self._holidays,
                                     default_zone=self._zone, **extra)
        await self._landed(moved, [])
        return moved

    async def _landed(self, moved: dict[str, Any] | None, events: list[Any]) -> None:
        """After an outcome's commit: counted, and what other domains hear of it published."""
        if moved is not None:
            self.outcomes += 1
            if moved.get("notification_id") is not None:
                events.append(NotificationCallEnded(self._clock().timestamp(), moved["notification_id"],
                                                    moved["attempt"], moved["outcome"], moved["outcome"] == ANSWERED,
                                                    moved["state"] != "pending"))
            if moved.get("ticket_id") is not None and moved.get("call_id"):  # the call joins its ticket
                events.append(CampaignCallPlaced(self._clock().timestamp(), moved["call_id"], moved["ticket_id"],
                                                 moved.get("by", "")))
        if events and self._publish is not None:
            await self._publish(events)
