"""Campaigns filled by themselves, through the PBX simulator over TCP (SQLite file and PostgreSQL):
an abandoned call's callback (once, dialled, answered, popped on the agent with why it was made;
dropped when the caller gets through), a resolved ticket's satisfaction follow-up (the key lands as a
rating on the ticket, the agent, the engineer and the model; 1 or 2 opens a complaint; 9 puts the
number on the do-not-call list; nothing is retried per policy), and a repair notification call counted
on the ticket's notification item."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from ami_support import eventually, no_leaks, sim  # noqa: F401  (fixtures)
from cti.calls.models import Call
from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact, DoNotCall, SurveyRating
from cti.customers.models import Product
from cti.tickets.models import Ticket, TicketNotification
from cti.tickets.service import Actor, NewTicket
from cti.users import service as users
from tests.integration.domains.helpers import add_customer

pytestmark = pytest.mark.usefixtures("no_leaks")
ZHANG, LI, WANG = "+8613800138000", "+8613912345678", "+8618612345678"  # the simulator answers them all
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}
ADMIN = Actor("admin1", "admin")


async def add_campaign(db, **fields) -> int:
    values = dict(state="running", window=ALWAYS, dial="PJSIP/{number}@carrier", caller_id='"Customer Care" <4008001234>',
                  per_minute=6000, max_concurrent=10, queue="support") | fields
    async with db.session() as s:
        row = Campaign(**values)
        s.add(row)
        await s.commit()
        return row.id


async def rows(db, model, *where):
    async with db.session() as s:
        return list(await s.scalars(select(model).where(*where)))


async def settled(db, timeout: float = 20.0) -> list[CampaignContact]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await rows(db, CampaignContact)
        if found and all(c.state != "dialling" for c in found):
            return found
        assert asyncio.get_running_loop().time() < deadline, [(c.e164, c.state) for c in found]
        await asyncio.sleep(0.05)


async def agent(db, number: str) -> int:
    async with db.session() as s:
        return (await users.create(s, username=f"agent{number}", password=f"pw-{number}-long", interface=f"PJSIP/{number}",
                                   display_name=f"坐席{number}")).id


def pops_of(service, user_id: int) -> list[dict]:
    return [m.data for m in service.hub.connect(user_id, last_id=0).pending() if m.type == "pop"]


# -- callbacks of abandoned calls ---------------------------------------------------------------------

async def test_an_abandoned_call_is_called_back_once_answered_and_popped_on_the_agent_as_a_callback(service, sim, db):
    await add_campaign(db, name="未接回拨", kind="callback", feed="abandoned", context="hotline-callback")
    agent_id = await agent(db, "1001")
    sim.pause_all(True, "Meeting")  # nobody takes the first call: Zhang San gives up after 25 s
    await sim.abandoned(patience=25, caller=ZHANG, name="Zhang San")
    await sim.abandoned(patience=30, caller=ZHANG, name="Zhang San")  # again the same day: still one callback
    (contact,) = await eventually_rows(db, CampaignContact, 1)
    await asyncio.sleep(0.3)
    assert len(await rows(db, CampaignContact)) == 1
    assert (contact.e164, contact.source, contact.state, contact.data["waited"]) == (ZHANG, "abandoned", "pending", 25)
    sim.pause_all(False)

    service.clock.now = dt.datetime.now(dt.UTC)
    assert await service.dialer.tick() == 1
    (done,) = await settled(db)
    assert (done.state, done.outcome) == ("done", "answered")
    assert len(sim.actions_named("Originate")) == 1
    await eventually(lambda: pops_of(service, agent_id), what="the callback's pop")
    pop = pops_of(service, agent_id)[0]
    assert pop["caller"]["e164"] == ZHANG
    assert pop["origin"]["kind"] == "callback" and pop["origin"]["source"] == "abandoned"
    assert (pop["origin"]["queue"], pop["origin"]["waited"]) == ("support", 25)
    assert await service.dialer.tick() == 0


async def eventually_rows(db, model, count: int, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await rows(db, model)
        if len(found) >= count:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"{len(found)} {model.__name__} rows, not {count}"
        await asyncio.sleep(0.05)


async def test_a_callback_is_dropped_when_the_caller_gets_through_meanwhile(service, sim, db):
    await add_campaign(db, name="未接回拨", kind="callback", feed="abandoned", context="callback")
    sim.pause_all(True, "Meeting")
    await sim.abandoned(patience=20, caller=LI, name="Li Si")
    await eventually_rows(db, CampaignContact, 1)
    sim.pause_all(False)
    await sim.answered(caller=LI, name="Li Si")  # Li Si calls again and an agent answers

    async def dropped():
        (c,) = await rows(db, CampaignContact)
        return c.state == "cancelled" and c.outcome == "reached"

    deadline = asyncio.get_running_loop().time() + 10
    while not await dropped():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    service.clock.now = dt.datetime.now(dt.UTC)
    assert await service.dialer.tick() == 0
    assert sim.actions_named("Originate") == []


async def test_no_callback_for_a_short_wait_or_an_anonymous_caller(service, sim, db):
    await add_campaign(db, name="未接回拨", kind="callback", feed="abandoned", context="callback")
    sim.pause_all(True, "Meeting")
    await sim.abandoned(patience=5, caller=ZHANG, name="Zhang San")  # under the 10 s threshold
    await sim.abandoned(patience=25, caller="anonymous", name="Anonymous")
    deadline = asyncio.get_running_loop().time() + 10
    while len([c for c in await rows(db, Call) if c.disposition is not None]) < 2:  # both calls ended and logged
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    await service.bus.drain()  # and every subscriber has seen their ends
    assert await rows(db, CampaignContact) == []


# -- satisfaction follow-ups ------------------------------------------------------------------------------

async def resolved_repair(service, db, phone: str, *, model: str = "空调 KFR-35GW") -> int:
    customer_id = (await add_customer(db, "张三", phone, products=[(model, "KT1", dt.date(2026, 3, 1), 12)])).id
    async with db.session() as s:
        product_id = await s.scalar(select(Product.id).where(Product.customer_id == customer_id))
    ticket_id, _ = await service.tickets.open(NewTicket(customer_id, "repair", "carry_in", product_id=product_id,
                                                        description="不制冷"), ADMIN)
    for target in ("in_repair", "ready_for_pickup", "picked_up"):
        await service.tickets.change_state(ticket_id, target, ADMIN)
    return ticket_id


async def test_a_resolved_ticket_is_followed_up_after_the_delay_and_its_rating_lands_once(service, sim, db):
    await add_campaign(db, name="回访", kind="survey", feed="resolved", context="survey",
                       rules={"delay_minutes": 120})
    ticket_id = await resolved_repair(service, db, ZHANG)
    (contact,) = await eventually_rows(db, CampaignContact, 1)
    assert (contact.ticket_id, contact.source, contact.data["product_model"]) == (ticket_id, "resolved", "空调 KFR-35GW")
    assert contact.next_at == service.clock.now + dt.timedelta(minutes=120)
    assert await service.dialer.tick() == 0  # not before the delay

    service.clock.now += dt.timedelta(minutes=120)
    assert await service.dialer.tick() == 1
    (done,) = await settled(db)
    assert (done.state, done.outcome) == ("done", "answered")
    (rating,) = await eventually_rows(db, SurveyRating, 1)
    assert (rating.rating, rating.ticket_id, rating.agent, rating.product_model) == (4, ticket_id, "admin1",
                                                                                     "空调 KFR-35GW")
    assert rating.action_id == f"cti-{done.id}-1"
    async with db.session() as s:  # a 4 opens no complaint
        assert await s.scalar(select(func.count()).select_from(Ticket).where(Ticket.service_type == "complaint")) == 0


async def test_a_rating_of_two_opens_a_complaint_about_the_ticket(service, sim, db):
    sim.set_number(ZHANG, keys=["2"])
    await add_campaign(db, name="回访", kind="survey", feed="resolved", context="hotline-survey",
                       rules={"delay_minutes": 0})
    ticket_id = await resolved_repair(service, db, ZHANG)
    await eventually_rows(db, CampaignContact, 1)
    assert await service.dialer.tick() == 1
    (rating,) = await eventually_rows(db, SurveyRating, 1)
    assert rating.rating == 2

    async def complaint():
        async with db.session() as s:
            return (await s.scalars(select(Ticket).where(Ticket.service_type == "complaint"))).first()

    deadline = asyncio.get_running_loop().time() + 10
    while (found := await complaint()) is None:
        assert asyncio.get_running_loop().time() < deadline, "no complaint opened"
        await asyncio.sleep(0.05)
    rated = await rows(db, Ticket, Ticket.id == ticket_id)
    assert found.priority == "high" and rated[0].number in found.description
    assert found.customer_id == rated[0].customer_id


async def test_no_input_is_asked_again_then_tried_again_per_policy_and_nine_puts_the_number_on_the_list(
        service, sim, db):
    sim.set_number(LI, keys=["", "7"])  # nothing, then an invalid key after the re-prompt: no response
    sim.set_number(ZHANG, keys=["9"])
    sim.set_number(WANG, keys=["", "5"])  # nothing at first, 5 after the re-prompt
    campaign_id = await add_campaign(db, name="回访", kind="survey", context="hotline-survey",
                                     retry={"no_input": [1800, 3]})
    async with db.session() as s:
        s.add_all([CampaignContact(campaign_id=campaign_id, e164=n, next_at=service.clock.now) for n in (LI, ZHANG, WANG)])
        await s.commit()
    assert await service.dialer.tick() == 3
    found = {c.e164: c for c in await settled(db)}
    assert (found[LI].state, found[LI].outcome) == ("pending", "no_input")
    assert found[LI].next_at == service.clock.now + dt.timedelta(minutes=30)
    assert (found[ZHANG].state, found[ZHANG].outcome) == ("do_not_call", "do_not_call")
    assert (found[WANG].state, found[WANG].outcome) == ("done", "answered")
    (dnc,) = await rows(db, DoNotCall)
    assert (dnc.e164, dnc.source) == (ZHANG, "survey")
    assert [(r.contact_id, r.rating) for r in await rows(db, SurveyRating)] == [(found[WANG].id, 5)]

    service.clock.now += dt.timedelta(minutes=30)  # Li Si's retry falls due; Zhang San is never called again
    assert await service.dialer.tick() == 1
    dialled = [dict(a["fields"])["Channel"] for a in sim.actions_named("Originate")]
    assert dialled.count(f"PJSIP/{ZHANG}@carrier") == 1 and dialled.count(f"PJSIP/{LI}@carrier") == 2


# -- repair notifications ---------------------------------------------------------------------------------

async def test_a_repair_notification_call_is_counted_on_the_tickets_notification_item(service, sim, db):
    await add_campaign(db, name="维修通知", kind="notification", feed="notifications", context="hotline-notify")
    customer_id = (await add_customer(db, "李四", LI)).id
    ticket_id, _ = await service.tickets.open(NewTicket(customer_id, "repair", "carry_in", description="屏幕花"), ADMIN)
    for target in ("in_repair", "ready_for_pickup"):  # finishing the repair owes the customer a 修复通知
        await service.tickets.change_state(ticket_id, target, ADMIN)
    (item,) = await rows(db, TicketNotification)
    assert (item.kind, item.state) == ("repaired", "pending")

    assert await service.feeds.notifications() == 1
    assert await service.feeds.notifications() == 0  # one call per item
    (contact,) = await rows(db, CampaignContact)
    assert (contact.notification_id, contact.data["notice"]) == (item.id, "repaired")
    assert await service.dialer.tick() == 1
    fields = sim.actions_named("Originate")[0]["fields"]
    variables = dict(value.split("=", 1) for key, value in fields if key == "Variable")
    assert (variables["CTI_NOTICE"], variables["CTI_TICKET"]) == ("repaired", contact.data["ticket"])
    await settled(db)

    deadline = asyncio.get_running_loop().time() + 10
    while (await rows(db, TicketNotification))[0].attempts == 0:
        assert asyncio.get_running_loop().time() < deadline, "the attempt was not counted on the item"
        await asyncio.sleep(0.05)
    (item,) = await rows(db, TicketNotification)
    assert (item.attempts, item.state, item.done_by) == (1, "done", "campaigns"), (item.note, await rows(db, CampaignContact))
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(CampaignAttempt)) == 1
