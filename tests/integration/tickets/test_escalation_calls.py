"""Repeat calls escalate a complaint, end to end: the PBX simulator over TCP, the whole service (bridge,
tracker, bus, call linker, escalation engine, push) and a supervisor's console on /ws, on SQLite and
PostgreSQL. Three inbound calls from the customer within 48 hours raise level 1 exactly once, and the
supervisor's open console receives it live."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from ami_support import PING, eventually, no_leaks, sim  # noqa: F401  (fixtures)
from cti.http import keys
from cti.tickets.models import Escalation, TicketCall
from cti.tickets.service import Actor, NewTicket
from web_support import receive, web_running

pytestmark = pytest.mark.usefixtures("no_leaks")
CALLER = "+8613800138000"


async def count(db, model, ticket_id: int) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model).where(model.ticket_id == ticket_id))


async def call(sim, service) -> str:
    """One inbound call from the customer, answered and ended; then every subscriber has caught up."""
    result = await sim.direct(agent="PJSIP/1001", after=1, talk=1, caller=CALLER, name="Wang Fang")
    await service.bus.drain()
    await service.tickets.settled()
    await service.bus.drain()
    return result["linkedid"]


async def test_three_calls_about_an_open_complaint_escalate_it_once_and_the_supervisor_sees_it_live(db, sim):
    async with web_running(db, ami_port=sim.port, ami_ping_interval=PING, ami_action_timeout=1.0,
                           ami_reconnect_max=0.2) as web:
        service = web.app[keys.SERVICE]
        await eventually(lambda: service.bridge.state == "connected" and service.bridge.resyncs >= 1,
                         what="the service logged in to the simulator")
        customer = await web.add_customer("王芳", CALLER)
        ticket_id, number = await service.tickets.open(
            NewTicket(customer, "complaint", description="维修三次未修好"), Actor("agent1", "agent", web.users["agent1"]))
        boss = await web.login("boss")
        ws = await boss.ws_connect("/ws", headers={"Origin": web.origin})
        assert (await receive(ws))["type"] == "hello"
        assert (await receive(ws))["data"]["escalations"] == []

        for n in range(2):
            await call(sim, service)
            assert await count(db, TicketCall, ticket_id) == n + 1
        assert await count(db, Escalation, ticket_id) == 0  # two calls: not yet

        third = await call(sim, service)
        msg = await receive(ws)
        while msg["type"] == "heartbeat":
            msg = await receive(ws)
        assert msg["type"] == "escalation"
        assert {k: msg["data"][k] for k in ("ticket_id", "number", "level", "reason", "customer")} == {
            "ticket_id": ticket_id, "number": number, "level": 1, "reason": "repeat_calls", "customer": "王芳"}

        fourth = await call(sim, service)  # a fourth call: still one escalation
        assert await count(db, TicketCall, ticket_id) == 4
        async with db.session() as s:
            rows = (await s.scalars(select(Escalation).where(Escalation.ticket_id == ticket_id))).all()
            third_at, fourth_at = [await s.scalar(select(TicketCall.at).where(TicketCall.call_id == c))
                                   for c in (third, fourth)]
        assert [(r.level, r.reason) for r in rows] == [(1, "repeat_calls")]
        assert third_at <= rows[0].raised_at < fourth_at  # raised when the third call was linked
        with pytest.raises(asyncio.TimeoutError):  # nothing more for the supervisor
            while (await receive(ws, timeout=0.5))["type"] == "heartbeat":
                pass
        await ws.close()
