"""Click-to-dial through the simulator: the agent's phone rings first, then the customer is dialled with
the hotline's caller ID; the call is logged, popped on the agent's console and linked to its ticket."""

from __future__ import annotations

import asyncio

import pytest
from ami_support import eventually, no_leaks  # noqa: F401  (fixtures)
from sqlalchemy import select
from floor_support import linked, pbx  # noqa: F401  (fixture)
from web_support import csrf_from, receive, stop_web

from cti.calls.models import Call
from cti.campaigns.models import CampaignAttempt, CampaignContact
from cti.tickets.models import TicketCall
from cti.tickets.service import Actor, NewTicket
from tests.integration.campaigns.test_callbacks_web import add_campaign

ZHANG = "+8613800138000"
pytestmark = pytest.mark.usefixtures("no_leaks")


@pytest.fixture
async def hotline(db, pbx):
    web, service = await linked(db, pbx)
    await add_campaign(db)
    try:
        yield web, service
    finally:
        await stop_web(web)


async def dial(client, path: str, **form):
    token = csrf_from(await (await client.get(path)).text())
    resp = await client.post("/dial", data=dict(form, csrf_token=token), headers={"Accept": "application/json"})
    return resp.status, await resp.json()


async def next_of(ws, kind: str) -> dict:
    while True:
        message = await receive(ws, 5.0)
        if message["type"] == kind:
            return message["data"]


async def rows(db, model):
    async with db.session() as s:
        return list(await s.scalars(select(model).order_by(model.id)))


async def test_the_agents_phone_rings_first_then_the_customer_and_the_call_joins_the_ticket(hotline, pbx, db):
    web, service = hotline
    customer = await web.add_customer("张三", ZHANG)
    ticket_id, _ = await service.tickets.open(NewTicket(customer, "repair", "carry_in", description="不制冷"),
                                              Actor("agent2", "agent", web.users["agent2"]))
    agent = await web.login("agent1")
    ws = await agent.ws_connect("/ws", headers={"Origin": web.origin})
    status, body = await dial(agent, f"/tickets/{ticket_id}", number="138 0013 8000", customer=str(customer),
                              ticket=str(ticket_id))
    assert (status, body) == (200, {"ok": True, "result": "sent", "message": "您的话机正在振铃：接起后即拨打客户。"})
    [originate] = [dict(a["fields"]) for a in pbx.actions_named("Originate")]
    assert (originate["Channel"], originate["Context"], originate["Exten"]) == ("PJSIP/1001", "hotline-dial", ZHANG)

    pop = await next_of(ws, "pop")  # the agent's phone rings, showing who will be called
    assert (pop["interface"], pop["state"], pop["caller"]["e164"], pop["direction"]) == (
        "PJSIP/1001", "ringing", ZHANG, "outbound")
    assert [c["name"] for c in pop["customers"]] == ["张三"]
    assert not [c for c in pbx.channels() if "carrier" in c["channel"]]  # the customer is not called yet
    await eventually(lambda: any("carrier" in c["channel"] for c in pbx.channels()), what="the customer dialled")
    await eventually(lambda: not pbx.channels(), timeout=10, what="the call over")

    async def ended() -> list:
        return [a for a in await rows(db, CampaignAttempt) if a.state == "ended"]

    for _ in range(50):
        if await ended():
            break
        await asyncio.sleep(0.1)
    [attempt] = await ended()
    [call] = await rows(db, Call)
    assert (call.direction, call.caller_e164, call.customer_id, call.answered_by, call.disposition) == (
        "outbound", ZHANG, customer, "PJSIP/1001", "answered")
    assert attempt.outcome == "answered" and attempt.call_id == call.call_id
    linked = [(tc.ticket_id, tc.call_id) for tc in await rows(db, TicketCall)]
    assert linked == [(ticket_id, call.call_id)]  # the call joined the ticket it was made about
    [contact] = await rows(db, CampaignContact)
    assert (contact.source, contact.state, contact.ticket_id, contact.owner_id) == (
        "dial", "done", ticket_id, web.users["agent1"])


async def test_a_busy_customer_leaves_a_failed_call_and_nothing_pending(hotline, pbx, db):
    web, _ = hotline
    pbx.set_number(ZHANG, outcome="busy")
    agent = await web.login("agent1")
    status, body = await dial(agent, "/calls", number=ZHANG)
    assert status == 200, body
    for _ in range(100):
        calls = await rows(db, Call)
        if calls and calls[0].disposition:
            break
        await asyncio.sleep(0.1)
    [call] = calls
    assert (call.disposition, call.answered_by, call.talk_seconds or 0) == ("failed", "PJSIP/1001", 0)
    for _ in range(50):
        [attempt] = await rows(db, CampaignAttempt)
        if attempt.state == "ended":
            break
        await asyncio.sleep(0.1)
    assert (attempt.state, attempt.outcome) == ("ended", "busy")  # its line is free again
    [contact] = await rows(db, CampaignContact)
    assert (contact.state, contact.outcome, contact.next_at) == ("exhausted", "busy", None)  # never dialled by itself


async def test_refusals_say_why_and_dial_nothing(hotline, pbx, db):
    web, _ = hotline
    agent, boss = await web.login("agent1"), await web.login("boss")
    status, body = await dial(boss, "/calls", number=ZHANG)
    assert (status, body["code"]) == (409, "no_phone")
    status, body = await dial(agent, "/calls", number="not a number")
    assert status == 409 and body["code"] == "no_number"
    status, body = await dial(agent, "/calls", number=ZHANG, ticket="12abc")
    assert status == 409 and body["code"] == "bad_request"
    assert pbx.actions_named("Originate") == [] and await rows(db, CampaignContact) == []
