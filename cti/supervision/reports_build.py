"""Filling the reports' daily aggregates (``reports_models.py``) from the call log and the tickets.

:func:`rebuild_day` is one unit of work (``Database.write``): it deletes the day's rows of the three
tables and inserts them again from the day's calls (offered that local day) and tickets (opened that
local day), so running it twice leaves the same rows. :func:`rebuild` does a range of days, one
transaction each (``cti reports rebuild --from --to``); :class:`ReportsJob` is the service's job that
keeps yesterday and today current (a call offered before midnight may end after it, so yesterday's
figures still change in the first minutes of a day; a rebuild costs one indexed read of a day's rows),
and rebuilds the day whose tickets' promises have just left the live window (``reports_tickets.LIVE_DAYS``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cti.calls.models import Call
from cti.customers.models import Customer
from cti.store import Database, utcnow
from cti.supervision.metrics import QueueCall, Thresholds
from cti.supervision.report_figures import TOTAL_FIELDS, call_totals
from cti.supervision.reports_models import ReportAgentDay, ReportModelDay, ReportPromiseDay, ReportQueueDay
from cti.supervision.reports_tickets import LIVE_DAYS, PROMISE_KEYS, promise_counts
from cti.tickets.models import Ticket

JOB_SECONDS = 300  # how often the service refreshes yesterday's and today's rows
INSERT_CHUNK = 500


def rebuild_day(session: Session, day: dt.date, zone: dt.tzinfo, now: dt.datetime,
                thresholds: Thresholds = Thresholds()) -> int:
    """Replace one local day's aggregate rows (see the module's docstring); the number of rows written.
    ``now``: the moment the day's SLA promises are judged at (``reports_tickets.promise_case``)."""
    start = dt.datetime.combine(day, dt.time(), zone)
    end = start + dt.timedelta(days=1)
    for table in (ReportQueueDay, ReportAgentDay, ReportModelDay, ReportPromiseDay):
        session.execute(delete(table).where(table.day == day))
    calls = _calls(session, start, end)
    rows = _insert(session, ReportQueueDay, day, "queue", _call_groups(calls, _queue_key), thresholds)
    rows += _insert(session, ReportAgentDay, day, "agent", _call_groups(calls, _agent_key), thresholds)
    rows += _insert_models(session, day, start, end)
    promised = [dict(zip((*PROMISE_KEYS, "clocks"), row, strict=True), day=day)
                for row in promise_counts(session, start, end, now)]
    _bulk(session, ReportPromiseDay, promised)
    return rows + len(promised)


def _calls(session: Session, start: dt.datetime, end: dt.datetime) -> list[tuple[QueueCall, str]]:
    """The inbound calls offered in [start, end), with the region (the customer's city) of each."""
    stmt = (select(Call.offered_at, Call.queue, Call.disposition, Call.wait_seconds, Call.talk_seconds,
                   Call.answered_by, Call.last_agent, func.coalesce(Customer.city, ""))
            .outerjoin(Customer, Customer.id == Call.customer_id)
            .where(Call.offered_at >= start, Call.offered_at < end, Call.direction == "inbound"))
    return [(QueueCall(offered_at=at, queue=queue, disposition=disp, wait=wait, talk=talk,
                       agent=answered_by or last_agent), city)
            for at, queue, disp, wait, talk, answered_by, last_agent, city in session.execute(stmt)]


def _queue_key(call: QueueCall) -> str:
    return call.queue


def _agent_key(call: QueueCall) -> str:
    """An agent's call: one they answered, or one left unanswered after their phone was the last to ring."""
    return call.agent


def _call_groups(calls: Iterable[tuple[QueueCall, str]],
                 key: Callable[[QueueCall], str]) -> dict[tuple[str, str], list[QueueCall]]:
    groups: dict[tuple[str, str], list[QueueCall]] = defaultdict(list)
    for call, city in calls:
        name = key(call)
        if name:
            groups[(name, city[:100])].append(call)
    return groups


def _insert(session: Session, table: Any, day: dt.date, column: str,
            groups: dict[tuple[str, str], list[QueueCall]], thresholds: Thresholds) -> int:
    rows = []
    for (name, city), calls in groups.items():
        totals = call_totals(calls, thresholds)
        rows.append({"day": day, column: name, "city": city, **{f: getattr(totals, f) for f in TOTAL_FIELDS}})
    _bulk(session, table, rows)
    return len(rows)


def _insert_models(session: Session, day: dt.date, start: dt.datetime, end: dt.datetime) -> int:
    """Tickets opened on the day per (model, city): all, complaints, repairs (the service type)."""
    stmt = (select(Ticket.product_model, Ticket.city, Ticket.service_type, func.count())
            .where(Ticket.opened_at >= start, Ticket.opened_at < end, Ticket.product_model != "")
            .group_by(Ticket.product_model, Ticket.city, Ticket.service_type))
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"tickets": 0, "complaints": 0, "repairs": 0})
    for model, city, service_type, n in session.execute(stmt):
        row = counts[(model, city)]
        row["tickets"] += n
        if service_type == "complaint":
            row["complaints"] += n
        elif service_type == "repair":
            row["repairs"] += n
    _bulk(session, ReportModelDay, [{"day": day, "model": m, "city": c, **v} for (m, c), v in counts.items()])
    return len(counts)


def _bulk(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for n in range(0, len(rows), INSERT_CHUNK):
        session.execute(table.__table__.insert(), rows[n:n + INSERT_CHUNK])


async def rebuild(db: Database, first: dt.date, last: dt.date, zone: dt.tzinfo, *, now: dt.datetime | None = None,
                  progress: Callable[[dt.date, int], None] | None = None) -> int:
    """Rebuild every day from ``first`` to ``last`` (inclusive), one transaction a day; rows written."""
    total = 0
    day = first
    while day <= last:
        n = await db.write(rebuild_day, day, zone, now or utcnow())
        total += n
        if progress is not None:
            progress(day, n)
        day += dt.timedelta(days=1)
    return total


class ReportsJob:
    """The scheduler's job: yesterday's and today's aggregates rebuilt (see the module's docstring)."""

    def __init__(self, db: Database, zone: dt.tzinfo, clock: Callable[[], dt.datetime]) -> None:
        self._db, self._zone, self._clock = db, zone, clock

    async def run(self) -> None:
        """Rebuild yesterday, today, and the day that has just left the promises' live window (a failure is
        logged and counted by the scheduler; the next run retries)."""
        now = self._clock()
        today = now.astimezone(self._zone).date()
        await rebuild(self._db, today - dt.timedelta(days=1), today, self._zone, now=now)
        settled = today - dt.timedelta(days=LIVE_DAYS)
        await rebuild(self._db, settled, settled, self._zone, now=now)
