"""The SLA tick: promises falling due announced once, complaints escalated, the calendars' years checked.

Every ``CTI_SLA_TICK_SECONDS`` (a job of the service's :class:`~cti.scheduler.Scheduler`), one
transaction (:func:`fire_due`):

1. The running clocks whose ``due_at`` passed with no ``breach_fired_at``, and those whose
   ``at_risk_at`` passed with no ``at_risk_fired_at``: two indexed range queries, at most
   ``BATCH`` each, oldest first. Nothing else is read: a tick costs what fell due, not what is open.
2. Their tickets are locked in id order (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a ticket another
   process is working on now is left to the next tick, and two ticks never wait for each other;
   every writer of a ticket locks it before its clocks, so there is no lock-order deadlock).
3. Each clock is *claimed* by a conditional update (``… SET breach_fired_at = :now WHERE id = :id AND
   breach_fired_at IS NULL AND due_at <= :now``): a row count of 1 means this transaction announces
   it. An at-risk claim also needs the clock not past due: a clock read as at risk that has broken its
   promise since (another process's round in between) is announced once, as a breach. A restart loses nothing (the due times are in the table) and announces nothing twice (the
   fired times are too), and two processes on one database announce each promise once.
4. For each claimed alarm: the ticket's ``sla_status`` is raised (never lowered: the desk recounts it
   at every change), a history line and an audit row are written; a breach of a complaint's clock
   runs escalation; and the level-1 escalations left unacknowledged past their timeout go to level 2.

The events (:class:`~cti.events.SlaAlarm`, :class:`~cti.events.TicketChanged`,
:class:`~cti.events.TicketEscalated`) are published after the commit. A breach found already past
its at-risk point is announced as a breach only (its at-risk mark is set with it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cti.audit.models import AuditEntry
from cti.dispatch.models import Engineer
from cti.events import SlaAlarm, TicketChanged
from cti.tickets import escalations, webhook
from cti.tickets.clocks import SEVERITY
from cti.tickets.escalation import Rules
from cti.tickets.models import SlaClock, Ticket, TicketEvent

log = logging.getLogger(__name__)
BATCH = 500  # alarms of each kind one transaction takes at most; the rest follow at once, in further rounds
MAX_ROUNDS = 20  # a tick stops after this many full rounds (a backlog after a long stop) and goes on next time
AT_RISK, BREACHED = "at_risk", "breached"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A clock one of the range queries found, as it was read (before any lock)."""

    clock_id: int
    ticket_id: int
    kind: str
    alarm: str  # at_risk | breached
    due_at: dt.datetime | None


def alarm_of(due_at: dt.datetime | None, at_risk_at: dt.datetime | None, at_risk_fired: dt.datetime | None,
             breach_fired: dt.datetime | None, now: dt.datetime) -> str | None:
    """The alarm a clock owes at ``now``: ``breached`` before ``at_risk`` (a breach found late is announced
    as one), ``None`` when it owes none (paused or stopped clocks have no projected times).

    >>> t = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    >>> hour = dt.timedelta(hours=1)
    >>> alarm_of(t + hour, t - hour, None, None, t), alarm_of(t, t - hour, t, None, t), alarm_of(t, t, t, t, t)
    ('at_risk', 'breached', None)
    """
    if due_at is not None and due_at <= now and breach_fired is None:
        return BREACHED
    if at_risk_at is not None and at_risk_at <= now and at_risk_fired is None:
        return AT_RISK
    return None


def raised(current: str, alarm: str) -> str:
    """A ticket's ``sla_status`` after an alarm: the worse of the two (the tick never lowers it).

    >>> raised("ok", "at_risk"), raised("breached", "at_risk"), raised("at_risk", "breached")
    ('at_risk', 'breached', 'breached')
    """
    return alarm if SEVERITY.get(alarm, 0) > SEVERITY.get(current, 0) else current


def plan(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One alarm per clock (the breach when both were found), in clock id order: the order of the claims.

    >>> c = lambda i, alarm: Candidate(i, 1, "resolution", alarm, None)
    >>> [(x.clock_id, x.alarm) for x in plan([c(3, "at_risk"), c(2, "at_risk"), c(2, "breached")])]
    [(2, 'breached'), (3, 'at_risk')]
    """
    chosen: dict[int, Candidate] = {}
    for cand in candidates:
        if cand.clock_id not in chosen or cand.alarm == BREACHED:
            chosen[cand.clock_id] = cand
    return [chosen[k] for k in sorted(chosen)]


def candidates(session: Session, now: dt.datetime, limit: int = BATCH) -> list[Candidate]:
    """The clocks owing an alarm now: two range scans on the ``due_at`` and ``at_risk_at`` indexes."""
    found: list[Candidate] = []
    for alarm, at, fired in ((BREACHED, SlaClock.due_at, SlaClock.breach_fired_at),
                             (AT_RISK, SlaClock.at_risk_at, SlaClock.at_risk_fired_at)):
        rows = session.execute(
            select(SlaClock.id, SlaClock.ticket_id, SlaClock.kind, SlaClock.due_at)
            .where(at <= now, fired.is_(None)).order_by(at).limit(limit))
        found += [Candidate(r.id, r.ticket_id, r.kind, alarm, r.due_at) for r in rows]
    return found


def claim(session: Session, cand: Candidate, now: dt.datetime) -> bool:
    """Take the alarm if nobody has: True when this transaction's conditional update changed the row."""
    if cand.alarm == BREACHED:
        stmt = (update(SlaClock)
                .where(SlaClock.id == cand.clock_id, SlaClock.breach_fired_at.is_(None), SlaClock.due_at <= now)
                .values(breach_fired_at=now, at_risk_fired_at=func.coalesce(SlaClock.at_risk_fired_at, now)))
    else:  # a clock already past due is left to its breach (announced as one, whoever reads it first)
        stmt = (update(SlaClock)
                .where(SlaClock.id == cand.clock_id, SlaClock.at_risk_fired_at.is_(None), SlaClock.at_risk_at <= now,
                       SlaClock.due_at > now)
                .values(at_risk_fired_at=now))
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1


def fire_due(session: Session, now: dt.datetime, rules: Rules, *, limit: int = BATCH,
             hook: webhook.Target | None = None) -> tuple[bool, list[Any]]:
    """One round of the tick (see the module docstring): whether another round may find more (a range
    query was full and something was claimed), and the events to publish after the commit."""
    raw = candidates(session, now, limit)
    found = plan(raw)
    tickets: dict[int, Ticket] = {}
    if found:
        locked = session.scalars(select(Ticket).where(Ticket.id.in_({c.ticket_id for c in found}))
                                 .order_by(Ticket.id).with_for_update(skip_locked=True))
        tickets = {t.id: t for t in locked}
    before = {tid: t.sla_status for tid, t in tickets.items()}
    alarms: list[SlaAlarm] = []
    breached: set[int] = set()
    # being changed by someone else now (the next tick takes it), or already announced: not ours
    claimed = [c for c in found if c.ticket_id in tickets and claim(session, c, now)]
    for cand in claimed:  # the claims first: the rows below are flushed once, at the commit
        ticket = tickets[cand.ticket_id]
        old = ticket.sla_status
        ticket.sla_status = raised(old, cand.alarm)
        action = "sla_breached" if cand.alarm == BREACHED else "sla_at_risk"
        due = cand.due_at.isoformat() if cand.due_at else None
        session.add(TicketEvent(ticket_id=ticket.id, at=now, actor="system", action=action,
                                data={"kind": cand.kind, "due": due}))
        session.add(AuditEntry(actor="system", entity="ticket", entity_id=str(ticket.id), action=action,
                               before={"sla": old}, after={"sla": ticket.sla_status, "kind": cand.kind, "due": due}))
        alarms.append(SlaAlarm(now.timestamp(), ticket.id, ticket.number, cand.kind, cand.alarm,
                               cand.due_at.timestamp() if cand.due_at else None, ticket.assignee_id))
        if cand.alarm == BREACHED:
            breached.add(ticket.id)
    events: list[Any] = list(alarms)
    changed = [t for tid, t in sorted(tickets.items()) if t.sla_status != before[tid]]
    engineers = _engineer_users(session, {t.engineer_id for t in changed if t.engineer_id is not None})
    events += [TicketChanged(now.timestamp(), t.id, t.number, t.state, t.sla_status, t.assignee_id,
                             engineers.get(t.engineer_id)) for t in changed]
    for ticket_id in sorted(breached):
        events += escalations.evaluate(session, tickets[ticket_id], rules, now, hook=hook)
    overdue = escalations.ack_overdue(session, now, rules)
    if overdue:
        locked = session.scalars(select(Ticket).where(Ticket.id.in_(overdue)).order_by(Ticket.id)
                                 .with_for_update(skip_locked=True))
        for ticket in locked:
            events += escalations.evaluate(session, ticket, rules, now, hook=hook)
    full = any(sum(1 for c in raw if c.alarm == kind) >= limit for kind in (AT_RISK, BREACHED))
    return full and bool(alarms), events


def _engineer_users(session: Session, engineer_ids: set[int]) -> dict[int, int | None]:
    """The console login of each engineer (the ``ticket`` push goes to the engineer's user too)."""
    if not engineer_ids:
        return {}
    return dict(session.execute(select(Engineer.id, Engineer.user_id).where(Engineer.id.in_(engineer_ids))).all())


class SlaTimers:
    """The tick as a job of the service's scheduler, and what it learnt last (for ``/status``)."""

    def __init__(self, db: Any, desk: Any, rules: Rules, *, hook: webhook.Target | None = None,
                 limit: int = BATCH) -> None:
        self._db = db
        self._desk = desk  # TicketDesk: the clock, the promises (calendars), publishing
        self.rules = rules
        self.hook = hook
        self.limit = limit
        self.fired = 0
        self.ticks = 0
        self.calendar_missing: list[int] = []  # years a calendar in use has no holiday data for
        self.after_tick: list[Any] = []  # coroutine functions awaited after each tick (the push board's refresh)

    async def tick(self) -> int:
        """Announce what fell due (in rounds of ``limit`` until none is full); returns how many events."""
        total = 0
        for _ in range(MAX_ROUNDS):
            now = self._desk.clock()
            more, events = await self._db.write(fire_due, now, self.rules, limit=self.limit, hook=self.hook)
            await self._desk.publish(events)
            total += len(events)
            self.fired += sum(1 for e in events if type(e) is SlaAlarm)
            if not more:
                break
        self.ticks += 1
        await self.check_calendars()
        for hook in self.after_tick:
            await hook()
        return total

    async def check_calendars(self) -> list[int]:
        """The years (this one) a calendar in use has no holiday data for: a calendar update is due."""
        promises = await self._desk.promises()
        self.calendar_missing = promises.missing_years([self._desk.local_day(self._desk.clock()).year])
        return self.calendar_missing

    async def calendar_status(self) -> dict[str, Any]:
        """The ``calendar`` component of ``/status``: degraded (still ok) when a year is not covered."""
        missing = await self.check_calendars()
        if missing:
            return {"ok": True, "state": "degraded", "missing_years": missing,
                    "detail": "no holiday data: working days fall back to Monday-Friday; update chinesecalendar"}
        return {"ok": True, "state": "ok", "missing_years": []}
