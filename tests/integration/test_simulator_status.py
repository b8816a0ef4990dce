"""The simulator's AMI ``Status`` action, as Asterisk 22's ``action_status``/``generate_status`` write it.

There is no recording of ``Status``; these tests hold the simulator to the fields and their order in
``main/manager.c`` of the recorded build (see ``asterisk-dev/pbxsim/status.py``).
"""

from __future__ import annotations

import pytest

from test_simulator_control import Ami

STATUS_FIELDS = [
    "Event", "Privilege", "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
    "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority",
    "Uniqueid", "Linkedid", "Type", "DNID", "EffectiveConnectedLineNum", "EffectiveConnectedLineName",
    "TimeToHangup", "BridgeID", "Application", "Data", "Nativeformats", "Readformat", "Readtrans",
    "Writeformat", "Writetrans", "Callgroup", "Pickupgroup", "Seconds",
]


def fields(raw: bytes) -> list[tuple[str, str]]:
    return [tuple(line.split(": ", 1)) if ": " in line else (line.rstrip(":"), "")
            for line in raw.decode("utf-8").split("\r\n")]


async def status(ami: Ami, action_id: str, **headers: str) -> tuple[list[tuple[str, str]], list[list], list]:
    """(the response, the Status items, the StatusComplete) of one Status action, as field lists."""
    start = len(ami.raw)
    ami.send("Status", ActionID=action_id, **headers)
    await ami.wait_for(lambda m: m.get("ActionID") == action_id and (
        m.get("Event") == "StatusComplete" or m.get("Response") == "Error"))
    mine = [fields(raw) for raw in ami.raw[start:] if f"ActionID: {action_id}\r\n".encode() in raw + b"\r\n"]
    return mine[0], [m for m in mine if m[0] == ("Event", "Status")], mine[-1]


@pytest.fixture
async def ami(pbx_sim):
    client = await Ami.connect(pbx_sim.port)
    yield client
    await client.close()


async def test_status_lists_each_channel_with_the_variables_asked_for(ami, pbx_sim):
    ami.send("Originate", ActionID="cti-12-1", Channel="PJSIP/+8613800138000@carrier", Context="hotline-callback",
             Exten="s", Priority="1", CallerID='"Customer Care" <4008001234>', Async="true",
             Variable="CTI_ACTION_ID=cti-12-1,CTI_CAMPAIGN=12,CB_NUMBER=+8613800138000,CB_NAME=张三,CTI_AGENT=")
    connect = await ami.wait_for(lambda m: m.get("Event") == "AgentConnect")
    response, items, complete = await status(ami, "st-1", Variables="CTI_ACTION_ID,CTI_DIRECTION")

    assert response == [("Response", "Success"), ("ActionID", "st-1"), ("EventList", "start"),
                        ("Message", "Channel status will follow")]
    by_channel = {dict(item)["Channel"]: item for item in items}
    customer, agent = by_channel[connect["Channel"]], by_channel[connect["DestChannel"]]
    assert set(by_channel) == {connect["Channel"], connect["DestChannel"]}
    for item in (customer, agent):
        assert [key for key, _ in item] == STATUS_FIELDS + ["Variable", "Variable", "ActionID"]
        assert dict(item)["Privilege"] == "Call" and dict(item)["Type"] == "PJSIP"
        assert dict(item)["Linkedid"] == connect["Linkedid"] and dict(item)["ActionID"] == "st-1"
    assert [v for k, v in customer if k == "Variable"] == ["CTI_ACTION_ID=cti-12-1", "CTI_DIRECTION=callback"]
    assert [v for k, v in agent if k == "Variable"] == ["CTI_ACTION_ID=(null)", "CTI_DIRECTION=callback"]
    assert dict(customer)["CallerIDName"] == "张三" and dict(customer)["Application"] == "Queue"
    assert dict(customer)["Context"] == "hotline-callback" and dict(customer)["Language"] == "zh"
    assert dict(agent)["Application"] == "AppQueue" and dict(agent)["Data"] == "(Outgoing Line)"
    assert dict(customer)["BridgeID"] == dict(agent)["BridgeID"] != ""
    assert (dict(customer)["Nativeformats"], dict(customer)["Readformat"], dict(customer)["Writetrans"]) == (
        "(ulaw)", "ulaw", "")
    assert complete == [("Event", "StatusComplete"), ("ActionID", "st-1"), ("EventList", "Complete"),
                        ("ListItems", "2"), ("Items", "2")]


async def test_status_of_one_channel_by_name_or_uniqueid(ami, pbx_sim):
    call = pbx_sim.start_inbound(answers={}, patience=30)
    join = await ami.wait_for(lambda m: m.get("Event") == "QueueCallerJoin")
    _, items, complete = await status(ami, "st-2", Channel=join["Channel"])
    assert [dict(item)["Channel"] for item in items] == [join["Channel"]]
    assert dict(items[0])["DNID"] == "4008001234" and dict(items[0])["Data"] == "support,,,,60"
    assert [key for key, _ in items[0]] == STATUS_FIELDS + ["ActionID"]
    assert complete[-2:] == [("ListItems", "1"), ("Items", "1")]
    _, items, _ = await status(ami, "st-3", Channel=join["Uniqueid"], Variables="CTI_DNIS,HOTLINE_QUEUE")
    assert [v for k, v in items[0] if k == "Variable"] == ["CTI_DNIS=4008001234", "HOTLINE_QUEUE=support"]
    response, items, _ = await status(ami, "st-4", Channel="PJSIP/carrier-ffffffff")
    assert response == [("Response", "Error"), ("ActionID", "st-4"), ("Message", "No such channel")] and not items
    ami.send("Hangup", ActionID="h", Channel=join["Channel"])
    await call.wait(5)


async def test_status_without_channels_is_an_empty_list(ami):
    response, items, complete = await status(ami, "st-5")
    assert response[2:] == [("EventList", "start"), ("Message", "Channel status will follow")]
    assert items == [] and complete[-3:] == [("EventList", "Complete"), ("ListItems", "0"), ("Items", "0")]
