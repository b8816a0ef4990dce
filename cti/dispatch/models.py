"""Field service: outlets (服务网点), engineers, the regions they cover, and completion reports (完工单)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cti.store.base import Base, UTCDateTime, utcnow


class ServiceOutlet(Base):
    __tablename__ = "service_outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    city: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="SET NULL"), index=True)


class Engineer(Base):
    """A field engineer; ``user_id`` is their console login (role ``engineer``) for the work list."""

    __tablename__ = "engineers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("service_outlets.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceRegion(Base):
    """Who takes on-site work in a city or one of its districts (``district`` empty: the whole city)."""

    __tablename__ = "service_regions"
    __table_args__ = (UniqueConstraint("city", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100), default="")
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("service_outlets.id", ondelete="SET NULL"))


class CompletionReport(Base):
    """What an engineer did on site (完工单), waiting for a supervisor's review (审核)."""

    __tablename__ = "completion_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"))
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # reports: faults
    work_done: Mapped[str] = mapped_column(Text, default="")
    labour_charge: Mapped[float] = mapped_column(Numeric(10, 2), default=0)
    parts_charge: Mapped[float] = mapped_column(Numeric(10, 2), default=0)
    review: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(String(500), default="")

    parts: Mapped[list[CompletionPart]] = relationship(cascade="all, delete-orphan", order_by="CompletionPart.id")


class CompletionPart(Base):
    __tablename__ = "completion_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("completion_reports.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[float] = mapped_column(Numeric(10, 2), default=0)
