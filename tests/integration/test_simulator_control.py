"""The simulator's AMI session behaviour and its control API (Python and HTTP)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"


class Ami:
    """A minimal raw AMI client for tests: send actions, wait for messages."""

    def __init__(self) -> None:
        self.buffer = b""
        self.messages: list[dict] = []
        self.raw: list[bytes] = []
        self.closed = asyncio.Event()
        self.changed = asyncio.Event()

    @classmethod
    async def connect(cls, port: int, login: bool = True) -> Ami:
        client = cls()
        client.reader, client.writer = await asyncio.open_connection("127.0.0.1", port)
        client.banner = await client.reader.readline()
        client.task = asyncio.create_task(client._read())
        if login:
            client.send("Login", ActionID="login", Username="cti", Secret="ctisecret")
            await client.wait_for(lambda m: m.get("Event") == "FullyBooted")
        return client

    async def _read(self) -> None:
        while chunk := await self.reader.read(65536):
            self.buffer += chunk
            while b"\r\n\r\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
                self.raw.append(block)
                self.messages.append(dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                                          for line in block.decode("utf-8").split("\r\n")))
            self.changed.set()
        self.closed.set()
        self.changed.set()

    def send(self, action: str, **fields: str) -> None:
        lines = [f"Action: {action}"] + [f"{key}: {value}" for key, value in fields.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def wait_for(self, predicate, timeout: float = 5.0, start: int = 0) -> dict:
        async def find() -> dict:
            while True:
                for message in self.messages[start:]:
                    if predicate(message):
                        return message
                if self.closed.is_set():
                    raise AssertionError("connection closed while waiting")
                self.changed.clear()
                await self.changed.wait()
        return await asyncio.wait_for(find(), timeout)

    async def response(self, action_id: str, timeout: float = 5.0) -> dict:
        return await self.wait_for(lambda m: "Response" in m and m.get("ActionID") == action_id, timeout)

    async def sync(self) -> None:
        """Wait until everything written before now has arrived (a Ping round trip)."""
        self.pings = getattr(self, "pings", 0) + 1
        self.send("Ping", ActionID=f"sync-{self.pings}")
        await self.response(f"sync-{self.pings}")

    async def close(self) -> None:
        self.writer.close()
        self.task.cancel()


@pytest.fixture
async def ami(pbx_sim):
    client = await Ami.connect(pbx_sim.port)
    yield client
    await client.close()


async def http(sim, method: str, path: str, body: dict | None = None):
    async with aiohttp.ClientSession() as session:
        async with session.request(method, f"http://127.0.0.1:{sim.control_port}{path}", json=body) as resp:
            return resp.status, await resp.json()


# -- sessions ------------------------------------------------------------------------------------
async def test_bad_login_gets_the_recorded_bytes_and_a_closed_socket(pbx_sim):
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx_sim.port)
    writer.write((FIXTURES / "status_actions.badlogin.sent").read_bytes())
    data = await asyncio.wait_for(reader.read(), 5)  # read() returns at EOF: the server closed
    assert data == (FIXTURES / "status_actions.badlogin.ami").read_bytes()
    writer.close()


async def test_failed_login_elsewhere_shows_invalid_password(ami, pbx_sim):
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx_sim.port)
    writer.write(b"Action: Login\r\nUsername: cti\r\nSecret: nope\r\n\r\n")
    event = await ami.wait_for(lambda m: m.get("Event") == "InvalidPassword")
    assert event["AccountID"] == "cti" and event["SessionTV"] == "1970-01-01T00:00:00.000+0000"
    writer.close()


async def test_every_logged_in_connection_gets_the_same_events(ami, pbx_sim):
    other = await Ami.connect(pbx_sim.port)
    anonymous = await Ami.connect(pbx_sim.port, login=False)
    await pbx_sim.answered(talk=1)
    await ami.sync()
    await other.sync()
    await anonymous.sync()

    def call_events(client: Ami) -> list[bytes]:
        return [raw for raw in client.raw if raw.startswith(b"Event: ") and b"Event: SuccessfulAuth" not in raw
                and b"Event: FullyBooted" not in raw]

    assert len(call_events(ami)) > 100 and call_events(ami) == call_events(other)
    assert call_events(anonymous) == []
    await other.close()
    await anonymous.close()


async def test_actions_before_login_are_refused(pbx_sim):
    client = await Ami.connect(pbx_sim.port, login=False)
    assert client.banner == b"Asterisk Call Manager/11.0.0\r\n"
    client.send("Ping", ActionID="early")
    assert await client.response("early") == {"Response": "Error", "ActionID": "early",
                                              "Message": "Permission denied"}
    await client.close()


async def test_ping_logoff_and_unknown_action_answer_like_asterisk(ami):
    ami.send("Ping", ActionID="p1")
    pong = await ami.response("p1")
    assert list(pong) == ["Response", "ActionID", "Ping", "Timestamp"] and pong["Ping"] == "Pong"
    ami.send("NoSuchAction", ActionID="bad")
    error = await ami.response("bad")
    assert error["Message"] == ("Invalid/unknown command: NoSuchAction. "
                                "Use Action: ListCommands to show available commands.")
    bad_format = await ami.wait_for(lambda m: m.get("Event") == "RequestBadFormat")
    assert bad_format["RequestType"] == "Action: NoSuchAction"
    ami.send("Logoff", ActionID="bye")
    assert await ami.response("bye") == {"Response": "Goodbye", "ActionID": "bye",
                                         "Message": "Thanks for all the fish."}
    await asyncio.wait_for(ami.closed.wait(), 5)


async def test_received_actions_are_listed_in_python_and_over_http(ami, pbx_sim):
    ami.send("QueuePause", ActionID="qp", Queue="support", Interface="PJSIP/1002", Paused="true", Reason="Lunch")
    await ami.response("qp")
    pause = pbx_sim.actions_named("QueuePause")[-1]
    assert pause["fields"] == [["Action", "QueuePause"], ["ActionID", "qp"], ["Queue", "support"],
                               ["Interface", "PJSIP/1002"], ["Paused", "true"], ["Reason", "Lunch"]]
    status, listed = await http(pbx_sim, "GET", "/actions?name=QueuePause")
    assert status == 200 and listed[-1]["fields"] == pause["fields"]
    assert (await http(pbx_sim, "DELETE", "/actions"))[0] == 200
    assert pbx_sim.actions == []


# -- failure modes ----------------------------------------------------------------------------------
async def test_dropped_connection_leaves_the_call_up_and_a_new_client_can_resync(ami, pbx_sim):
    call = pbx_sim.start_answered(agent="PJSIP/1001", after=2, talk=300)
    await ami.wait_for(lambda m: m.get("Event") == "AgentConnect")
    status, body = await http(pbx_sim, "POST", "/connections/drop")
    assert status == 200 and body == {"dropped": 1}
    await asyncio.wait_for(ami.closed.wait(), 5)
    assert not call.finished

    again = await Ami.connect(pbx_sim.port)
    again.send("CoreShowChannels", ActionID="chans")
    done = await again.wait_for(lambda m: m.get("Event") == "CoreShowChannelsComplete")
    assert done["ListItems"] == "2"
    channels = [m for m in again.messages if m.get("Event") == "CoreShowChannel"]
    assert {c["Channel"] for c in channels} == {call.channel, call.agent_channel}
    assert channels[0]["BridgeId"] and channels[0]["BridgeId"] == channels[1]["BridgeId"]
    again.send("QueueStatus", ActionID="qs", Member="PJSIP/1001")
    member = await again.wait_for(lambda m: m.get("Event") == "QueueMember")
    assert member["InCall"] == "1" and member["Status"] == "2"
    again.send("Hangup", ActionID="hup", Channel=call.agent_channel)
    await again.response("hup")
    result = await call.wait(5)
    assert result["outcome"] == "answered"
    await again.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == call.channel)
    await again.close()


async def test_silent_server_keeps_the_socket_but_answers_nothing_until_resumed(ami, pbx_sim):
    seen = len(ami.messages)
    assert (await http(pbx_sim, "POST", "/silent"))[1] == {"silent": True}
    ami.send("Ping", ActionID="lost")
    pbx_sim.start_answered(talk=1)
    await asyncio.sleep(0.3)
    assert ami.messages[seen:] == [] and ami.buffer == b""
    assert not ami.closed.is_set()
    await http(pbx_sim, "POST", "/resume")
    ami.send("Ping", ActionID="back")
    await ami.response("back")
    assert not any(m.get("ActionID") == "lost" for m in ami.messages)


async def test_stalled_server_delivers_held_bytes_on_resume(ami, pbx_sim):
    pbx_sim.go_silent(hold=True)
    ami.send("Ping", ActionID="late")
    await asyncio.sleep(0.1)
    assert not any(m.get("ActionID") == "late" for m in ami.messages)
    pbx_sim.resume()
    assert (await ami.response("late"))["Ping"] == "Pong"


async def test_pause_over_http_emits_queue_member_pause(ami, pbx_sim):
    status, body = await http(pbx_sim, "POST", "/members/pause",
                              {"interface": "PJSIP/1003", "paused": True, "reason": "Training"})
    assert status == 200
    assert [m for m in body["members"] if m["interface"] == "PJSIP/1003"][0]["paused"] is True
    event = await ami.wait_for(lambda m: m.get("Event") == "QueueMemberPause")
    assert (event["Interface"], event["Paused"], event["PausedReason"]) == ("PJSIP/1003", "1", "Training")
    assert (await http(pbx_sim, "POST", "/members/pause", {"interface": "PJSIP/9"}))[0] == 400


async def test_scenario_and_generator_over_http(ami, pbx_sim):
    status, body = await http(pbx_sim, "POST", "/scenarios/abandoned", {"patience": 3, "wait": True})
    assert status == 200 and body["finished"] and body["result"]["outcome"] == "abandoned"
    assert body["result"]["hold_time"] == 3
    await ami.wait_for(lambda m: m.get("Event") == "QueueCallerAbandon" and m["HoldTime"] == "3")
    status, started = await http(pbx_sim, "POST", "/scenarios/answered", {"talk": 50})
    assert status == 200 and not started["finished"] and started["linkedid"]
    status, calls = await http(pbx_sim, "GET", "/calls")
    assert [c["linkedid"] for c in calls] == [started["linkedid"]]
    status, detail = await http(pbx_sim, "GET", f"/calls/{started['id']}")
    assert detail["linkedid"] == started["linkedid"]
    assert (await http(pbx_sim, "POST", "/scenarios/nope", {}))[0] == 400
    assert (await http(pbx_sim, "POST", "/scenarios/inbound", {"bogus": 1}))[0] == 400
    seen = len(ami.messages)
    status, gen = await http(pbx_sim, "POST", "/generator/start", {"calls_per_second": 5, "seed": 7})
    assert status == 200 and gen["running"] and gen["seed"] == 7
    await ami.wait_for(lambda m: m.get("Event") == "QueueCallerJoin", start=seen)
    status, gen = await http(pbx_sim, "POST", "/generator/stop")
    assert gen["running"] is False and gen["placed"] >= 1
    status, state = await http(pbx_sim, "GET", "/status")
    assert state["ami_port"] == pbx_sim.port and len(state["connections"]) == 1
    json.dumps(state)


UNKNOWN = "+8617099998888"  # in no caller list


def caller_events(client: Ami, number: str) -> list[dict]:
    return [m for m in client.messages if m.get("Event") in ("Newchannel", "QueueCallerJoin")
            and m.get("CallerIDNum") == number]


async def test_a_name_posted_with_the_caller_is_the_callers_name_on_ami(ami, pbx_sim):
    status, body = await http(pbx_sim, "POST", "/scenarios/inbound",
                              {"caller": UNKNOWN, "name": "Li Si", "answers": {}, "patience": 1, "wait": True})
    assert status == 200 and body["result"]["outcome"] == "abandoned"
    await ami.sync()
    assert [(m["Event"], m["CallerIDName"]) for m in caller_events(ami, UNKNOWN)] == [
        ("Newchannel", "Li Si"), ("QueueCallerJoin", "Li Si")]


@pytest.mark.parametrize("scenario", ["inbound", "answered", "abandoned", "ring_no_answer", "direct"])
async def test_a_caller_posted_without_a_name_arrives_with_none_as_from_a_trunk(ami, pbx_sim, scenario):
    status, _ = await http(pbx_sim, "POST", f"/scenarios/{scenario}",
                           {"caller": UNKNOWN, "patience": 1, "talk": 1, "wait": True})
    assert status == 200
    await ami.sync()
    # Asterisk writes an empty caller name as <unknown> (the recorded inbound_anonymous.ami does).
    assert [(m["Event"], m["CallerIDName"]) for m in caller_events(ami, UNKNOWN)] == [
        ("Newchannel", "<unknown>"), ("QueueCallerJoin", "<unknown>")]
    noop = [m["AppData"] for m in ami.messages if m.get("Event") == "Newexten" and m.get("Application") == "NoOp"]
    assert noop == [f'Inbound call to 4008001234 from "" <{UNKNOWN}>']


async def test_a_callback_to_a_number_without_a_name_sets_no_name(ami, pbx_sim):
    status, body = await http(pbx_sim, "POST", "/scenarios/callback", {"number": UNKNOWN, "wait": True})
    assert status == 200 and body["result"]["outcome"] == "answered"
    (originate,) = [m for m in ami.messages if m.get("Event") == "Newchannel"][:1]
    cb_vars = [m["Variable"] for m in ami.messages if m.get("Event") == "VarSet"
               and m.get("Channel") == originate["Channel"] and m["Variable"].startswith("CB_")]
    assert cb_vars == ["CB_NUMBER"]
    assert not any(b"Zhang San" in raw for raw in ami.raw)


async def test_without_a_caller_a_scenario_has_its_recorded_caller(ami, pbx_sim):
    for scenario, body in (("inbound", {"answers": {}}), ("abandoned", {})):
        status, _ = await http(pbx_sim, "POST", f"/scenarios/{scenario}", body | {"patience": 1, "wait": True})
        assert status == 200
    await ami.sync()
    joined = [(m["CallerIDNum"], m["CallerIDName"]) for m in ami.messages if m.get("Event") == "QueueCallerJoin"]
    assert joined == [("+8613800138000", "Zhang San"), ("+8613912345678", "Li Si")]


# -- queue and channel actions (texts of member_actions.ami) ---------------------------------------------------
async def test_member_actions_answer_with_asterisk_texts(ami):
    async def act(action_id: str, action: str, **fields) -> dict:
        ami.send(action, ActionID=action_id, **fields)
        return await ami.response(action_id)

    assert (await act("a1", "QueueAdd", Queue="support", Interface="PJSIP/1004", MemberName="Agent 1004",
                      Penalty="0", Paused="false"))["Message"] == "Added interface to queue"
    added = await ami.wait_for(lambda m: m.get("Event") == "QueueMemberAdded")
    assert (added["Membership"], added["MemberName"], added["Status"]) == ("dynamic", "Agent 1004", "1")
    assert (await act("a2", "QueueAdd", Queue="support", Interface="PJSIP/1004"))["Message"] == \
        "Unable to add interface: Already there"
    assert (await act("a3", "QueuePause", Queue="support", Interface="PJSIP/9999", Paused="true"))["Message"] == \
        "Interface not found"
    await act("a4", "QueueStatus", Queue="support", Member="PJSIP/1004")
    complete = await ami.wait_for(lambda m: m.get("Event") == "QueueStatusComplete")
    assert complete["ListItems"] == "2"
    assert (await act("a5", "QueueRemove", Queue="support", Interface="PJSIP/1004"))["Message"] == \
        "Removed interface from queue"
    assert (await act("a6", "QueueRemove", Queue="support", Interface="PJSIP/1004"))["Message"] == \
        "Unable to remove interface: Not there"
    await act("a7", "QueueStatus", Queue="no-such-queue")
    assert (await ami.wait_for(lambda m: m.get("ActionID") == "a7" and "Event" in m))["ListItems"] == "0"
    await act("a8", "QueueSummary", Queue="no-such-queue")
    assert (await ami.wait_for(lambda m: m.get("ActionID") == "a8" and "Event" in m))["ListItems"] == "0"
    await act("a9", "CoreShowChannels")
    assert (await ami.wait_for(lambda m: m.get("ActionID") == "a9" and "Event" in m))["ListItems"] == "0"
    assert (await act("a10", "Originate", Context="from-carrier", Exten="4008001234"))["Message"] == \
        "Channel not specified"
    assert (await act("a11", "Hangup", Channel="PJSIP/nonexistent-00000000"))["Message"] == "No such channel"


async def test_hanging_up_a_waiting_caller_abandons_the_queue(ami, pbx_sim):
    pbx_sim.pause_all(True, "Meeting")
    call = pbx_sim.start_inbound(caller="+8613312345678", name="Zhao Liu", patience=60)
    join = await ami.wait_for(lambda m: m.get("Event") == "QueueCallerJoin")
    ami.send("Hangup", ActionID="h", Channel=join["Channel"], Cause="16")
    assert (await ami.response("h"))["Message"] == "Channel Hungup"
    abandon = await ami.wait_for(lambda m: m.get("Event") == "QueueCallerAbandon")
    assert abandon["Channel"] == join["Channel"] and abandon["Position"] == "1"
    assert (await call.wait(5))["outcome"] == "abandoned"
    names = [m.get("Event") for m in ami.messages if m.get("Channel") == join["Channel"]]
    assert names.index("QueueCallerAbandon") < names.index("QueueCallerLeave") < names.index("Hangup")


async def test_blind_transfer_action_moves_the_caller_to_another_agent(ami, pbx_sim):
    call = pbx_sim.start_inbound(answer_by="PJSIP/1001", after=1, talk=300)
    connect = await ami.wait_for(lambda m: m.get("Event") == "AgentConnect")
    ami.send("BlindTransfer", ActionID="t0", Channel=call.channel, Context="transfer", Exten="1002")
    assert (await ami.response("t0"))["Message"] == "Transfer invalid"
    ami.send("BlindTransfer", ActionID="t1", Channel=connect["DestChannel"], Context="transfer", Exten="1002")
    assert (await ami.response("t1"))["Message"] == "Transfer succeeded"
    transfer = await ami.wait_for(lambda m: m.get("Event") == "BlindTransfer")
    assert (transfer["TransfererChannel"], transfer["Extension"]) == (connect["DestChannel"], "1002")
    complete = await ami.wait_for(lambda m: m.get("Event") == "AgentComplete")
    assert complete["Reason"] == "transfer"
    dial = await ami.wait_for(lambda m: m.get("Event") == "DialBegin" and m.get("DialString") == "1002")
    assert dial["DestChannel"].startswith("PJSIP/1002-") and dial["Linkedid"] == call.linkedid
    assert (await call.wait(5))["outcome"] == "transferred"


async def test_hostile_caller_names_pass_through_as_utf8(ami, pbx_sim):
    names = ["陈小红", "刘洋 🙂", '<script>alert("x")</script>', "O'Brien \"Bob\"", "Evil\r\nEvent: Fake"]
    for name in names:
        await pbx_sim.inbound(caller="+8613500001111", name=name, answer_by="PJSIP/1001", after=1, talk=1)
    joined = [m["CallerIDName"] for m in ami.messages if m.get("Event") == "QueueCallerJoin"]
    assert joined == names[:4] + ["EvilEvent: Fake"]
    raw = b"\r\n\r\n".join(ami.raw)
    for name in names[:4]:
        assert f"CallerIDName: {name}\r\n".encode() in raw
    assert b"\r\nEvent: Fake" not in raw


async def test_panoramisk_client_logs_in_and_receives_events(pbx_sim):
    from panoramisk import Manager

    manager = Manager(host="127.0.0.1", port=pbx_sim.port, username="cti", secret="ctisecret", ping_delay=60)
    joined = asyncio.get_running_loop().create_future()
    manager.register_event("QueueCallerJoin", lambda mgr, msg: joined.done() or joined.set_result(msg))
    await manager.connect()
    try:
        await asyncio.wait_for(manager.authenticated_future, 5)
        pong = await asyncio.wait_for(manager.send_action({"Action": "Ping"}), 5)
        assert pong.ping == "Pong"
        pbx_sim.start_answered(talk=1, caller="+8613800138000", name="张三")
        message = await asyncio.wait_for(joined, 5)
        assert message.CallerIDName == "张三" and message.Queue == "support"
    finally:
        manager.close()
