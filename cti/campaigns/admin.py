"""What supervisors do to campaigns: units of work on a synchronous ``Session`` (run by ``Database.write``,
one transaction each, like the tickets domain's).

Each checks, writes, and adds an audit row naming who did it with the values before and after, so the
change and its record commit together; a refusal raises :class:`~cti.campaigns.forms.CampaignError`
before anything is written. The settings come checked from :mod:`cti.campaigns.forms`.

States: ``draft`` → ``running`` ⇄ ``paused`` → ``finished`` (stop). A finished campaign is final: its
pending contacts are cancelled in the same transaction; contacts on the line finish by themselves
(their outcome still lands, :func:`cti.campaigns.claims.record_outcome`). Settings change only in
``draft`` or ``paused``; the kind only in ``draft``. A change of state is a conditional update
(``… WHERE state = :from``), so two supervisors pressing at once change it once.

An ``unknown`` contact (the service lost track of whether its call went out: never dialled again by
itself) waits for a person: :func:`decide` marks it done or dials it again, now.

Other modules of the supervisors' side: :mod:`cti.campaigns.queries` (progress, contacts),
:mod:`cti.campaigns.dnc` (the do-not-call list), :mod:`cti.campaigns.contacts_import` (a CSV of
contacts), :mod:`cti.campaigns.export` (results and attempts as spreadsheets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cti.audit import record
from cti.campaigns.forms import CampaignError, CampaignValues
from cti.campaigns.models import Campaign, CampaignContact

EDITABLE = ("draft", "paused")
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {  # action: (the states it starts from, the state it leaves)
    "start": (("draft",), "running"),
    "pause": (("running",), "paused"),
    "resume": (("paused",), "running"),
    "stop": (("running", "paused"), "finished"),
}
DECISIONS = ("done", "redial")
SETTINGS = ("name", "kind", "mode", "caller_id", "dial", "context", "queue", "window", "allow_holidays",
            "max_concurrent", "per_minute", "retry", "starts_at", "ends_at")


def audit(session: Session, actor: str, entity: str, entity_id: object, action: str,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    record(session, actor=actor, entity=entity, entity_id=entity_id, action=action,  # type: ignore[arg-type]
           before=before, after=after)


def settings_of(campaign: Campaign) -> dict[str, Any]:
    """A campaign's settings as the audit row keeps them."""
    out = {name: getattr(campaign, name) for name in SETTINGS}
    out["starts_at"] = campaign.starts_at.isoformat() if campaign.starts_at else None
    out["ends_at"] = campaign.ends_at.isoformat() if campaign.ends_at else None
    return out


def get(session: Session, campaign_id: int, *, lock: bool = False) -> Campaign:
    """The campaign, or ``not_found``."""
    campaign = session.get(Campaign, campaign_id, with_for_update=lock)
    if campaign is None:
        raise CampaignError("not_found")
    return campaign


def _name_free(session: Session, name: str, campaign_id: int | None) -> None:
    taken = session.scalar(select(Campaign.id).where(func.lower(Campaign.name) == name.lower()))
    if taken is not None and taken != campaign_id:
        raise CampaignError("name_taken", "name")


def _flush(session: Session) -> None:
    """Flush; a name another transaction took meanwhile is refused like the check would have."""
    try:
        session.flush()
    except IntegrityError:
        raise CampaignError("name_taken", "name") from None


def create(session: Session, values: CampaignValues, *, actor: str, now: dt.datetime) -> int:
    """A new campaign, in ``draft``: nobody is called until it is started; its id."""
    _name_free(session, values.name, None)
    campaign = Campaign(state="draft", created_by=actor, created_at=now, updated_at=now,
                        **{name: getattr(values, name) for name in SETTINGS})
    session.add(campaign)
    _flush(session)
    audit(session, actor, "campaign", campaign.id, "create", None, settings_of(campaign))
    return campaign.id


def change_settings(session: Session, campaign_id: int, values: CampaignValues, *, actor: str, now: dt.datetime) -> bool:
    """New settings for a campaign in ``draft`` or ``paused`` (the kind only in ``draft``); whether any changed."""
    campaign = get(session, campaign_id, lock=True)
    if campaign.state not in EDITABLE:
        raise CampaignError("not_editable", state=campaign.state)
    if values.kind != campaign.kind and campaign.state != "draft":
        raise CampaignError("kind_fixed", "kind")
    _name_free(session, values.name, campaign.id)
    before = settings_of(campaign)
    for name in SETTINGS:
        setattr(campaign, name, getattr(values, name))
    after = settings_of(campaign)
    if after == before:
        return False
    campaign.updated_at = now
    _flush(session)
    changed = [k for k in SETTINGS if before[k] != after[k]]
    audit(session, actor, "campaign", campaign.id, "update", {k: before[k] for k in changed},
          {k: after[k] for k in changed})
    return True


@dataclass(frozen=True, slots=True)
class Transition:
    campaign_id: int
    action: str
    state: str  # the state it is in now
    cancelled: int = 0  # pending contacts cancelled by a stop


def transition(session: Session, campaign_id: int, action: str, *, actor: str, now: dt.datetime) -> Transition:
    """Start, pause, resume or stop a campaign; ``bad_transition`` when its state does not allow it (another
    supervisor may have done it a moment ago)."""
    if action not in ACTIONS:
        raise CampaignError("bad_action")
    sources, target = ACTIONS[action]
    campaign = get(session, campaign_id)
    if action == "start" and campaign.ends_at is not None and campaign.ends_at <= now:
        raise CampaignError("already_ended")
    moved = session.execute(
        update(Campaign).where(Campaign.id == campaign_id, Campaign.state.in_(sources))
        .values(state=target, updated_at=now).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        session.refresh(campaign)
        raise CampaignError("bad_transition", action=action, state=campaign.state)
    cancelled = 0
    if target == "finished":  # final: nobody waiting is called any more
        cancelled = session.execute(
            update(CampaignContact).where(CampaignContact.campaign_id == campaign_id, CampaignContact.state == "pending")
            .values(state="cancelled", next_at=None, updated_at=now).execution_options(synchronize_session=False)
        ).rowcount
    after: dict[str, Any] = {"state": target}
    if target == "finished":
        after["cancelled"] = cancelled
    audit(session, actor, "campaign", campaign_id, action, {"state": campaign.state}, after)
    return Transition(campaign_id, action, target, cancelled)


def decide(session: Session, campaign_id: int, contact_id: int, decision: str, *, actor: str,
           now: dt.datetime) -> str:
    """A person's decision on an ``unknown`` contact: ``done`` (the call went out, leave it) or ``redial``
    (due again now; the campaign must not be finished). ``not_unknown`` when someone decided already; the
    contact's new state."""
    if decision not in DECISIONS:
        raise CampaignError("bad_action")
    campaign = get(session, campaign_id)
    contact = session.get(CampaignContact, contact_id)
    if contact is None or contact.campaign_id != campaign_id:
        raise CampaignError("not_found")
    if decision == "redial" and campaign.state == "finished":
        raise CampaignError("finished")
    state, next_at = ("done", None) if decision == "done" else ("pending", now)
    moved = session.execute(
        update(CampaignContact).where(CampaignContact.id == contact_id, CampaignContact.state == "unknown")
        .values(state=state, next_at=next_at, updated_at=now).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise CampaignError("not_unknown")
    audit(session, actor, "campaign_contact", contact_id, f"decide_{decision}", {"state": "unknown"},
          {"state": state, "campaign_id": campaign_id})
    return state
