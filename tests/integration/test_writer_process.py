"""The writer process (CTI_WRITER_PROCESS): the call log and the calls-join-tickets linker in a child
process of their own, against the PBX simulator and a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import select

from ami_support import ami_settings, eventually, no_leaks, sim, watched_service  # noqa: F401  (fixtures)
from cti.app import Service
from cti.calls.models import Call
from cti.events import TicketOpened
from cti.tickets.models import QueueTicketRule, TicketCall
from cti.tickets.service import NewTicket
from tests.integration.domains.helpers import add_customer
from tests.integration.tickets.support import AGENT

pytestmark = pytest.mark.usefixtures("no_leaks")
CALLER = "+8613800138000"


@pytest.fixture
async def service(db, sim):
    svc = await watched_service(db, sim.port, writer_process=True)
    await eventually(lambda: svc.bridge.state == "connected" and svc.bridge.resyncs >= 1, what="service connected")
    yield svc
    await svc.stop()
    assert svc.writers.pid is None  # the child was stopped with the service


async def _rows(db) -> list[Call]:
    async with db.session() as s:
        return list(await s.scalars(select(Call).order_by(Call.id)))


async def test_calls_are_logged_and_linked_by_the_writer_process_before_drain_returns(service, sim, db):
    assert service.writers.pid not in (None, os.getpid())
    customer = await add_customer(db, "王芳", CALLER)
    ticket_id, _ = await service.tickets.open(NewTicket(customer.id, "complaint"), AGENT)

    result = await sim.direct(agent="PJSIP/1001", after=1, talk=2, caller=CALLER, name="Wang Fang")
    await eventually(lambda: any(getattr(e, "call_id", "") == result["linkedid"] and type(e).__name__ == "CallEnded"
                                 for e in service.seen), what="call ended")
    await service.bus.drain()

    (row,) = await _rows(db)
    assert (row.call_id, row.disposition, row.customer_id) == (result["linkedid"], "answered", customer.id)
    async with db.session() as s:
        assert list(await s.scalars(select(TicketCall.call_id).where(TicketCall.ticket_id == ticket_id))) == [
            result["linkedid"]]
    assert service.writers.writers["calls"]["failed"] == 0 and service.writers.writers["calls"]["handled"] > 0


async def test_what_the_writer_process_opens_is_published_on_the_services_bus(service, sim, db):
    customer = await add_customer(db, "王芳", CALLER)
    async with db.session() as s:
        s.add(QueueTicketRule(queue="support", service_type="enquiry"))
        await s.commit()

    result = await sim.answered(agent="PJSIP/1001", after=1, talk=2, caller=CALLER)
    await eventually(lambda: any(isinstance(e, TicketOpened) for e in service.seen), what="ticket opened")

    (opened,) = [e for e in service.seen if isinstance(e, TicketOpened)]
    assert (opened.customer_id, opened.call_id, opened.service_type) == (customer.id, result["linkedid"], "enquiry")


async def test_a_killed_writer_process_is_started_again_and_nothing_is_lost_or_doubled(service, sim, db):
    first = await sim.direct(agent="PJSIP/1001", after=1, talk=1, caller=CALLER)
    await eventually(lambda: len(service.seen) > 0 and service.bus.stats()["writers"]["depth"] == 0, what="idle")
    await service.bus.drain()
    os.kill(service.writers.pid, signal.SIGKILL)

    second = await sim.direct(agent="PJSIP/1002", after=1, talk=1, caller="+8613900139000")
    await eventually(lambda: any(getattr(e, "call_id", "") == second["linkedid"] and type(e).__name__ == "CallEnded"
                                 for e in service.seen), what="second call ended")
    await service.bus.drain()

    assert service.writers.starts == 2
    rows = await _rows(db)
    assert sorted(r.call_id for r in rows) == sorted([first["linkedid"], second["linkedid"]])
    assert all(r.disposition == "answered" for r in rows)


async def test_status_shows_the_writer_process(service, sim, db):
    status = service.writers.status()
    assert status["ok"] and status["state"] == "running" and status["pid"] == service.writers.pid


def test_an_in_memory_database_keeps_the_writers_in_the_service(sim):
    from cti.store import Database

    svc = Service(settings=ami_settings(sim.port, writer_process=True), db=Database("sqlite+aiosqlite:///:memory:"))
    svc.wire()
    assert svc.writers is None and {"calls", "tickets"} <= set(svc.bus.stats())
