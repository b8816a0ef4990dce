"""The AMI bridge against the PBX simulator over real TCP: login, calls, drops, silence, actions.

Each test shows one thing a user (the service, an operator reading /status)
would see. The PBX is the simulator; the relay is only a piece of network.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from ami_support import (  # noqa: F401  (fixtures)
    PING,
    TIME_SCALE,
    Relay,
    eventually,
    make_bridge,
    no_leaks,
    of_type,
    published,
    relay,
    sim,
)
from cti.ami.actions import AmiDisconnected, AmiNotConnected, AmiTimeout
from cti.events import Direction, Disposition
from pbxsim.call import Command


pytestmark = pytest.mark.usefixtures("no_leaks")  # first in, last out: checked after every teardown


async def test_bridge_logs_in_and_rebuilds_state_from_the_pbx(sim, make_bridge, published):
    bridge = await make_bridge()

    status = bridge.status()
    assert status["state"] == "connected"
    assert (status["host"], status["port"]) == ("127.0.0.1", sim.port)
    assert status["last_error"] == "" and status["connected_since"] is not None
    assert [c["authenticated"] for c in sim.connections()] == [True]
    assert [a["name"] for a in sim.actions][:3] == ["Login", "QueueStatus", "CoreShowChannels"]
    # The QueueStatus of the resync gives the agents' states.
    await eventually(lambda: len(of_type(published, "AgentStateChanged")) == 3, what="3 agent states")
    assert {e.interface for e in published} == {"PJSIP/1001", "PJSIP/1002", "PJSIP/1003"}


async def test_wrong_secret_shows_login_failed_and_keeps_retrying(sim, make_bridge, caplog):
    caplog.set_level(logging.ERROR, logger="cti.ami.bridge")
    bridge = await make_bridge(ami_secret="wrong-password", connected=False)

    await eventually(lambda: bridge.state == "login_failed", what="login_failed")
    assert bridge.status()["last_error"] == "Authentication failed"
    await eventually(lambda: len(sim.actions_named("Login")) >= 3, what="three login attempts")
    assert bridge.state == "login_failed"
    failures = [r for r in caplog.records if "login" in r.getMessage() and "failed" in r.getMessage()]
    assert len(failures) == 1, "a login failure is logged once per change, not once per retry"
    assert "wrong-password" not in caplog.text


async def test_backoff_grows_and_is_capped(sim, make_bridge):
    bridge = await make_bridge(connected=False, ami_reconnect_max=4.0)
    await bridge.stop()
    delays = [[bridge._backoff(n) for _ in range(50)] for n in (1, 2, 3, 10)]
    assert all(0.5 <= d <= 1.0 for d in delays[0])
    assert all(1.0 <= d <= 2.0 for d in delays[1])
    assert all(2.0 <= d <= 4.0 for d in delays[2] + delays[3])
    assert len(set(delays[3])) > 1, "jittered"


async def test_unreachable_pbx_is_reported_and_retried(sim, make_bridge, relay):
    relay.blocked = True
    bridge = await make_bridge(relay.port, connected=False)
    await eventually(lambda: bridge.status()["last_error"], what="an error")
    assert bridge.state in ("connecting", "disconnected")
    with pytest.raises(AmiNotConnected, match="not connected to the PBX"):
        await bridge.gateway.ping()
    relay.blocked = False
    await eventually(lambda: bridge.state == "connected", what="connected once reachable")


async def test_scripted_call_reaches_the_tracker_as_domain_events(sim, make_bridge, published):
    await make_bridge()
    result = await sim.answered(caller="+8613800138000", name="Zhang San", agent="PJSIP/1001", after=2, talk=3)
    call_id = result["linkedid"]

    ended = await eventually(lambda: of_type(published, "CallEnded", call_id), what="CallEnded")
    names = [type(e).__name__ for e in published if getattr(e, "call_id", None) == call_id]
    assert names[:3] == ["CallOffered", "CallQueued", "AgentRinging"]
    assert names.index("CallAnswered") < names.index("CallEnded") == len(names) - 1
    offered = of_type(published, "CallOffered", call_id)[0]
    assert (offered.direction, offered.caller_num, offered.caller_name) == (Direction.INBOUND, "+8613800138000",
                                                                             "Zhang San")
    assert {e.interface for e in of_type(published, "AgentRinging", call_id)} == {"PJSIP/1001", "PJSIP/1002",
                                                                                  "PJSIP/1003"}
    (end,) = ended
    assert (end.disposition, end.answered_by, end.wait_seconds, end.talk_seconds) == (
        Disposition.ANSWERED, "PJSIP/1001", 2, 3)


async def test_drop_mid_call_then_resync_publishes_each_call_event_once(sim, make_bridge, published):
    bridge = await make_bridge()
    handle = sim.start_answered(caller="+8613912345678", name="Li Si", agent="PJSIP/1002", after=2, talk=3600)
    await handle.started()
    await eventually(lambda: of_type(published, "CallAnswered", handle.linkedid), what="answered")

    assert await sim.drop_connections() == 1
    await eventually(lambda: bridge.reconnects == 1 and bridge.resyncs == 2, what="reconnect and resync")
    assert bridge.state == "connected"
    assert (await bridge.gateway.hangup(handle.agent_channel)).ok  # the agent hangs up after the reconnect
    result = await handle
    call_id = result["linkedid"]

    await eventually(lambda: of_type(published, "CallEnded", call_id), what="CallEnded")
    await asyncio.sleep(0.1)
    assert len(of_type(published, "CallOffered", call_id)) == 1
    assert len(of_type(published, "CallAnswered", call_id)) == 1
    (end,) = of_type(published, "CallEnded", call_id)
    assert (end.disposition, end.answered_by) == (Disposition.ANSWERED, "PJSIP/1002")
    assert end.talk_seconds == result["talk_time"] > 0


async def test_call_that_ends_while_disconnected_is_ended_once_by_the_resync(sim, relay, make_bridge, published):
    bridge = await make_bridge(relay.port)
    handle = sim.start_answered(caller="+8613800138000", name="Zhang San", agent="PJSIP/1001", after=2, talk=20)
    await handle.started()
    await eventually(lambda: of_type(published, "CallAnswered", handle.linkedid), what="answered")

    relay.blocked = True
    relay.cut()
    await handle  # the call ends while the PBX is unreachable
    assert not of_type(published, "CallEnded", handle.linkedid)
    relay.blocked = False
    await eventually(lambda: bridge.resyncs == 2, what="resync after reconnect")

    await eventually(lambda: of_type(published, "CallEnded", handle.linkedid), what="CallEnded from the resync")
    await asyncio.sleep(0.1)
    (end,) = of_type(published, "CallEnded", handle.linkedid)
    assert (end.disposition, end.answered_by) == (Disposition.ANSWERED, "PJSIP/1001")
    assert len(of_type(published, "CallOffered", handle.linkedid)) == 1


async def test_call_that_starts_while_disconnected_is_offered_once_by_the_resync(sim, relay, make_bridge, published):
    bridge = await make_bridge(relay.port)
    relay.blocked = True
    relay.cut()
    handle = sim.start_answered(caller="+8613800138000", name="Zhang San", agent="PJSIP/1003", after=2, talk=3600)
    await handle.started()
    await eventually(lambda: handle.agent_channel, what="answered in the PBX")
    relay.blocked = False
    await eventually(lambda: bridge.resyncs == 2, what="resync after reconnect")
    await eventually(lambda: of_type(published, "CallAnswered", handle.linkedid), what="answered, from the resync")

    assert (await bridge.gateway.hangup(handle.channel)).ok  # the customer hangs up
    result = await handle
    await eventually(lambda: of_type(published, "CallEnded", result["linkedid"]), what="CallEnded")
    await asyncio.sleep(0.1)
    assert len(of_type(published, "CallOffered", result["linkedid"])) == 1
    (end,) = of_type(published, "CallEnded", result["linkedid"])
    assert (end.disposition, end.answered_by) == (Disposition.ANSWERED, "PJSIP/1003")


async def test_silent_pbx_is_detected_by_the_watchdog_and_reconnected(sim, make_bridge):
    bridge = await make_bridge()
    sim.go_silent()
    silent_at = time.monotonic()
    await eventually(lambda: bridge.state != "connected", timeout=3 * PING + 1, what="silence detected")
    detected_after = time.monotonic() - silent_at
    assert detected_after <= 2.5 * PING, f"detected after {detected_after:.2f}s"
    assert "silent" in bridge.status()["last_error"]

    sim.resume()
    await eventually(lambda: bridge.state == "connected" and bridge.reconnects == 1, what="reconnected")
    assert await bridge.gateway.ping() < 1.0


async def test_action_without_answer_times_out_with_a_clear_error(sim, make_bridge):
    bridge = await make_bridge(ami_action_timeout=0.3, ami_ping_interval=30)
    sim.go_silent()
    started = time.monotonic()
    with pytest.raises(AmiTimeout, match=r"AMI QueuePause .*no answer from the PBX within 0\.3s"):
        await bridge.gateway.queue_pause(queue="support", interface="PJSIP/1001", paused=True)
    assert 0.25 <= time.monotonic() - started < 1.0
    sim.resume()
    assert bridge.state == "connected"
    assert (await bridge.gateway.queue_pause(queue="support", interface="PJSIP/1001", paused=False)).ok


async def test_originate_is_never_resent_after_a_reconnect(sim, make_bridge, published):
    bridge = await make_bridge(ami_action_timeout=5.0, ami_ping_interval=30)
    sim.go_silent()  # the PBX takes the Originate but never answers it
    pending = asyncio.create_task(bridge.gateway.originate(
        channel="PJSIP/+8613800138000@carrier", context="callback", exten="s", caller_id="Customer Care <4008001234>",
        variables={"CTI_ACTION_ID": "cb-42-1"}, action_id="cb-42-1"))
    await eventually(lambda: sim.actions_named("Originate"), what="Originate received")
    await sim.drop_connections()
    with pytest.raises(AmiDisconnected, match="not re-sent"):
        await pending
    sim.resume()
    await eventually(lambda: bridge.reconnects == 1 and bridge.resyncs == 2, what="reconnect and resync")
    await asyncio.sleep(0.2)

    (originate,) = sim.actions_named("Originate")
    fields = dict(originate["fields"])
    assert fields["ActionID"] == "cb-42-1" and fields["Async"] == "true"
    assert [v for k, v in originate["fields"] if k == "Variable"] == ["CTI_ACTION_ID=cb-42-1"]
    assert len({a["session"] for a in sim.actions_named("Login")}) == 2


async def test_originate_is_async_and_its_outcome_arrives_as_events(sim, make_bridge, published):
    bridge = await make_bridge()
    await bridge.gateway.originate(channel="PJSIP/+8613700000001@carrier", context="callback", exten="s",
                                   caller_id="Customer Care <4008001234>", action_id="cb-7-1")
    await bridge.gateway.originate(channel="PJSIP/+8613800138000@carrier", context="survey", exten="s",
                                   variables={"CAMPAIGN": "csat", "CONTACT": "+8613800138000"}, action_id="sv-9-1")
    assert [dict(a["fields"])["Async"] for a in sim.actions_named("Originate")] == ["true", "true"]

    (failed,) = await eventually(lambda: of_type(published, "OriginateFailed"), what="OriginateFailed")
    assert (failed.action_id, failed.cause) == ("cb-7-1", 17)
    (end,) = await eventually(lambda: [e for e in of_type(published, "CallEnded") if e.action_id == "sv-9-1"],
                              what="survey ended")
    (offered,) = of_type(published, "CallOffered", end.call_id)
    assert offered.direction is Direction.OUTBOUND
    # The documented AMI user does not read `dialplan`: no VarSet of CTI_ACTION_ID, so the offer (the PBX
    # dials, before the customer answers) cannot name the attempt; the OriginateResponse does.
    assert offered.action_id == ""
    variables = [[v for k, v in a["fields"] if k == "Variable"] for a in sim.actions_named("Originate")]
    assert variables == [["CTI_ACTION_ID=cb-7-1"], ["CTI_ACTION_ID=sv-9-1", "CAMPAIGN=csat", "CONTACT=+8613800138000"]]


async def test_an_ami_user_that_reads_dialplan_gets_the_attempt_named_already_in_the_offer(sim, make_bridge, published):
    sim.config.read += ",dialplan"  # the session copies the classes at its login (manager.c authenticate)
    bridge = await make_bridge()
    await bridge.gateway.originate(channel="PJSIP/+8613800138000@carrier", context="survey", exten="s",
                                   variables={"CAMPAIGN": "csat", "CONTACT": "+8613800138000"}, action_id="sv-9-1")
    (offered,) = await eventually(lambda: of_type(published, "CallOffered"), what="survey call offered")
    assert (offered.direction, offered.action_id) == (Direction.OUTBOUND, "sv-9-1")  # from the VarSet
    (end,) = await eventually(lambda: of_type(published, "CallEnded", offered.call_id), what="survey ended")
    assert end.action_id == "sv-9-1"


async def test_values_with_cr_or_lf_are_refused_before_anything_is_sent(sim, make_bridge):
    bridge = await make_bridge()
    gw = bridge.gateway
    sent_before = len(sim.actions)
    with pytest.raises(ValueError, match="CallerID"):
        await gw.originate(channel="PJSIP/+8613800138000@carrier", context="callback", exten="s",
                           caller_id="x\r\nAction: Hangup\r\nChannel: PJSIP/1001", action_id="cb-1")
    with pytest.raises(ValueError, match="Variable NOTE"):
        await gw.originate(channel="PJSIP/+8613800138000@carrier", context="callback", exten="s",
                           variables={"NOTE": "a\nb"}, action_id="cb-2")
    with pytest.raises(ValueError, match="ActionID"):
        await gw.originate(channel="PJSIP/1001", context="c", exten="s", action_id="a\r\n")
    with pytest.raises(ValueError, match="Reason"):
        await gw.queue_pause(queue="support", interface="PJSIP/1001", paused=True, reason="lunch\r\n\r\nAction: X")
    with pytest.raises(ValueError, match="Channel"):
        await gw.hangup("PJSIP/1001\x00")
    with pytest.raises(ValueError, match="Interface"):
        await gw.queue_add(queue="support", interface="PJSIP/1004\n")
    await asyncio.sleep(0.05)
    assert sim.actions[sent_before:] == []
    assert bridge.state == "connected"


async def test_utf8_names_split_across_reads_arrive_intact(sim, make_bridge, published):
    chopper = await Relay(sim.port, split_utf8=True).start()
    try:
        await make_bridge(chopper.port, ami_ping_interval=30)  # the relay's pauses slow every answer down
        first = await sim.answered(caller="+8613500001111", name="陈小红", agent="PJSIP/1001", after=1, talk=1)
        second = await sim.abandoned(caller="+8613600002222", name="刘洋 🙂", patience=2)
        for result, name in ((first, "陈小红"), (second, "刘洋 🙂")):
            (end,) = await eventually(lambda r=result: of_type(published, "CallEnded", r["linkedid"]), what="ended")
            assert end.caller_name == name
            (offered,) = of_type(published, "CallOffered", result["linkedid"])
            assert offered.caller_name == name
        assert {e.caller_name for e in of_type(published, "AgentRinging", first["linkedid"])} == {"陈小红"}
        assert chopper.splits >= 10, "the relay did split characters across reads"
    finally:
        await chopper.stop()


async def test_oversized_frame_drops_the_connection_and_reconnects(sim, relay, make_bridge, published):
    bridge = await make_bridge(relay.port)
    relay.inject(b"Event: Junk\r\nData: " + b"x" * (1 << 20) + b"y" * 1024)
    await eventually(lambda: bridge.reconnects == 1 and bridge.state == "connected", what="reconnected")
    assert bridge.status()["malformed_frames"] >= 1
    result = await sim.answered(caller="+8613800138000", name="Zhang San", agent="PJSIP/1001", after=1, talk=1)
    await eventually(lambda: of_type(published, "CallEnded", result["linkedid"]), what="calls still followed")


async def test_a_failing_subscriber_neither_drops_the_connection_nor_stops_the_stream(sim, make_bridge):
    seen: list = []

    async def flaky(events: list) -> None:
        if any(type(e).__name__ == "CallQueued" for e in events):
            raise RuntimeError("subscriber bug")
        seen.extend(events)

    bridge = await make_bridge(publish_fn=flaky)
    result = await sim.answered(caller="+8613800138000", name="Zhang San", agent="PJSIP/1001", after=1, talk=1)
    await eventually(lambda: of_type(seen, "CallEnded", result["linkedid"]), what="events after the failure")
    status = bridge.status()
    assert status["handler_errors"] == 1
    assert (status["state"], status["reconnects"]) == ("connected", 0)


async def test_slow_subscriber_backs_up_the_socket_without_losing_events(sim, make_bridge):
    seen: list = []
    depths: list[int] = []
    paused: list[bool] = []

    async def slow(events: list) -> None:
        await asyncio.sleep(0.002)
        seen.extend(events)

    bridge = await make_bridge(publish_fn=slow, queue_size=8)

    async def watch() -> None:
        while True:
            status = bridge.status()
            depths.append(status["queue_depth"])
            paused.append(status["reading_paused"])
            await asyncio.sleep(0.001)

    watcher = asyncio.create_task(watch())
    try:
        results = await asyncio.gather(*(
            sim.answered(caller=f"+86138001380{i:02d}", name=f"Caller {i}", agent="PJSIP/1001", after=1, talk=1)
            for i in range(5)))
        for result in results:
            await eventually(lambda r=result: of_type(seen, "CallEnded", r["linkedid"]), what="every call ended")
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    assert bridge.status()["queue_max"] == 8
    assert max(depths) >= 8 and any(paused), "the queue filled up and reading paused"
    for result in results:
        assert len(of_type(seen, "CallOffered", result["linkedid"])) == 1
    assert bridge.status()["state"] == "connected" and bridge.reconnects == 0


async def test_gateway_actions_reach_the_pbx(sim, make_bridge, published):
    bridge = await make_bridge()
    gw = bridge.gateway

    assert (await gw.queue_pause(queue="support", interface="PJSIP/1002", paused=True, reason="Lunch")).ok
    assert {m["interface"]: m["paused"] for m in sim.members()}["PJSIP/1002"]
    assert (await gw.queue_pause(queue=None, interface="PJSIP/1002", paused=False)).ok
    added = await gw.queue_add(queue="support", interface="PJSIP/1004", member_name="Agent 1004")
    assert added.ok, added.message
    members = [i for i in await gw.queue_status("support") if i.get("Event") == "QueueMember"]
    assert "PJSIP/1004" in {m["Location"] for m in members}
    assert (await gw.queue_remove(queue="support", interface="PJSIP/1004")).ok
    refused = await gw.hangup("PJSIP/9999-00000000")
    assert not refused.ok and refused.message == "No such channel"
    assert await gw.core_show_channels() == []
    assert 0 <= await gw.ping() < 1.0
    await eventually(lambda: any(e.paused and e.paused_reason == "Lunch" for e in of_type(published,
                                                                                         "AgentStateChanged")),
                     what="pause seen as an event")


async def test_stop_closes_everything(sim, make_bridge):
    bridge = await make_bridge()
    await bridge.stop()
    assert bridge.state == "disconnected"
    await eventually(lambda: sim.connections() == [], what="the PBX sees the connection closed")
    with pytest.raises(AmiNotConnected):
        await bridge.gateway.ping()
    await bridge.stop()  # twice is harmless


# -- a resync's two lists, with calls changing between them ------------------------------------------


def on_first_list(sim, hook) -> None:
    """Run ``hook`` once, right after the PBX answered the first of the resync's two lists (whichever
    the bridge asks first): what it does reaches the bridge between the two lists."""
    done = False

    async def once() -> None:
        nonlocal done
        if not done:
            done = True
            await hook()

    for action in ("QueueStatus", "CoreShowChannels"):
        sim.after_action(action, once)


async def test_a_call_that_hangs_up_between_the_resync_lists_ends_once_and_is_not_offered_again(
        sim, make_bridge, published):
    bridge = await make_bridge()
    handle = sim.start_inbound(caller="+8613912345678", name="Li Si", answers={}, patience=3600)
    await handle.started()
    await eventually(lambda: len(of_type(published, "AgentRinging", handle.linkedid)) == 3, what="3 pops")

    async def caller_hangs_up() -> None:
        ch = sim.pbx.find_channel(handle.channel)
        ch.call.command(Command("hangup", ch, cause=16))
        await handle.wait(5)

    on_first_list(sim, caller_hangs_up)
    await sim.drop_connections()
    await eventually(lambda: bridge.resyncs == 2 and handle.finished, what="resync, call over")
    await eventually(lambda: of_type(published, "CallEnded", handle.linkedid), what="CallEnded")
    await asyncio.sleep(0.3)  # anything the resync would still do to it
    for kind in ("CallOffered", "CallQueued", "CallEnded"):
        assert len(of_type(published, kind, handle.linkedid)) == 1, kind
    (end,) = of_type(published, "CallEnded", handle.linkedid)
    assert (end.disposition, end.hangup_cause) == (Disposition.ABANDONED, 16)
    assert end.wait_seconds < 60
    assert bridge.status()["tracker"]["calls"] == 0


async def test_a_call_that_starts_between_the_resync_lists_pops_and_is_answered(sim, make_bridge, published):
    bridge = await make_bridge()
    started: list = []

    async def a_call_starts() -> None:
        handle = sim.start_answered(caller="+8613800138000", name="Zhang San", agent="PJSIP/1002", after=3, talk=2)
        started.append(handle)
        await handle.started()
        await asyncio.sleep(TIME_SCALE)  # one nominal second: queued and ringing, not yet answered

    on_first_list(sim, a_call_starts)
    await sim.drop_connections()
    await eventually(lambda: bridge.resyncs == 2 and started, what="resync, call started")
    result = await started[0]
    call_id = result["linkedid"]
    await eventually(lambda: of_type(published, "CallEnded", call_id), what="CallEnded")
    await asyncio.sleep(0.3)
    assert len(of_type(published, "CallOffered", call_id)) == 1
    assert {e.interface for e in of_type(published, "AgentRinging", call_id)} == {
        "PJSIP/1001", "PJSIP/1002", "PJSIP/1003"}
    (end,) = of_type(published, "CallEnded", call_id)
    assert (end.disposition, end.answered_by) == (Disposition.ANSWERED, "PJSIP/1002")
