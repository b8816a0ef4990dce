"""Complaint escalation on a real database (SQLite file and PostgreSQL): a breach or three repeat calls raise
level 1 once; level 1 unacknowledged past its timeout, or a further breach, raise level 2 once; who may
acknowledge which level; exactly once when two processes decide at the same moment."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from cti.events import EscalationAcknowledged, SlaAlarm, TicketCallLinked, TicketEscalated
from cti.store import Database
from cti.tickets import escalations
from cti.tickets.escalation import ComplaintView
from cti.tickets.escalations import EscalationError
from cti.tickets.models import Escalation, Ticket, TicketEvent, WebhookDelivery
from cti.tickets.service import Actor
from cti.tickets.webhook import Target
from tests.integration.tickets.support import AGENT, SUPERVISOR, local
from tests.integration.tickets.timer_support import (
    BREACHED_AT,
    RULES,
    TUESDAY_10,
    audits,
    escalation_rows,
    history,
    of,
    open_ticket,
    rig,
    ticket,
)

MANAGER = Actor("mgr1", "manager", None)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


async def breached_complaint(db, **kw):
    """A complaint whose first-contact promise the tick has just found broken: level 1."""
    desk, clock, published, timers, engine = rig(db, **kw)
    ticket_id = await open_ticket(db, desk, "complaint")
    clock.now = BREACHED_AT
    await timers.tick()
    return desk, clock, published, timers, engine, ticket_id


async def test_a_breached_complaint_goes_to_supervisors_then_to_managers_when_nobody_acknowledges(db):
    desk, clock, published, timers, _, ticket_id = await breached_complaint(db)
    (raised,) = of(published, TicketEscalated)
    assert (raised.ticket_id, raised.level, raised.reason, raised.customer) == (ticket_id, 1, "sla_breach", "王芳")
    (level1,) = await escalation_rows(db, ticket_id)
    assert (level1.id, level1.level, level1.breaches, level1.raised_at) == (raised.escalation_id, 1, 1, BREACHED_AT)
    assert (await ticket(db, ticket_id)).escalation_level == 1
    assert await history(db, ticket_id, "sla_breached", "escalated") == ["sla_breached", "escalated"]
    assert await audits(db, ticket_id, "escalate") == 1

    clock.now = BREACHED_AT + 2 * HOUR - MINUTE
    await timers.tick()
    assert len(of(published, TicketEscalated)) == 1  # still within the two hours

    clock.now = BREACHED_AT + 2 * HOUR  # the deadline itself: not acknowledged in time
    await timers.tick()
    await timers.tick()
    assert [(e.level, e.reason) for e in of(published, TicketEscalated)] == [(1, "sla_breach"), (2, "unacknowledged")]
    assert [e.level for e in await escalation_rows(db, ticket_id)] == [1, 2]
    assert (await ticket(db, ticket_id)).escalation_level == 2


async def test_acknowledged_in_time_it_stays_with_the_supervisors(db):
    desk, clock, published, timers, engine, ticket_id = await breached_complaint(db)
    (level1,) = await escalation_rows(db, ticket_id)
    clock.now = BREACHED_AT + HOUR
    await engine.acknowledge(level1.id, SUPERVISOR)

    clock.now = BREACHED_AT + 5 * HOUR
    await timers.tick()

    (acked,) = of(published, EscalationAcknowledged)
    assert (acked.escalation_id, acked.ticket_id, acked.level, acked.by) == (level1.id, ticket_id, 1, "sup1")
    assert len(of(published, TicketEscalated)) == 1
    (row,) = await escalation_rows(db, ticket_id)
    assert (row.acknowledged_at, row.acknowledged_by) == (BREACHED_AT + HOUR, "sup1")
    assert "escalation_ack" in await history(db, ticket_id)
    assert await audits(db, ticket_id, "escalation_ack") == 1


async def test_a_late_acknowledgement_does_not_undo_level_2(db):
    desk, clock, published, timers, engine, ticket_id = await breached_complaint(db)
    (level1,) = await escalation_rows(db, ticket_id)
    clock.now = BREACHED_AT + 3 * HOUR  # no tick ran since (the service was down): the supervisor acknowledges late
    await engine.acknowledge(level1.id, SUPERVISOR)

    assert [(type(e).__name__, getattr(e, "level", None)) for e in published[-2:]] == [
        ("EscalationAcknowledged", 1), ("TicketEscalated", 2)]
    assert of(published, TicketEscalated)[-1].reason == "unacknowledged"


async def test_a_further_breach_after_level_1_goes_to_the_managers(db):
    desk, clock, published, timers, engine, ticket_id = await breached_complaint(db)
    (level1,) = await escalation_rows(db, ticket_id)
    await engine.acknowledge(level1.id, SUPERVISOR)

    clock.now = local(2026, 12, 8, 13, 1)  # 48 business hours: the resolution promise is broken too
    await timers.tick()

    assert [(a.kind, a.status) for a in of(published, SlaAlarm) if a.status == "breached"] == [
        ("first_contact", "breached"), ("resolution", "breached")]
    assert [(e.level, e.reason) for e in of(published, TicketEscalated)] == [(1, "sla_breach"), (2, "further_breach")]
    assert [e.breaches for e in await escalation_rows(db, ticket_id)] == [1, 2]


async def test_who_may_acknowledge_which_level(db):
    desk, clock, published, timers, engine, ticket_id = await breached_complaint(db)
    clock.now = BREACHED_AT + 2 * HOUR
    await timers.tick()
    level1, level2 = await escalation_rows(db, ticket_id)

    for escalation_id, actor, code in ((level1.id, AGENT, "role"), (level2.id, SUPERVISOR, "role"),
                                       (999_999, MANAGER, "unknown")):
        with pytest.raises(EscalationError) as refused:
            await engine.acknowledge(escalation_id, actor)
        assert refused.value.code == code
    await engine.acknowledge(level2.id, MANAGER)
    await engine.acknowledge(level1.id, SUPERVISOR)
    with pytest.raises(EscalationError) as twice:
        await engine.acknowledge(level1.id, MANAGER)
    assert twice.value.code == "already"
    assert [(e.acknowledged_by, e.level) for e in await escalation_rows(db, ticket_id)] == [("sup1", 1), ("mgr1", 2)]


async def link_calls(desk, engine, published, ticket_id: int, clock, times) -> list:
    """Calls linked to the ticket at these times, each handed to the engine as the bus would."""
    for n, at in enumerate(times):
        clock.now = at
        before = len(published)
        assert await desk.link_call(ticket_id, f"1764554400.{n}", AGENT)
        await engine.handle_batch(published[before:])
        await desk.settled()
    return of(published, TicketEscalated)


async def test_three_calls_within_48_hours_escalate_a_complaint_once(db):
    desk, clock, published, _, engine = rig(db)
    ticket_id = await open_ticket(db, desk, "complaint")
    times = [TUESDAY_10, TUESDAY_10 + 20 * HOUR, TUESDAY_10 + 47 * HOUR, TUESDAY_10 + 47 * HOUR + MINUTE]

    raised = await link_calls(desk, engine, published, ticket_id, clock, times)

    assert len(of(published, TicketCallLinked)) == 4
    assert [(e.ticket_id, e.level, e.reason) for e in raised] == [(ticket_id, 1, "repeat_calls")]
    (row,) = await escalation_rows(db, ticket_id)
    assert row.raised_at == times[2]  # at the third call, not the fourth


async def test_calls_spread_wider_than_the_window_or_about_a_repair_do_not_escalate(db):
    desk, clock, published, _, engine = rig(db)
    complaint = await open_ticket(db, desk, "complaint")
    repair = await open_ticket(db, desk, phone="+8613900139000", name="李娜")

    spread = [TUESDAY_10, TUESDAY_10 + 30 * HOUR, TUESDAY_10 + 48 * HOUR]  # first and third: 48 h apart exactly
    assert await link_calls(desk, engine, published, complaint, clock, spread) == []
    assert await link_calls(desk, engine, published, repair, clock, [TUESDAY_10 + HOUR * n for n in range(4)]) == []


async def test_two_processes_deciding_at_the_same_moment_raise_a_level_once(db, database_url):
    desk, clock, published, _, _ = rig(db)
    ticket_id = await open_ticket(db, desk, "complaint")
    for n in range(3):
        await desk.link_call(ticket_id, f"1764554400.{n}", AGENT)  # nobody evaluated them yet
    other = Database(database_url)
    try:
        results = await asyncio.gather(*(
            database.write(escalations.evaluate_ids, [ticket_id], RULES, clock.now) for database in (db, other, db)))
    finally:
        await other.close()

    assert sum(len(of(events, TicketEscalated)) for events in results) == 1
    assert [(e.level, e.reason) for e in await escalation_rows(db, ticket_id)] == [(1, "repeat_calls")]


async def test_a_level_raised_meanwhile_is_caught_in_a_savepoint_and_the_rest_of_the_work_stands(db, monkeypatch):
    desk, clock, _, _, _ = rig(db)
    ticket_id = await open_ticket(db, desk, "complaint")
    for n in range(3):
        await desk.link_call(ticket_id, f"1764554400.{n}", AGENT)
    await db.write(escalations.evaluate_ids, [ticket_id], RULES, clock.now)  # level 1 is raised
    stale = ComplaintView(level=0, call_times=(clock.now,) * 3)  # a view read before that
    monkeypatch.setattr(escalations, "view_of", lambda session, ticket: stale)

    def work(session):
        session.add(TicketEvent(ticket_id=ticket_id, at=clock.now, actor="test", action="note", note="同一事务"))
        return escalations.evaluate(session, session.get(Ticket, ticket_id), RULES, clock.now)

    assert await db.write(work) == []  # the unique (ticket, level) refused the duplicate
    assert [e.level for e in await escalation_rows(db, ticket_id)] == [1]
    assert "note" in await history(db, ticket_id)  # the transaction went on and committed


async def test_an_escalation_queues_its_webhook_delivery_in_the_same_transaction(db):
    hook = Target("https://hooks.example.com/cti", b"s" * 32, origin="https://cti.example.com")
    desk, clock, published, timers, _, ticket_id = await breached_complaint(db, hook=hook)
    (raised,) = of(published, TicketEscalated)
    async with db.session() as s:
        (delivery,) = (await s.scalars(select(WebhookDelivery))).all()
        count = await s.scalar(select(func.count()).select_from(Escalation))
    assert count == 1
    assert (delivery.kind, delivery.attempts, delivery.next_attempt_at, delivery.delivered_at) == (
        "escalation", 0, BREACHED_AT, None)
    assert delivery.payload == {
        "event": "escalation", "escalation_id": raised.escalation_id, "ticket_id": ticket_id,
        "ticket_number": raised.number, "level": 1, "reason": "sla_breach", "raised_at": BREACHED_AT.isoformat(),
        "url": f"https://cti.example.com/tickets/{ticket_id}"}
