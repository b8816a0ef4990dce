"""The reports' daily aggregates: one row per local day and queue, agent or product model, and region.

They are derived data: ``cti reports rebuild`` (and the service's job, for yesterday and today) deletes a
day's rows and inserts them again in one transaction (``reports_build.py``), so a rebuild can be run any
number of times. A report sums the rows of its period; the figures come from the sums
(``report_figures.py``). ``city`` is the region: the customer's city ("" for an unknown caller).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cti.store.base import Base


class _CallCounts:
    """What a set of calls adds up to: enough to compute every figure of docs/METRICS.md for any period."""

    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)  # counted abandons (not the short ones)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    answered_in_time: Mapped[int] = mapped_column(Integer, default=0)  # within the service-level threshold
    wait_answered: Mapped[float] = mapped_column(Float, default=0.0)  # seconds, the answered calls' total wait
    handle_time: Mapped[float] = mapped_column(Float, default=0.0)  # seconds, talk + after-call work


class ReportQueueDay(_CallCounts, Base):
    __tablename__ = "report_queue_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    city: Mapped[str] = mapped_column(String(100), primary_key=True)


class ReportAgentDay(_CallCounts, Base):
    """An agent's calls: those they answered, and the unanswered ones whose last phone rung was theirs."""

    __tablename__ = "report_agent_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    agent: Mapped[str] = mapped_column(String(120), primary_key=True)  # the PBX interface
    city: Mapped[str] = mapped_column(String(100), primary_key=True)


class ReportPromiseDay(Base):
    """The SLA clocks of the tickets opened on a day, counted by what became of them when the day was last
    rebuilt (``kept``, ``broken``, ``pending``: ``reports_tickets.promise_case``). Reports read these rows
    only for the days before the last ``LIVE_DAYS`` (``reports_tickets.py``), where promises have settled;
    ``engineer_id`` and ``outlet_id`` are 0 for none."""

    __tablename__ = "report_promise_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    service_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # first_contact | on_site | resolution
    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    engineer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    outcome: Mapped[str] = mapped_column(String(10), primary_key=True)
    clocks: Mapped[int] = mapped_column(Integer, default=0)


class ReportModelDay(Base):
    """The tickets opened on a day for a product model (as the ticket recorded it at opening)."""

    __tablename__ = "report_model_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    repairs: Mapped[int] = mapped_column(Integer, default=0)
