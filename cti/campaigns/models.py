"""Campaigns: who the service calls, each attempt, and who must never be called.

The tables are the truth (DESIGN.md, "Scheduling"): a contact is due when its ``next_at`` passed
and it is ``pending``; an attempt is a row *claimed* in a transaction before anything is dialled
(``claims.py``), named by a unique ``action_id`` that the Originate carries, so its outcome lands
on it once. Other domains reach these tables through :mod:`cti.campaigns.claims`, never directly.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from cti.store.base import Base, UTCDateTime, utcnow

KINDS = ("callback", "survey", "notification", "list")
STATES = ("draft", "running", "paused", "finished")
CONTACT_STATES = ("pending", "dialling", "done", "exhausted", "unknown", "do_not_call", "cancelled", "assigned")
FEEDS = ("", "abandoned", "scheduled", "resolved", "notifications")  # what fills a campaign by itself
# where a contact came from; "dial": an agent's click-to-dial
SOURCES = ("abandoned", "agent", "dial", "resolved", "notification", "import", "manual")
# The lines a campaign is using: its concurrency is counted from these. ``reported``: an IVR reported the
# outcome (a rating, a notice heard) but the call goes on (the goodbye prompt, a transfer to an agent).
BUSY_ATTEMPTS = ("claimed", "dialled", "reported")
_PENDING = "state = 'pending'"
_BUSY = "state IN ('claimed', 'dialled', 'reported')"
# The same conditions written out for queries: a planner uses a partial index only when the query's own
# condition implies the index's, which a bound parameter never does (SQLite then reads the whole table).
IS_PENDING = text("campaign_contacts.state = 'pending'")
IS_BUSY = text("campaign_attempts.state IN ('claimed', 'dialled', 'reported')")


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # callback | survey | notification | list
    state: Mapped[str] = mapped_column(String(12), default="draft")  # draft → running ⇄ paused → finished
    mode: Mapped[str] = mapped_column(String(12), default="progressive")  # progressive | preview
    dial: Mapped[str] = mapped_column(String(120), default="PJSIP/{number}@carrier")  # the customer's leg
    context: Mapped[str] = mapped_column(String(80), default="callback")  # dialplans/hotline.conf context
    caller_id: Mapped[str] = mapped_column(String(80), default="")
    queue: Mapped[str] = mapped_column(String(80), default="")
    window: Mapped[dict] = mapped_column(JSON, default=dict)  # {"0": [["09:00", "20:00"]], …} weekday → intervals
    allow_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=5)
    per_minute: Mapped[float] = mapped_column(Float, default=30.0)
    retry: Mapped[dict] = mapped_column(JSON, default=dict)  # {"busy": [600, 3], …} outcome → [seconds, attempts]
    feed: Mapped[str] = mapped_column(String(20), default="")  # one of FEEDS: the source adding contacts by itself
    rules: Mapped[dict] = mapped_column(JSON, default=dict)  # the feed's settings, e.g. {"delay_minutes": 120}
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_dial_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # pacing: the latest claim
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignContact(Base):
    """Someone a campaign calls: due at ``next_at`` while ``pending``."""

    __tablename__ = "campaign_contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "dedupe_key"),  # e.g. one abandoned-call callback per number per day
        Index("ix_campaign_contacts_due", "campaign_id", "next_at", "id", sqlite_where=text(_PENDING),
              postgresql_where=text(_PENDING)),
        Index("ix_campaign_contacts_progress", "campaign_id", "state", "outcome"),  # the counts, read from the index
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # one of SOURCES
    reason: Mapped[str] = mapped_column(String(500), default="")  # shown on the pop of a callback
    origin_call_id: Mapped[str] = mapped_column(String(64), default="")  # the call it came from (abandoned, pop)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # owner-only until then, anyone's after
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_notifications.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    outcome: Mapped[str] = mapped_column(String(20), default="")  # of the latest attempt
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignAttempt(Base):
    """One dial of a contact: claimed before the Originate, its outcome recorded once."""

    __tablename__ = "campaign_attempts"
    __table_args__ = (
        UniqueConstraint("contact_id", "number"),  # the n-th attempt of a contact exists once
        Index("ix_campaign_attempts_busy", "campaign_id", sqlite_where=text(_BUSY), postgresql_where=text(_BUSY)),
        Index("ix_campaign_attempts_claimed", "campaign_id", "claimed_at"),  # attempts today, the attempts export
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("campaign_contacts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first attempt
    action_id: Mapped[str] = mapped_column(String(40), unique=True)  # the Originate's ActionID and channel variable
    state: Mapped[str] = mapped_column(String(12), default="claimed")  # claimed → dialled (→ reported) → ended | unknown
    outcome: Mapped[str] = mapped_column(String(20), default="")
    cause: Mapped[int | None] = mapped_column(Integer)
    call_id: Mapped[str] = mapped_column(String(64), default="")
    claimed_by: Mapped[str] = mapped_column(String(64), default="")  # host:pid of the process that claimed it
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    dialled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DoNotCall(Base):
    """A number nobody may call (entered, imported, or keyed 9 in a survey); checked at every dial."""

    __tablename__ = "do_not_call"

    e164: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(12), default="manual")  # manual | import | survey
    note: Mapped[str] = mapped_column(String(200), default="")
    added_by: Mapped[str] = mapped_column(String(64), default="")
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # the list, newest first


class SurveyRating(Base):
    """A satisfaction rating (回访), stored once per contact and linked to what it rates."""

    __tablename__ = "survey_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("campaign_contacts.id", ondelete="CASCADE"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[str] = mapped_column(String(40), default="")  # the attempt it was keyed in ("" by a form)
    rating: Mapped[int] = mapped_column(Integer)  # 1 (very unhappy) … 5 (very happy)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    agent: Mapped[str] = mapped_column(String(64), default="", index=True)  # who resolved the ticket
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"), index=True)
    product_model: Mapped[str] = mapped_column(String(100), default="", index=True)
    service_type: Mapped[str] = mapped_column(String(20), default="")
    channel: Mapped[str] = mapped_column(String(8), default="ivr")  # ivr | form (an agent's manual call)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    keyed_by: Mapped[str] = mapped_column(String(64), default="")  # the agent who filled the form
    keyed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CampaignImport(Base):
    """A CSV file of contacts being imported into a campaign, or imported: how far it got and what each
    refused row was (the console's progress bar and report; ``cti campaigns import`` writes one too)."""

    __tablename__ = "campaign_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(12), default="running")  # running | done | failed
    total: Mapped[int] = mapped_column(Integer, default=0)  # data lines in the file (the progress bar's end)
    done: Mapped[int] = mapped_column(Integer, default=0)  # records read and stored so far
    added: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)  # already in the campaign, or twice in the file
    do_not_call: Mapped[int] = mapped_column(Integer, default=0)  # on the do-not-call list: not added
    invalid: Mapped[int] = mapped_column(Integer, default=0)  # refused rows
    encoding: Mapped[str] = mapped_column(String(20), default="")
    report: Mapped[list] = mapped_column(JSON, default=list)  # [[line, column, code, value], …], the first 1,000
    error: Mapped[str] = mapped_column(String(300), default="")  # why a failed import stopped
    created_by: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
