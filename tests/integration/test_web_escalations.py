"""Escalations in the console over HTTP and /ws (SQLite file and PostgreSQL): live messages to those who must
act, the open ones in a supervisor's snapshot, the list page, acknowledging (roles per level, CSRF), SLA
alarms to the assignee and the supervisors, and the calendar notice when a year has no holiday data."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select
from web_support import PASSWORD, page_token, receive, web  # noqa: F401

from cti.http import keys
from cti.tickets.models import Escalation
from cti.tickets.service import Actor, NewTicket
from cti.users import service as users
from tests.integration.tickets.support import Clock, local

HOSTILE = '<img src=x onerror=alert(1)>王芳'


async def open_ws(web, client):
    """A push channel past its hello; returns it and the snapshot."""
    ws = await client.ws_connect("/ws", headers={"Origin": web.origin})
    assert (await receive(ws))["type"] == "hello"
    snapshot = await receive(ws)
    assert snapshot["type"] == "snapshot"
    return ws, snapshot["data"]


async def next_of(ws, kind: str, timeout: float = 5.0) -> dict:
    """The next message of this type (heartbeats and other types skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg = await receive(ws, max(0.1, deadline - asyncio.get_running_loop().time()))
        if msg["type"] == kind:
            return msg


async def add_manager(web) -> None:
    async with web.db.session() as s:
        web.users["mgr"] = (await users.create(s, username="mgr", password=PASSWORD, role="manager")).id


async def escalate(web, name: str = "王芳", phone: str = "+8613800138000") -> int:
    """A complaint assigned to agent1, called about three times: level 1 through the bus. Its ticket id."""
    service = web.app[keys.SERVICE]
    customer = await web.add_customer(name, phone)
    agent = Actor("agent1", "agent", web.users["agent1"])
    ticket_id, _ = await service.tickets.open(NewTicket(customer, "complaint", description="维修拖延"), agent)
    for n in range(3):
        await service.tickets.link_call(ticket_id, f"{ticket_id}.{n}", agent)
    return ticket_id


async def escalation_of(web, ticket_id: int, level: int = 1) -> Escalation:
    for _ in range(300):
        async with web.db.session() as s:
            row = await s.scalar(select(Escalation).where(Escalation.ticket_id == ticket_id, Escalation.level == level))
        if row is not None:
            return row
        await asyncio.sleep(0.01)
    raise AssertionError(f"no level {level} escalation for ticket {ticket_id}")


async def test_a_supervisor_sees_an_escalation_arrive_live_and_in_the_snapshot_of_a_later_console(web):
    boss = await web.login("boss")
    ws, snapshot = await open_ws(web, boss)
    assert snapshot["escalations"] == [] and snapshot["calendar_missing"] == []
    agent = await web.login("agent1")
    agent_ws, agent_snapshot = await open_ws(web, agent)
    assert "escalations" not in agent_snapshot and "calendar_missing" not in agent_snapshot

    ticket_id = await escalate(web, HOSTILE)

    msg = await next_of(ws, "escalation")
    row = await escalation_of(web, ticket_id)
    assert msg["data"] == {"id": row.id, "ticket_id": ticket_id, "number": msg["data"]["number"], "level": 1,
                           "reason": "repeat_calls", "at": row.raised_at.isoformat(), "customer": HOSTILE}
    assert msg["id"] is not None  # numbered: replayed to a console that reconnects
    later, later_snapshot = await open_ws(web, await web.login("boss"))  # a second console, opened afterwards
    assert later_snapshot["escalations"] == [msg["data"]]
    for channel in (ws, agent_ws, later):
        await channel.close()
    assert [m.type for m in _sent(web, "agent1") if m.type.startswith("escalation")] == []  # agents are not told


def _sent(web, username: str) -> list:
    conn = web.hub.connect(web.users[username], last_id=0)
    try:
        return conn.pending()
    finally:
        conn.close()


async def test_acknowledging_takes_it_off_every_open_list(web):
    await add_manager(web)
    boss = await web.login("boss")
    ticket_id = await escalate(web)
    row = await escalation_of(web, ticket_id)
    manager = await web.login("mgr")
    ws, _ = await open_ws(web, manager)

    token = await page_token(boss, "/escalations")
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    resp = await boss.post(f"/escalations/{row.id}/ack", headers=headers)
    assert resp.status == 200 and await resp.json() == {"ok": True}

    gone = await next_of(ws, "escalation_ack")
    assert gone["data"]["id"] == row.id and gone["data"]["by"] == "boss"
    assert (await escalation_of(web, ticket_id)).acknowledged_by == "boss"
    resp = await boss.post(f"/escalations/{row.id}/ack", headers=headers)
    assert resp.status == 409 and await resp.json() == {"error": "already"}
    assert (await boss.post("/escalations/999999/ack", headers=headers)).status == 404
    assert (await boss.post("/escalations/99999999999999999999/ack", headers=headers)).status == 404
    _, snapshot = await open_ws(web, await web.login("boss"))
    assert snapshot["escalations"] == []
    await ws.close()


async def test_level_2_is_for_managers_and_admins(web):
    await add_manager(web)
    service = web.app[keys.SERVICE]
    clock = Clock(dt.datetime.now(dt.UTC))
    service.tickets.clock = clock
    ticket_id = await escalate(web)
    await escalation_of(web, ticket_id)
    clock.now += dt.timedelta(hours=2, minutes=1)  # nobody acknowledged level 1
    await service.timers.tick()
    level2 = await escalation_of(web, ticket_id, level=2)
    assert level2.reason == "unacknowledged"

    boss, manager = await web.login("boss"), await web.login("mgr")
    _, boss_view = await open_ws(web, boss)
    _, manager_view = await open_ws(web, manager)
    assert [e["level"] for e in boss_view["escalations"]] == [1]
    assert [e["level"] for e in manager_view["escalations"]] == [2, 1]

    page = await (await boss.get("/escalations")).text()
    assert page.count('data-testid="escalation-row"') == 2 and page.count('data-testid="escalation-ack"') == 1
    token = await page_token(boss, "/escalations")
    resp = await boss.post(f"/escalations/{level2.id}/ack", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert resp.status == 403 and await resp.json() == {"error": "role"}
    form = {"csrf_token": await page_token(manager, "/escalations")}
    resp = await manager.post(f"/escalations/{level2.id}/ack", data=form, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/escalations"
    assert (await escalation_of(web, ticket_id, level=2)).acknowledged_by == "mgr"


async def test_the_list_is_for_supervisors_and_escapes_what_customers_wrote(web):
    ticket_id = await escalate(web, HOSTILE)
    row = await escalation_of(web, ticket_id)
    agent = await web.login("agent1")
    assert (await agent.get("/escalations")).status == 403
    token = await page_token(agent)
    resp = await agent.post(f"/escalations/{row.id}/ack", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert resp.status == 403

    html = await (await (await web.login("boss")).get("/escalations")).text()
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;王芳" in html
    assert f'href="/tickets/{ticket_id}"' in html and "客户多次来电" in html and "主管" in html


async def test_acknowledging_needs_the_csrf_token(web):
    ticket_id = await escalate(web)
    row = await escalation_of(web, ticket_id)
    boss = await web.login("boss")
    resp = await boss.post(f"/escalations/{row.id}/ack", headers={"Accept": "application/json"})
    assert resp.status == 403
    assert (await escalation_of(web, ticket_id)).acknowledged_at is None


async def test_sla_alarms_go_to_the_assignee_and_the_supervisors(web):
    service = web.app[keys.SERVICE]
    clock = Clock(local(2026, 12, 1, 10, 0))
    service.tickets.clock = clock
    customer = await web.add_customer("李娜", "+8613900139000")
    agent = Actor("agent1", "agent", web.users["agent1"])
    ticket_id, number = await service.tickets.open(NewTicket(customer, "repair", "carry_in"), agent)
    clock.now = local(2026, 12, 3, 16, 1)  # the first-contact promise is broken
    await service.timers.tick()
    await service.bus.drain()

    expected = {"ticket_id": ticket_id, "number": number, "kind": "first_contact", "status": "breached",
                "due": local(2026, 12, 3, 16, 0).isoformat()}
    for who in ("agent1", "boss"):
        assert [m.data for m in _sent(web, who) if m.type == "sla"] == [expected], who
    assert [m.data for m in _sent(web, "agent1") if m.type == "ticket"] == [
        {"id": ticket_id, "number": number, "state": "awaiting_repair", "sla": "breached"}]
    assert [m for m in _sent(web, "agent2") if m.type in ("sla", "ticket")] == []


@pytest.mark.parametrize("year", [2026, 2027])
async def test_a_year_without_holiday_data_is_degraded_in_status_and_noticed_on_the_console(web, monkeypatch, year):
    service = web.app[keys.SERVICE]
    monkeypatch.setattr(service.bridge, "status", lambda: {"state": "connected"})
    service.tickets.clock = Clock(local(year, 1, 5, 10, 0))
    boss = await web.login("boss")

    resp = await boss.get("/status")
    body = await resp.json()
    calendar = body["components"]["calendar"]
    assert resp.status == 200 and body["ok"] is True  # degraded is not down
    assert (calendar["state"], calendar["missing_years"]) == (("degraded", [2027]) if year == 2027 else ("ok", []))
    assert await (await (await web.client()).get("/status")).json() == {"ok": True}  # the detail is not public
    _, snapshot = await open_ws(web, boss)
    assert snapshot["calendar_missing"] == ([2027] if year == 2027 else [])
