"""The callbacks' report: callbacks done within their promise, per source (an abandoned call's, one an
agent scheduled).

A callback belongs to the local day it was created. Its promise (``promised_at``): an abandoned call's
callback is promised within the campaign's ``promise_minutes`` (rules; default 120) of the abandon; one
an agent scheduled, by the time the agent gave the customer (``data["due"]``) plus the campaign's
``promise_minutes`` (default 30: the owner's window). Done is the contact's state ``done``, at its last
change (``updated_at``). The outcome is :func:`report_figures.callback_outcome`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns.models import Campaign, CampaignContact
from cti.customers.models import Customer
from cti.supervision.report_figures import Tally, callback_outcome
from cti.supervision.reports_common import ReportQuery

SOURCES = ("abandoned", "agent")
DEFAULT_PROMISE_MINUTES = {"abandoned": 120, "agent": 30}
ALL = "all"


def promised_at(source: str, created_at: dt.datetime, data: dict[str, Any] | None, promise_minutes: float) -> dt.datetime:
    """When a callback was promised by (see the module's docstring); an agent's without a recorded time
    (scheduled before the reports existed) is promised from its creation."""
    start = created_at
    due = (data or {}).get("due") if source == "agent" else None
    if isinstance(due, str):
        try:
            start = dt.datetime.fromisoformat(due)
        except ValueError:
            pass
    return start + dt.timedelta(minutes=promise_minutes)


def callback_rows(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """One row per source and one for all callbacks."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for source, state, created, changed, data, rules in _contacts(session, query):
        minutes = float((rules or {}).get("promise_minutes", DEFAULT_PROMISE_MINUTES[source]))
        outcome = callback_outcome(state=state, changed_at=changed, now=query.now,
                                   promised_at=promised_at(source, created, data, minutes))
        tallies[source].add(outcome)
        tallies[ALL].add(outcome)
    return [_row(source, tallies.get(source, Tally())) for source in (*SOURCES, ALL)]


def _row(source: str, tally: Tally) -> dict[str, Any]:
    return {"source": source, "callbacks": tally.decided + tally.pending + tally.left_out, "kept": tally.kept,
            "broken": tally.broken, "pending": tally.pending, "left_out": tally.left_out, "kept_share": tally.share}


def _contacts(session: Session, query: ReportQuery) -> Any:
    """The callbacks created in the period: read per callback campaign (``campaign_id = ?`` uses its index)."""
    start, end = query.bounds()
    campaigns = session.execute(select(Campaign.id, Campaign.rules).where(Campaign.kind == "callback")).all()
    for campaign_id, rules in campaigns:
        stmt = (select(CampaignContact.source, CampaignContact.state, CampaignContact.created_at,
                       CampaignContact.updated_at, CampaignContact.data)
                .where(CampaignContact.campaign_id == campaign_id, CampaignContact.source.in_(SOURCES),
                       CampaignContact.created_at >= start, CampaignContact.created_at < end))
        if query.region:
            stmt = stmt.join(Customer, Customer.id == CampaignContact.customer_id).where(Customer.city == query.region)
        for source, state, created, changed, data in session.execute(stmt):
            yield source, state, created, changed, data, rules
