"""A console that connects during a call shows it: a second tab, a login mid-call, every console after
a restart of the service while a phone rings or talks.

The real service and console over HTTP, the PBX simulator in real time (a phone rings 15 s) over TCP,
a real database. What is asserted is what the agent's browser receives on its push channel.
"""

from __future__ import annotations

import pytest
from ami_support import eventually, no_leaks  # noqa: F401  (fixtures)
from web_support import receive, start_web, stop_web

from cti.http import keys
from cti.tickets.service import Actor, NewTicket
from pbxsim import SimConfig, Simulator, documented_classes

CUSTOMER = "张三"
NUMBER = "+8613800138000"

pytestmark = pytest.mark.usefixtures("no_leaks")


@pytest.fixture
async def pbx(no_leaks):
    simulator = Simulator(SimConfig(port=0, time_scale=1.0, **documented_classes()))  # real time: a phone rings 15 s
    await simulator.start()
    yield simulator
    await simulator.stop()


async def console(db, pbx, *, seed: bool = True):
    web = await start_web(db, seed=seed, ami_port=pbx.port, ami_ping_interval=0.5, ami_reconnect_max=0.2)
    service = web.app[keys.SERVICE]
    await eventually(lambda: service.bridge.state == "connected" and service.bridge.resyncs >= 1, what="PBX linked")
    return web, service


async def snapshot_of(web, client) -> dict:
    """Open a push channel as a new tab would (no ``last``) and return its snapshot."""
    ws = await client.ws_connect("/ws", headers={"Origin": web.origin})
    assert (await receive(ws))["type"] == "hello"
    snapshot = await receive(ws)
    await ws.close()
    assert snapshot["type"] == "snapshot" and snapshot["id"] is None
    return snapshot["data"]


def live_on(service, interface: str, state: str):
    return lambda: [p for p in service.pops.live(interface, "zh") if p["state"] == state]


async def test_a_login_and_a_second_tab_during_ringing_show_the_ringing_call(db, pbx):
    web, service = await console(db, pbx)
    try:
        await web.add_customer(CUSTOMER, NUMBER)
        handle = pbx.start_inbound(caller=NUMBER, name="Zhang San", answers={}, patience=60)
        await handle.started()
        await eventually(live_on(service, "PJSIP/1001", "ringing"), what="ringing on 1001")

        client = await web.login("agent1")  # logs in while the phone rings
        first_tab = await snapshot_of(web, client)
        second_tab = await snapshot_of(web, client)
        for data in (first_tab, second_tab):
            [pop] = data["pops"]
            assert (pop["call_id"], pop["state"], pop["interface"]) == (handle.linkedid, "ringing", "PJSIP/1001")
            assert [c["name"] for c in pop["customers"]] == [CUSTOMER]
            assert pop["caller"]["e164"] == NUMBER and data["synced"] is True
        boss = await web.login("boss")  # no phone: nothing to show
        assert (await snapshot_of(web, boss))["pops"] == []
    finally:
        await stop_web(web)


async def test_a_tab_opened_later_in_the_call_shows_the_tickets_opened_and_changed_during_it(db, pbx):
    web, service = await console(db, pbx)
    try:
        customer = await web.add_customer(CUSTOMER, NUMBER)
        handle = pbx.start_inbound(caller=NUMBER, name="Zhang San", answers={}, patience=60)
        await handle.started()
        await eventually(live_on(service, "PJSIP/1001", "ringing"), what="ringing on 1001")
        client = await web.login("agent1")
        [before] = (await snapshot_of(web, client))["pops"]
        assert before["customers"][0]["tickets"]["open"] == []

        agent = Actor("agent1", "agent", web.users["agent1"])
        ticket_id, number = await service.tickets.open(
            NewTicket(customer, "repair", "carry_in", description="洗衣机漏水", call_id=handle.linkedid), agent)
        await service.bus.drain()
        [after] = (await snapshot_of(web, client))["pops"]  # a second tab, a reload
        [shown] = after["customers"][0]["tickets"]["open"]
        assert (shown["id"], shown["number"], shown["state"]) == (ticket_id, number, "awaiting_repair")

        await service.tickets.change_state(ticket_id, "in_repair", Actor("boss", "supervisor", web.users["boss"]))
        await service.bus.drain()
        [later] = (await snapshot_of(web, client))["pops"]
        assert [t["state"] for t in later["customers"][0]["tickets"]["open"]] == ["in_repair"]
    finally:
        await stop_web(web)


async def test_after_a_restart_the_ringing_and_the_answered_calls_are_shown_again(db, pbx):
    web, service = await console(db, pbx)
    await web.add_customer(CUSTOMER, NUMBER)
    await web.add_customer("李四", "+8613912345678")
    talking = pbx.start_answered(caller="+8613912345678", name="Li Si", agent="PJSIP/1002", after=0.3, talk=60)
    await eventually(live_on(service, "PJSIP/1002", "answered"), what="1002 talking")
    ringing = pbx.start_direct(agent="PJSIP/1001", after=None, caller=NUMBER, name="Zhang San", patience=60)
    await eventually(live_on(service, "PJSIP/1001", "ringing"), what="1001 ringing")
    await stop_web(web)  # the service stops; the PBX goes on

    web, service = await console(db, pbx, seed=False)  # a new process on the same database
    try:
        agent1, agent2 = await web.login("agent1"), await web.login("agent2")
        [rung] = (await snapshot_of(web, agent1))["pops"]
        assert (rung["call_id"], rung["state"]) == (ringing.linkedid, "ringing")
        assert [c["name"] for c in rung["customers"]] == [CUSTOMER]
        [talk] = (await snapshot_of(web, agent2))["pops"]
        assert (talk["call_id"], talk["state"]) == (talking.linkedid, "answered")
        assert [c["name"] for c in talk["customers"]] == ["李四"]
    finally:
        await stop_web(web)
