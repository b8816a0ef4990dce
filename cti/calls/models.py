"""The call log: one row per call (keyed by the PBX Linkedid) and one row per agent rung."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cti.store.base import Base, UTCDateTime


_ORIGINATED = "action_id <> ''"


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (  # campaign attempts are reconciled by their ActionID (only originated calls have one)
        Index("ix_calls_action_id", "action_id", sqlite_where=text(_ORIGINATED), postgresql_where=text(_ORIGINATED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)  # Asterisk Linkedid
    direction: Mapped[str] = mapped_column(String(10))
    caller_raw: Mapped[str] = mapped_column(String(80), default="")
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    caller_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    dnis: Mapped[str] = mapped_column(String(40), default="")
    queue: Mapped[str] = mapped_column(String(80), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    offered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    disposition: Mapped[str | None] = mapped_column(String(20), index=True)  # None while in progress
    answered_by: Mapped[str] = mapped_column(String(120), default="", index=True)  # PBX interface
    last_agent: Mapped[str] = mapped_column(String(120), default="")
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    action_id: Mapped[str] = mapped_column(String(120), default="")
    # Links carried for the next steps of the roadmap (tickets, campaigns); no FK until those tables exist.
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    campaign_attempt_id: Mapped[int | None] = mapped_column(Integer, index=True)

    legs: Mapped[list[CallAgentLeg]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallAgentLeg.rang_at"
    )


class CallAgentLeg(Base):
    """One agent's phone rung during a call, and how its ringing ended."""

    __tablename__ = "call_agent_legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    interface: Mapped[str] = mapped_column(String(120), index=True)
    member_name: Mapped[str] = mapped_column(String(120), default="")
    rang_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(24))
    ring_seconds: Mapped[float] = mapped_column(Float, default=0.0)

    call: Mapped[Call] = relationship(back_populates="legs")
