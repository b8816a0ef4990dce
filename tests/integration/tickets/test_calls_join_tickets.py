"""Calls join tickets, through the PBX simulator over TCP and the whole service (SQLite and PostgreSQL):
the call of a customer with one open ticket is linked to it; with two, to none (the agent chooses);
a queue with a ticket rule opens one for an answered call of a customer without one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ami_support import ami_settings, eventually, no_leaks, sim  # noqa: F401  (fixtures)
from cti.app import Service
from cti.tickets.models import QueueTicketRule, Ticket, TicketCall, TicketEvent
from cti.tickets.service import NewTicket
from tests.integration.domains.helpers import add_customer
from tests.integration.tickets.support import AGENT

pytestmark = pytest.mark.usefixtures("no_leaks")
CALLER = "+8613800138000"


@pytest.fixture
async def service(db, sim):
    svc = Service(settings=ami_settings(sim.port), db=db)
    svc.wire()
    await svc.start()
    await eventually(lambda: svc.bridge.state == "connected" and svc.bridge.resyncs >= 1, what="service connected")
    yield svc
    await svc.stop()


async def _links(db, ticket_id: int) -> list[str]:
    async with db.session() as s:
        return list(await s.scalars(select(TicketCall.call_id).where(TicketCall.ticket_id == ticket_id)))


async def _finish(service: Service, sim_call) -> str:
    result = await sim_call
    await eventually(lambda: service.bus.stats()["tickets"]["depth"] == 0, what="tickets subscriber idle")
    await service.bus.drain()
    return result["linkedid"]


async def test_a_call_from_a_customer_with_one_open_ticket_is_linked_to_it(service, sim, db):
    customer = await add_customer(db, "王芳", CALLER)
    ticket_id, _ = await service.tickets.open(NewTicket(customer.id, "complaint", description="维修拖延"), AGENT)

    call_id = await _finish(service, sim.direct(agent="PJSIP/1001", after=1, talk=2, caller=CALLER, name="Wang Fang"))

    assert await _links(db, ticket_id) == [call_id]
    async with db.session() as s:
        lines = (await s.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket_id))).all()
    assert "call" in lines


async def test_with_two_open_tickets_the_call_waits_for_the_agent_to_choose(service, sim, db):
    customer = await add_customer(db, "王芳", CALLER)
    first, _ = await service.tickets.open(NewTicket(customer.id, "complaint"), AGENT)
    second, _ = await service.tickets.open(NewTicket(customer.id, "repair", "carry_in"), AGENT)

    call_id = await _finish(service, sim.direct(agent="PJSIP/1001", after=1, talk=2, caller=CALLER))

    assert await _links(db, first) == [] and await _links(db, second) == []
    assert await service.tickets.link_call(second, call_id, AGENT) is True
    assert await service.tickets.link_call(second, call_id, AGENT) is False  # twice changes nothing
    assert await _links(db, second) == [call_id]


async def test_a_queue_with_a_ticket_rule_opens_one_for_an_answered_call(service, sim, db):
    customer = await add_customer(db, "王芳", CALLER)
    async with db.session() as s:
        s.add(QueueTicketRule(queue="support", service_type="enquiry"))
        await s.commit()

    call_id = await _finish(service, sim.answered(agent="PJSIP/1001", after=1, talk=2, caller=CALLER))

    async with db.session() as s:
        tickets = (await s.scalars(select(Ticket).where(Ticket.customer_id == customer.id))).all()
    assert [(t.service_type, t.state, t.opened_by) for t in tickets] == [("enquiry", "open", "system")]
    assert await _links(db, tickets[0].id) == [call_id]
