"""Each person's work not done over HTTP: what ``/api/todo`` (the header's count) and the console's card say
for an agent (callbacks due, their tickets, late ones apart) and for a supervisor (escalations to
acknowledge, tickets with a broken promise), and nothing for someone who owes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from web_support import web  # noqa: F401  (fixture)

from cti.http import keys
from cti.tickets.models import Ticket
from cti.tickets.service import SYSTEM, Actor, NewTicket
from tests.integration.campaigns.test_callbacks_web import add_campaign, schedule, due_now

ZHANG = "+8613800138000"


async def todo(client) -> dict:
    resp = await client.get("/api/todo", headers={"Accept": "application/json"})
    assert resp.status == 200
    return await resp.json()


def counts(data: dict) -> dict[str, int]:
    return {i["key"]: i["count"] for i in data["items"]}


async def test_an_agent_and_a_supervisor_are_each_told_what_they_still_owe(web):
    service = web.app[keys.SERVICE]
    agent, boss, other = await web.login("agent1"), await web.login("boss"), await web.login("agent2")
    assert await todo(other) == {"total": 0, "items": []}

    await add_campaign(web.db)
    contact = (await (await schedule(agent, reason="回电确认")).json())["callback"]["id"]
    await due_now(web, contact)
    customer = await web.add_customer("张三", ZHANG)
    me = Actor("agent1", "agent", web.users["agent1"])
    first, _ = await service.tickets.open(NewTicket(customer, "repair", "carry_in", description="不制冷"), me)
    await service.tickets.open(NewTicket(customer, "installation", "on_site", description="装空调"), me)
    async with web.db.session() as s:  # the first one's promise was broken
        await s.execute(update(Ticket).where(Ticket.id == first).values(sla_status="breached"))
        await s.commit()

    mine = await todo(agent)
    assert counts(mine) == {"callbacks_due": 1, "tickets_late": 1, "tickets_mine": 2}
    assert mine["total"] == 4
    [late] = [i for i in mine["items"] if i["key"] == "tickets_late"]
    assert (late["label"], late["urgent"], late["href"]) == ("我的即将超时/已超时工单", True, "/tickets?mine=1")
    page = await (await agent.get("/")).text()
    assert 'data-testid="todo-callbacks_due">1<' in page and "待回拨" in page

    complaint, _ = await service.tickets.open(NewTicket(customer, "complaint", description="三次未修好"), SYSTEM)
    for n in range(3):  # the customer keeps calling: escalated to the supervisors
        await service.tickets.link_call(complaint, f"todo.{n}", SYSTEM)
    await service.tickets.settled()
    await service.bus.drain()
    assert counts(await todo(boss)) == {"escalations": 1, "tickets_breached": 1}
    assert "escalations" not in counts(await todo(agent))


async def test_the_wallboard_shows_each_queues_csat_today_from_the_follow_ups(web):
    """A rating given today counts for the queue its ticket's call came through (docs/METRICS.md)."""
    from cti.calls.models import Call
    from cti.campaigns.models import Campaign, CampaignContact, SurveyRating
    from cti.org.tree import EVERYTHING
    from cti.supervision.board import Screen
    from cti.tickets.models import TicketCall

    service = web.app[keys.SERVICE]
    customer = await web.add_customer("张三", ZHANG)
    ticket, _ = await service.tickets.open(NewTicket(customer, "repair", "carry_in", description="不制冷"), SYSTEM)
    now = dt.datetime.now(dt.UTC)
    async with web.db.session() as s:
        s.add(Call(call_id="csat.1", direction="inbound", caller_raw=ZHANG, caller_e164=ZHANG, queue="support",
                   offered_at=now, disposition="answered", answered_by="PJSIP/1001"))
        s.add(TicketCall(ticket_id=ticket, call_id="csat.1"))
        campaign = Campaign(name="回访", kind="survey", feed="resolved", state="running")
        s.add(campaign)
        await s.flush()
        for n, rating in enumerate((5, 4, 2)):
            contact = CampaignContact(campaign_id=campaign.id, e164=ZHANG, ticket_id=ticket)
            s.add(contact)
            await s.flush()
            s.add(SurveyRating(contact_id=contact.id, campaign_id=campaign.id, rating=rating, ticket_id=ticket,
                               keyed_at=now))
        await s.commit()
    await service.board.refresh_counts()
    row = service.board.snapshot(Screen(EVERYTHING))["queues"]["support"]
    assert (row["csat"], row["ratings"], row["grades"]["csat"]) == (2 / 3, 3, "bad")  # 67 %: below 70 %
