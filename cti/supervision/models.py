"""The supervisors' settings per queue: its name on the wallboard, where it sits in the organisation, and
what its figures are measured and coloured against (``cti/supervision/targets.py``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cti.store.base import Base, UTCDateTime, utcnow


class QueueSetting(Base):
    __tablename__ = "queue_settings"

    queue: Mapped[str] = mapped_column(String(80), primary_key=True)  # the PBX's queue name
    label: Mapped[str] = mapped_column(String(120), default="")  # shown beside it ("" : the name only)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="SET NULL"), index=True)
    service_level_seconds: Mapped[float] = mapped_column(Float, default=20.0)
    short_abandon_seconds: Mapped[float] = mapped_column(Float, default=5.0)
    service_level_amber: Mapped[float] = mapped_column(Float, default=0.80)
    service_level_red: Mapped[float] = mapped_column(Float, default=0.60)
    abandon_rate_amber: Mapped[float] = mapped_column(Float, default=0.05)
    abandon_rate_red: Mapped[float] = mapped_column(Float, default=0.10)
    longest_wait_amber: Mapped[float] = mapped_column(Float, default=30.0)
    longest_wait_red: Mapped[float] = mapped_column(Float, default=60.0)
    waiting_amber: Mapped[float] = mapped_column(Float, default=3)
    waiting_red: Mapped[float] = mapped_column(Float, default=6)
    asa_amber: Mapped[float] = mapped_column(Float, default=20.0)
    asa_red: Mapped[float] = mapped_column(Float, default=40.0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
