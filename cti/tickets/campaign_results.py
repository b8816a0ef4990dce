"""What the campaigns' calls mean for tickets (a bus subscriber of the tickets domain).

* An automatic notification call's attempt is counted on the ticket's notification item, which is
  done once the customer heard the message (:class:`~cti.events.NotificationCallEnded`).
* A campaign's call about a ticket (a callback, a click-to-dial) is linked to it once the customer's line
  was dialled (:class:`~cti.events.CampaignCallPlaced`), not as a repeat call.
* A satisfaction rating of 1 or 2 opens a complaint about the rated ticket (:class:`~cti.events.SurveyRated`),
  at high priority, under the complaint's promises and escalation rules like any other; once per
  rating (its ``external_ref`` is the rating's).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.events import CampaignCallPlaced, NotificationCallEnded, SurveyRated
from cti.logs import clean
from cti.store import Database
from cti.tickets.desk import TicketDesk
from cti.tickets.models import Ticket
from cti.tickets.service import Actor, NewTicket, TicketError

log = logging.getLogger(__name__)
CAMPAIGNS = Actor("campaigns", "agent")  # who the history names for these changes
UNHAPPY = 2


def complaint_ref(rating_id: int) -> str:
    return f"survey-rating:{rating_id}"


def complaint_for(session: Session, rated: SurveyRated) -> NewTicket | None:
    """The complaint a low rating opens; None when it exists already or there is no customer."""
    if rated.customer_id is None:
        return None
    if session.scalar(select(Ticket.id).where(Ticket.external_ref == complaint_ref(rated.rating_id))) is not None:
        return None
    rated_ticket = session.get(Ticket, rated.ticket_id) if rated.ticket_id is not None else None
    about = f" {rated_ticket.number}" if rated_ticket is not None else ""
    description = (f"回访评分 {rated.rating}/5：客户对服务单{about}不满意，请联系客户。\n"
                   f"Satisfaction follow-up rated {rated.rating}/5 for ticket{about}: call the customer back.")
    return NewTicket(customer_id=rated.customer_id, service_type="complaint", priority="high",
                     product_id=rated_ticket.product_id if rated_ticket is not None else None,
                     description=description, external_ref=complaint_ref(rated.rating_id),
                     extra={"survey_rating": rated.rating, "rated_ticket": rated.ticket_id})


class CampaignResults:
    def __init__(self, db: Database, desk: TicketDesk) -> None:
        self._db = db
        self._desk = desk
        self.complaints = 0

    async def handle_batch(self, events: Sequence[object]) -> None:
        for event in events:
            kind = type(event)
            if kind is NotificationCallEnded:
                await self._notification(event)
            elif kind is SurveyRated and event.rating <= UNHAPPY:
                await self._complaint(event)
            elif kind is CampaignCallPlaced:
                await self._link(event)

    async def _link(self, placed: CampaignCallPlaced) -> None:
        actor = Actor(placed.by, "agent") if placed.by else CAMPAIGNS
        try:
            await self._desk.link_call(placed.ticket_id, placed.call_id, actor, repeat=False)
        except TicketError as exc:  # the ticket is gone
            log.info("tickets: call %s not linked to ticket %s (%s)", clean(placed.call_id), placed.ticket_id, exc)

    async def _notification(self, ended: NotificationCallEnded) -> None:
        note = f"自动通知电话 / automatic call #{ended.attempt}: {ended.outcome}"
        try:
            await self._desk.notification_attempt(ended.notification_id, CAMPAIGNS, done=ended.heard, note=note)
        except TicketError as exc:  # marked done by hand meanwhile, or deleted with its ticket
            log.info("tickets: notification %s not counted (%s)", ended.notification_id, exc)

    async def _complaint(self, rated: SurveyRated) -> None:
        new = await self._db.read(complaint_for, rated)
        if new is None:
            return
        ticket_id, number = await self._desk.open(new, CAMPAIGNS)
        self.complaints += 1
        log.info("tickets: rating %s/5 opened complaint %s (#%s)", rated.rating, number, ticket_id)
