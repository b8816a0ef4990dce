"""Tickets: the after-sales work a call opens, its history, linked calls, notifications, SLA clocks,
escalations, and the policies and calendars the promises run on.

Every table here belongs to the tickets domain; other domains reach it through
:mod:`cti.tickets.queries` and :mod:`cti.tickets.service`, never by these models.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cti.store.base import Base, UTCDateTime, utcnow


class TicketCounter(Base):
    """The last ticket number given out on a local day (``T20261201-0001`` …)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD in CTI_TIMEZONE
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_open_customer", "customer_id", "is_open"),
        Index("ix_tickets_state_opened", "is_open", "opened_at"),
        # The list's common filters, each ending in the default order so a page is read, not sorted (0005).
        Index("ix_tickets_state_opened_at", "state", "opened_at"),
        Index("ix_tickets_type_priority_opened", "service_type", "priority", "opened_at"),
        Index("ix_tickets_priority_opened", "priority", "opened_at"),
        Index("ix_tickets_sla_open_opened", "sla_status", "is_open", "opened_at"),
        Index("ix_tickets_city_open_opened", "city", "is_open", "opened_at"),
        Index("ix_tickets_model_opened", "product_model", "opened_at"),
        Index("ix_tickets_open_due", "is_open", "due_at"),
        Index("ix_tickets_warranty_open_due", "warranty", "is_open", "due_at"),  # chargeable work, most urgent
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    product_model: Mapped[str] = mapped_column(String(100), default="")  # as it was at opening
    product_serial: Mapped[str] = mapped_column(String(100), default="")
    service_type: Mapped[str] = mapped_column(String(20))  # repair | installation | delivery | …
    service_mode: Mapped[str | None] = mapped_column(String(20))  # carry_in | on_site (repairs)
    workflow: Mapped[str] = mapped_column(String(20))  # carry_in | on_site | complaint | note_only
    state: Mapped[str] = mapped_column(String(30))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    description: Mapped[str] = mapped_column(Text, default="")
    warranty: Mapped[str] = mapped_column(String(10), default="none")  # in | out | none
    warranty_ends: Mapped[dt.date | None] = mapped_column(Date)
    claim_unit: Mapped[bool] = mapped_column(Boolean, default=False)  # 理赔机, marked by a supervisor
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    sla_status: Mapped[str] = mapped_column(String(10), default="ok")  # worst clock: ok|at_risk|breached
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the earliest due of its running promises
    city: Mapped[str] = mapped_column(String(100), default="")  # where the work is (the customer's)
    district: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("service_outlets.id", ondelete="SET NULL"), index=True)
    appointment_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    appointment_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stop_reason: Mapped[str] = mapped_column(String(300), default="")
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    external_ref: Mapped[str] = mapped_column(String(60), default="", index=True)  # the replaced system's number

    history: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )


class TicketEvent(Base):
    """One line of a ticket's history: opened, a state change, a note, an assignment, a linked call…"""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(30), default="")
    to_state: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="history")


class TicketSearch(Base):
    """The words of a ticket, prepared for full-text search (CJK as overlapping pairs; see search.py)."""

    __tablename__ = "ticket_search"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    terms: Mapped[str] = mapped_column(Text, default="")


class TicketCall(Base):
    """A call linked to a ticket (by the PBX's Linkedid, the call log's ``call_id``)."""

    __tablename__ = "ticket_calls"
    __table_args__ = (UniqueConstraint("ticket_id", "call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(10), default="in")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by: Mapped[str] = mapped_column(String(64), default="system")
    counts_as_repeat: Mapped[bool] = mapped_column(Boolean, default=True)  # an inbound call about this ticket


class TicketNotification(Base):
    """A customer notification the desk owes (修复通知, 到货通知 …): pending until marked done."""

    __tablename__ = "ticket_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending | done | cancelled
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(500), default="")


_UNFIRED_DUE = "breach_fired_at IS NULL AND due_at IS NOT NULL"
_UNFIRED_AT_RISK = "at_risk_fired_at IS NULL AND at_risk_at IS NOT NULL"
_LEVEL1_UNACKED = "level = 1 AND acknowledged_at IS NULL"


class SlaClock(Base):
    """One promise of a ticket. ``due_at``/``at_risk_at`` are projected when it runs (None when paused or
    stopped) so the tick finds what fell due with an index; ``*_fired_at`` say it was announced, once.

    The two indexes are partial: only the running clocks not announced yet. The tick's range scans
    then cost what fell due, however many promises are broken and announced but still running, and
    the stopped clocks of closed tickets are not indexed at all."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind"),
        Index("ix_sla_clocks_due_unfired", "due_at", sqlite_where=text(_UNFIRED_DUE),
              postgresql_where=text(_UNFIRED_DUE)),
        Index("ix_sla_clocks_at_risk_unfired", "at_risk_at", sqlite_where=text(_UNFIRED_AT_RISK),
              postgresql_where=text(_UNFIRED_AT_RISK)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # first_contact | on_site | resolution
    calendar: Mapped[str] = mapped_column(String(40), default="business")
    budget_seconds: Mapped[float] = mapped_column(Float)
    used_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    running_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    at_risk_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    at_risk_fired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    breach_fired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Escalation(Base):
    """A complaint raised to level 1 (supervisors) or 2 (managers): at most once per level."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("ticket_id", "level"),
        # the level-1 escalations not acknowledged: where the tick looks for acknowledgement timeouts
        Index("ix_escalations_level1_unacked", "raised_at", sqlite_where=text(_LEVEL1_UNACKED),
              postgresql_where=text(_LEVEL1_UNACKED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(30))
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    breaches: Mapped[int] = mapped_column(Integer, default=0)  # breaches counted when raised
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str] = mapped_column(String(64), default="")


class SlaPolicy(Base):
    """The promises for a service type and priority (``*`` matches any); the most specific row wins."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("service_type", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_type: Mapped[str] = mapped_column(String(20), default="*")
    priority: Mapped[str] = mapped_column(String(10), default="*")
    first_contact_hours: Mapped[float | None] = mapped_column(Float)
    on_site_hours: Mapped[float | None] = mapped_column(Float)
    resolution_hours: Mapped[float | None] = mapped_column(Float)
    at_risk_ratio: Mapped[float] = mapped_column(Float, default=0.8)
    pause_while_waiting: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar: Mapped[str] = mapped_column(String(40), default="business")


class BusinessCalendarRow(Base):
    """A named calendar: working hours per weekday (JSON), China's holidays or not, or 24×7."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    china_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    hours: Mapped[dict] = mapped_column(JSON, default=dict)  # {"0": [["09:00", "18:00"]], …}; Monday = "0"


class CalendarDay(Base):
    """A local exception to a calendar: an extra day off (``working`` false) or an extra working day."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


class QueueTicketRule(Base):
    """A queue whose answered calls open a ticket automatically when the customer has none open."""

    __tablename__ = "queue_ticket_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(80), unique=True)
    service_type: Mapped[str] = mapped_column(String(20), default="enquiry")
    service_mode: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(Base):
    """An outgoing webhook message (an escalation): retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(300), default="")
