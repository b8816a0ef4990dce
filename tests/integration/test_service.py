"""The whole service (``cti.app.Service``) against the PBX simulator and a real database.

PBX → AMI over TCP → bridge → tracker → bus → call log rows and screen pops in
the hub, on SQLite and (when configured) PostgreSQL. Asserts what a user sees:
the pop on the right console, the call log row.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ami_support import ami_settings, eventually, no_leaks, sim  # noqa: F401  (fixtures)
from cti.app import Service
from cti.calls.models import Call
from cti.customers import service as customers
from cti.phone import normalise
from cti.users import service as users

CUSTOMER_PHONE = "13800138000"  # as a person types it; the PBX sends +8613800138000
CUSTOMER_NAME = "张伟"

pytestmark = pytest.mark.usefixtures("no_leaks")  # first in, last out: checked after every teardown


@pytest.fixture
async def seeded(db):
    """One customer; agents bound to PJSIP/1001, 1002 and 1003, and a supervisor whose phone is no queue member."""
    async with db.session() as session:
        customer = await customers.create(
            session, customers.NewCustomer(name=CUSTOMER_NAME, phones=[normalise(CUSTOMER_PHONE)]), actor="test")
        ids = {"customer": customer.id}
        for name, iface in (("agent1", "PJSIP/1001"), ("agent2", "PJSIP/1002"), ("agent3", "PJSIP/1003"),
                            ("boss", "PJSIP/2000")):
            user = await users.create(session, username=name, password="secret-pass-1", interface=iface)
            ids[name] = user.id
    return ids


@pytest.fixture
async def service(db, sim, seeded):
    svc = Service(settings=ami_settings(sim.port), db=db)
    svc.wire()
    await svc.start()
    assert svc.bridge is not None
    await eventually(lambda: svc.bridge.state == "connected" and svc.bridge.resyncs >= 1, what="service connected")
    yield svc
    await svc.stop()


def messages(service: Service, user_id: int, kind: str | None = None) -> list:
    """What the user's console was told about calls (``pop``, ``call``; or only ``kind``): their phone's own
    queue states (``agent``, for the agent's bar) are not about a call."""
    conn = service.hub.connect(user_id, last_id=0)
    try:
        return [m for m in conn.pending() if (m.type in ("pop", "call") if kind is None else m.type == kind)]
    finally:
        conn.close()


async def call_rows(db) -> list[Call]:
    async with db.session() as session:
        return list(await session.scalars(select(Call).options(selectinload(Call.legs)).order_by(Call.id)))


async def ended_row(service: Service, db, call_id: str) -> Call:
    """Wait for the call's row to be complete, then for every subscriber to catch up."""
    async def done() -> Call | None:
        rows = [r for r in await call_rows(db) if r.call_id == call_id and r.disposition]
        return rows[0] if rows else None

    for _ in range(500):
        row = await done()
        if row is not None:
            await service.bus.drain()
            return row
        await asyncio.sleep(0.01)
    raise AssertionError(f"no ended call row for {call_id}")


async def test_inbound_call_pops_for_the_ringing_agent_only_and_is_logged(service, sim, db, seeded):
    result = await sim.direct(agent="PJSIP/1001", after=2, talk=3, caller="+8613800138000", name="Zhang Wei")
    row = await ended_row(service, db, result["linkedid"])

    (pop,) = messages(service, seeded["agent1"], "pop")
    assert pop.data["call_id"] == result["linkedid"] and pop.data["interface"] == "PJSIP/1001"
    assert [c["name"] for c in pop.data["customers"]] == [CUSTOMER_NAME]
    assert pop.data["caller"]["e164"] == "+8613800138000"
    for other in ("agent2", "agent3", "boss"):
        assert messages(service, seeded[other]) == [], f"{other}'s phone did not ring"
    states = [m.data["state"] for m in messages(service, seeded["agent1"])]
    assert states == ["ringing", "answered", "ended"]

    (only,) = await call_rows(db)
    assert only.id == row.id
    assert (row.disposition, row.direction, row.queue) == ("answered", "inbound", "support")
    assert (row.wait_seconds, row.talk_seconds) == (2, 3)
    assert (row.answered_by, row.last_agent) == ("PJSIP/1001", "PJSIP/1001")
    assert row.customer_id == seeded["customer"] and row.caller_e164 == "+8613800138000"
    assert row.caller_name == "Zhang Wei" and row.dnis == "4008001234" and row.hangup_cause == 16
    assert [(leg.interface, leg.outcome) for leg in row.legs] == [("PJSIP/1001", "answered")]


async def test_ringall_call_pops_once_for_every_ringing_agent(service, sim, db, seeded):
    result = await sim.answered(agent="PJSIP/1001", after=2, talk=5, caller="+8613800138000", name="Zhang Wei")
    row = await ended_row(service, db, result["linkedid"])

    for agent in ("agent1", "agent2", "agent3"):
        (pop,) = messages(service, seeded[agent], "pop")
        assert [c["name"] for c in pop.data["customers"]] == [CUSTOMER_NAME]
    assert messages(service, seeded["boss"]) == []
    assert [m.data["state"] for m in messages(service, seeded["agent2"], "call")] == ["answered_elsewhere", "ended"]
    assert (row.disposition, row.answered_by, row.wait_seconds, row.talk_seconds) == ("answered", "PJSIP/1001", 2, 5)
    assert sorted((leg.interface, leg.outcome) for leg in row.legs) == [
        ("PJSIP/1001", "answered"), ("PJSIP/1002", "answered_elsewhere"), ("PJSIP/1003", "answered_elsewhere")]
    assert len(await call_rows(db)) == 1


async def test_abandoned_call_is_logged_with_its_wait(service, sim, db, seeded):
    result = await sim.abandoned(caller="+8613800138000", name="Zhang Wei", patience=7,
                                 only="PJSIP/1003")
    row = await ended_row(service, db, result["linkedid"])

    assert (row.disposition, row.wait_seconds, row.talk_seconds) == ("abandoned", 7, 0)
    assert (row.answered_by, row.answered_at) == ("", None)
    assert row.customer_id == seeded["customer"]
    assert [m.data["state"] for m in messages(service, seeded["agent3"])] == ["ringing", "caller_left", "ended"]
    assert len(await call_rows(db)) == 1


async def test_connection_drop_mid_call_still_gives_one_call_row(service, sim, db, seeded):
    handle = sim.start_direct(agent="PJSIP/1002", after=2, talk=3600, caller="+8613800138000", name="Zhang Wei")
    await handle.started()

    async def answered_in_log() -> bool:
        return any(r.answered_by == "PJSIP/1002" for r in await call_rows(db))

    for _ in range(500):
        if await answered_in_log():
            break
        await asyncio.sleep(0.01)
    assert await sim.drop_connections() == 1
    await eventually(lambda: service.bridge.reconnects == 1 and service.bridge.resyncs == 2, what="resync")
    assert (await service.bridge.gateway.hangup(handle.agent_channel)).ok  # the agent hangs up
    result = await handle
    row = await ended_row(service, db, result["linkedid"])

    (only,) = await call_rows(db)
    assert only.id == row.id
    assert (row.disposition, row.answered_by, row.wait_seconds) == ("answered", "PJSIP/1002", 2)
    assert row.talk_seconds == result["talk_time"] > 0
    assert row.customer_id == seeded["customer"]
    assert len(messages(service, seeded["agent2"], "pop")) == 1
    assert [m.data["state"] for m in messages(service, seeded["agent2"], "call")] == ["answered", "ended"]


async def test_transferred_call_updates_each_console_once(service, sim, db, seeded):
    result = await sim.transferred(agent="PJSIP/1001", to="1002", after=2, caller="+8613800138000", name="Zhang Wei")
    row = await ended_row(service, db, result["linkedid"])

    def states(user: str) -> list[str]:
        return [m.data["state"] for m in messages(service, seeded[user])]

    assert states("agent1") == ["ringing", "answered", "transferred", "ended"]
    assert states("agent2") == ["ringing", "answered_elsewhere", "ringing", "answered", "ended"]
    assert states("agent3") == ["ringing", "answered_elsewhere", "ended"], "a closed pop is not re-opened"
    assert (row.disposition, row.answered_by, row.last_agent) == ("transferred", "PJSIP/1001", "PJSIP/1002")
    assert row.customer_id == seeded["customer"]
    assert len(await call_rows(db)) == 1
