"""The wallboard through the PBX: what a supervisor's screen receives on ``/wallboard/ws`` while the
simulator queues, rings, answers and drops calls, and after the AMI connection is lost.

The real service and console over HTTP, the simulator over TCP (20x real time), a real database. The
channel's messages are merged as the browser merges them (a snapshot, then the rows that changed).
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from ami_support import eventually, no_leaks  # noqa: F401  (fixtures)
from floor_support import floor, linked, pbx  # noqa: F401  (fixtures)
from web_support import stop_web

from cti.supervision.board import FLUSH_SECONDS

pytestmark = pytest.mark.usefixtures("no_leaks")


class Screen:
    """A supervisor's wallboard channel, merged as the browser merges it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.state: dict = {}
        self.messages = 0

    async def read_one(self, timeout: float) -> None:
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        body = msg.json()
        self.messages += 1
        data = body["data"]
        if body["type"] == "snapshot":
            self.state = data
        elif body["type"] == "update":
            for section in ("queues", "agents"):
                for key, row in data.get(section, {}).items():
                    if row is None:
                        self.state[section].pop(key, None)
                    else:
                        self.state[section][key] = row
            for section in ("calls", "hotline"):
                if section in data:
                    self.state[section] = data[section]

    async def until(self, predicate, what: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while not (self.state and predicate(self.state)):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the wallboard never showed {what}: {self.state}")
            try:
                await self.read_one(left)
            except TimeoutError:
                continue
        return self.state

    def queue(self, name: str = "support") -> dict:
        return self.state["queues"][name]


async def watch(web) -> Screen:
    client = await web.login("boss")
    ws = await client.ws_connect("/wallboard/ws", headers={"Origin": web.origin})
    screen = Screen(ws)
    await screen.read_one(3.0)
    return screen


async def test_a_waiting_call_and_an_abandoned_one_move_the_queues_figures(floor, pbx):
    web, _ = floor
    screen = await watch(web)
    assert set(screen.state["agents"]) == {"PJSIP/1001", "PJSIP/1002", "PJSIP/1003"}  # from QueueStatus
    assert screen.queue()["states"]["available"] == 3 and screen.queue()["offered"] == 0

    pbx.pause_all(True, "meeting")  # nobody takes calls: the caller waits
    await screen.until(lambda s: s["queues"]["support"]["states"]["paused"] == 3, "three agents paused")
    handle = pbx.start_abandoned(caller="+8613900139000", name="李四", patience=12)
    await handle.started()
    state = await screen.until(lambda s: s["queues"]["support"]["waiting"] == 1, "a call waiting")
    assert state["queues"]["support"]["oldest"] is not None and state["queues"]["support"]["offered"] == 1
    [call] = state["calls"]["list"]
    assert (call["caller_num"], call["caller_name"], call["queue"], call["answered_at"]) == (
        "+8613900139000", "李四", "support", None)

    state = await screen.until(lambda s: s["queues"]["support"]["abandoned"] == 1, "the call abandoned")
    q = state["queues"]["support"]
    assert (q["waiting"], q["oldest"], q["offered"], q["answered"], q["abandon_rate"]) == (0, None, 1, 0, 1.0)
    assert q["service_level"] is None and q["grades"]["abandon_rate"] == "bad"
    assert state["calls"] == {"total": 0, "list": []}


async def test_a_short_abandon_is_offered_but_not_in_the_abandon_rate(floor, pbx):
    web, _ = floor
    screen = await watch(web)
    pbx.pause_all(True, "meeting")
    await pbx.abandoned(patience=2)  # under the 5 s threshold
    state = await screen.until(lambda s: s["queues"]["support"]["offered"] == 1 and not s["calls"]["total"],
                               "the short call over")
    q = state["queues"]["support"]
    assert (q["abandoned"], q["abandon_rate"]) == (0, None)


async def test_answered_calls_show_on_the_agent_and_the_service_level_agrees_with_the_pbx(floor, pbx):
    web, service = floor
    screen = await watch(web)
    first = pbx.start_answered(agent="PJSIP/1001", after=2, talk=40, only="PJSIP/1001", caller="+8613800000001")
    await first.started()
    state = await screen.until(lambda s: s["agents"]["PJSIP/1001"]["state"] == "on_call", "1001 on the call")
    assert state["agents"]["PJSIP/1001"]["call"]["caller_num"] == "+8613800000001"
    second = pbx.start_answered(agent="PJSIP/1001", after=2, talk=3, only="PJSIP/1001", caller="+8613800000002")
    third = pbx.start_answered(agent="PJSIP/1002", after=3, talk=3, only="PJSIP/1002", caller="+8613800000003")
    for handle in (first, second, third):
        await handle.wait(10)
    state = await screen.until(lambda s: s["queues"]["support"]["answered"] == 3, "three calls answered")
    q = state["queues"]["support"]
    assert q["service_level"] == pytest.approx(2 / 3)  # the second waited for 1001's first call: over 20 s
    assert state["agents"]["PJSIP/1001"]["answered"] == 2 and state["agents"]["PJSIP/1002"]["answered"] == 1

    [params] = [i for i in await service.bridge.gateway.queue_status(queue="support") if i.get("Event") == "QueueParams"]
    assert float(params["ServicelevelPerf"]) == pytest.approx(100 * q["service_level"], abs=0.1)
    assert int(params["Completed"]) == q["answered"]


async def test_after_a_dropped_connection_the_agents_states_come_back_from_queue_status(floor, pbx):
    web, service = floor
    screen = await watch(web)
    resyncs = service.bridge.resyncs
    pbx.go_silent(hold=True)
    await pbx.drop_connections()
    pbx.set_paused("PJSIP/1002", True, "lunch")  # made on the phone while we were away: no event reached us
    pbx.resume()
    await eventually(lambda: service.bridge.resyncs > resyncs, what="a resync after the reconnect")
    state = await screen.until(lambda s: s["agents"]["PJSIP/1002"]["state"] == "paused", "1002 paused")
    assert state["agents"]["PJSIP/1002"]["reason"] == "lunch"
    assert state["queues"]["support"]["states"]["paused"] == 1


async def test_the_channel_is_the_supervisors_and_coalesces_a_busy_floor(floor, pbx):
    web, _ = floor
    agent = await web.login("agent1")
    refused = await agent.get("/wallboard/ws", headers={"Origin": web.origin})
    assert refused.status == 403
    screen = await watch(web)
    begun, before = time.monotonic(), screen.messages
    handles = [pbx.start_answered(agent="PJSIP/1003", after=1, talk=2, caller=f"+86139000000{i:02d}") for i in range(12)]
    await asyncio.gather(*(handle.wait(20) for handle in handles))
    await screen.until(lambda s: s["queues"]["support"]["answered"] + s["queues"]["support"]["abandoned"] == 12,
                       "the twelve calls counted")
    seconds = time.monotonic() - begun
    # a dozen calls are hundreds of PBX events; the screen gets at most one update per flush interval
    assert screen.messages - before <= seconds / FLUSH_SECONDS + 2
