"""The SLA tick on a real database (SQLite file and PostgreSQL): promises at risk and broken are announced
once each (history line, audit row, the ticket's SLA status, events), across a restart of the service
and with two processes ticking the same database at the same moment."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from cti.app import Service
from cti.config import Settings
from cti.events import SlaAlarm, TicketChanged
from cti.store import Database
from cti.tickets.models import TicketEvent
from cti.tickets.timers import Candidate, claim
from tests.integration.tickets.support import AGENT, ENGINEER, Clock, local
from tests.integration.tickets.timer_support import (
    FIRST_CONTACT_AT_RISK,
    FIRST_CONTACT_DUE,
    TUESDAY_10,
    audits,
    clocks,
    history,
    of,
    open_ticket,
    rig,
    ticket,
)
from web_support import unused_port

MINUTE = dt.timedelta(minutes=1)


async def test_a_promise_is_announced_at_risk_then_broken_once_each(db):
    desk, clock, published, timers, _ = rig(db)
    ticket_id = await open_ticket(db, desk)
    published.clear()

    clock.now = FIRST_CONTACT_AT_RISK - MINUTE
    await timers.tick()
    assert published == []  # nothing fell due yet

    clock.now = FIRST_CONTACT_AT_RISK + MINUTE
    await timers.tick()
    await timers.tick()  # a second tick finds nothing new
    (alarm,) = of(published, SlaAlarm)
    assert (alarm.ticket_id, alarm.kind, alarm.status) == (ticket_id, "first_contact", "at_risk")
    assert alarm.due == FIRST_CONTACT_DUE.timestamp()
    (changed,) = of(published, TicketChanged)
    assert (changed.ticket_id, changed.sla_status) == (ticket_id, "at_risk")
    assert (await ticket(db, ticket_id)).sla_status == "at_risk"

    clock.now = FIRST_CONTACT_DUE + MINUTE
    await timers.tick()
    await timers.tick()
    assert [(a.kind, a.status) for a in of(published, SlaAlarm)] == [("first_contact", "at_risk"),
                                                                      ("first_contact", "breached")]
    assert (await ticket(db, ticket_id)).sla_status == "breached"
    assert await history(db, ticket_id, "sla_at_risk", "sla_breached") == ["sla_at_risk", "sla_breached"]
    assert await audits(db, ticket_id, "sla_at_risk") == 1 and await audits(db, ticket_id, "sla_breached") == 1
    first = (await clocks(db, ticket_id))["first_contact"]
    assert (first.at_risk_fired_at, first.breach_fired_at) == (FIRST_CONTACT_AT_RISK + MINUTE, FIRST_CONTACT_DUE + MINUTE)


async def test_a_breach_found_late_is_announced_as_a_breach_only(db):
    desk, clock, published, timers, _ = rig(db)
    ticket_id = await open_ticket(db, desk)
    published.clear()

    clock.now = local(2026, 12, 4, 9, 30)  # the service was stopped through the at-risk point and the due time
    await timers.tick()

    assert [(a.kind, a.status) for a in of(published, SlaAlarm)] == [("first_contact", "breached")]
    assert await history(db, ticket_id, "sla_at_risk", "sla_breached") == ["sla_breached"]
    first = (await clocks(db, ticket_id))["first_contact"]
    assert first.breach_fired_at == first.at_risk_fired_at == clock.now


async def test_kept_and_paused_promises_are_not_announced(db):
    desk, clock, published, timers, _ = rig(db)
    contacted = await open_ticket(db, desk)
    waiting = await open_ticket(db, desk, phone="+8613900139000", name="李娜")
    await desk.record_contact(contacted, AGENT, "已联系客户")  # first contact kept
    await desk.change_state(waiting, "in_repair", ENGINEER)
    await desk.change_state(waiting, "awaiting_parts", ENGINEER, note="等压缩机")  # paused
    await desk.record_contact(waiting, AGENT, "已联系客户")
    published.clear()

    clock.now = local(2026, 12, 31, 17, 0)  # weeks later
    await timers.tick()

    assert [(a.ticket_id, a.kind) for a in of(published, SlaAlarm)] == [(contacted, "resolution")]
    assert await history(db, waiting, "sla_at_risk", "sla_breached") == []


async def test_many_due_at_once_are_announced_in_rounds_within_one_tick(db):
    desk, clock, published, timers, _ = rig(db, limit=3)
    ids = [await open_ticket(db, desk, phone=f"+86138001380{n:02d}", name=f"客户{n}") for n in range(7)]
    published.clear()

    clock.now = FIRST_CONTACT_DUE + MINUTE
    await timers.tick()

    assert sorted(a.ticket_id for a in of(published, SlaAlarm)) == ids  # 7 breaches, rounds of 3
    assert timers.fired == 7


async def test_a_clock_past_due_read_only_as_at_risk_is_announced_once_as_a_breach(db):
    """What two processes can do: one's at-risk range read finds a clock its breach read did not reach
    (the breach read took the first clocks, which the other process had just announced). Its at-risk
    claim on a clock already past due claims nothing; the breach is announced, once, by whoever reads it."""
    desk, _, _, _, _ = rig(db)
    ticket_id = await open_ticket(db, desk)
    now = FIRST_CONTACT_DUE + MINUTE
    first = (await clocks(db, ticket_id))["first_contact"]

    assert await db.write(claim, Candidate(first.id, ticket_id, "first_contact", "at_risk", first.due_at), now) is False
    assert await db.write(claim, Candidate(first.id, ticket_id, "first_contact", "breached", first.due_at), now) is True

    other = await open_ticket(db, desk, phone="+8613900139000", name="李娜")
    row = (await clocks(db, other))["first_contact"]  # past its at-risk point, not due: at risk is owed
    assert await db.write(claim, Candidate(row.id, other, "first_contact", "at_risk", row.due_at),
                          FIRST_CONTACT_DUE - MINUTE) is True


def service_settings(db: Database, **overrides) -> Settings:
    return Settings(_env_file=None, database_url=db.url.render_as_string(hide_password=False), ami_host="127.0.0.1",
                    ami_port=unused_port(), ami_reconnect_max=0.2, sla_tick_seconds=3600, **overrides)


async def start_service(db: Database, clock: Clock) -> tuple[Service, list]:
    """The whole service (its bus, scheduler, subscribers) on ``db``; no PBX answers. Collects its events."""
    seen: list = []

    async def keep(events):
        seen.extend(events)

    service = Service(settings=service_settings(db), db=db, clock=clock)
    service.wire()
    service.bus.subscribe("test", keep, batch_max=1000)
    await service.start()
    return service, seen


async def test_a_breach_fires_once_across_a_restart(db):
    clock = Clock(TUESDAY_10)
    service, seen = await start_service(db, clock)
    ticket_id = await open_ticket(db, service.tickets)
    clock.now = FIRST_CONTACT_DUE + MINUTE
    await service.timers.tick()
    await service.stop()
    fired_at = (await clocks(db, ticket_id))["first_contact"].breach_fired_at

    clock.now += dt.timedelta(minutes=5)
    again, seen_again = await start_service(db, clock)  # the process restarted
    try:
        await again.timers.tick()
        await again.bus.drain()
    finally:
        await again.stop()

    assert [(a.kind, a.status) for a in of(seen, SlaAlarm)] == [("first_contact", "breached")]
    assert of(seen_again, SlaAlarm) == []
    assert await history(db, ticket_id, "sla_breached") == ["sla_breached"]
    assert (await clocks(db, ticket_id))["first_contact"].breach_fired_at == fired_at == FIRST_CONTACT_DUE + MINUTE


async def test_two_processes_ticking_one_database_announce_each_breach_once(db, database_url):
    desk, _, _, _, _ = rig(db)
    ids = [await open_ticket(db, desk, phone=f"+86138001381{n:02d}", name=f"客户{n}") for n in range(12)]
    other_db = Database(database_url)  # the second process: its own engine and connections
    try:
        runs, published = [], []
        for database in (db, other_db):  # each with rounds of 5: their transactions interleave
            _, _, events, timers, _ = rig(database, FIRST_CONTACT_DUE + MINUTE, limit=5)
            runs.append(timers)
            published.append(events)
        await asyncio.gather(*(timers.tick() for timers in runs))
    finally:
        await other_db.close()

    alarms = of(published[0], SlaAlarm) + of(published[1], SlaAlarm)
    assert sorted(a.ticket_id for a in alarms) == ids  # each once, whoever fired it
    async with db.session() as s:
        lines = await s.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.action == "sla_breached"))
    assert lines == len(ids)
    for ticket_id in ids:
        assert (await clocks(db, ticket_id))["first_contact"].breach_fired_at == FIRST_CONTACT_DUE + MINUTE


@pytest.mark.parametrize("year", [2026, 2027])
async def test_the_calendar_check_names_a_year_without_holiday_data(db, year):
    desk, clock, _, timers, _ = rig(db, local(year, 3, 2, 10, 0))
    status = await timers.calendar_status()
    if year == 2026:
        assert status == {"ok": True, "state": "ok", "missing_years": []}
    else:  # chinesecalendar 1.11 knows the holidays up to 2026
        assert status["ok"] is True and status["state"] == "degraded" and status["missing_years"] == [2027]
    assert timers.calendar_missing == status["missing_years"]
