"""The simulator acts out the campaigns' contexts of dialplans/hotline.conf over AMI, as the service sees them.

Each call is placed the way the service places it (``Originate`` with ``Async: true``, an ActionID and
``Variable:`` headers) on a real TCP connection; the tests read what the service reads:
OriginateResponse, UserEvent fields and their order, DTMF, QueueCallerJoin/AgentCalled/AgentConnect,
DialBegin/DialEnd and Hangup causes; and check that every step is the priority the dialplan file gives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from pbxsim import MemberConfig, SimConfig, Simulator
from test_simulator_control import Ami

ROOT = Path(__file__).resolve().parents[2]
DIALPLAN = ROOT / "dialplans" / "hotline.conf"
RECORDED_SURVEY = ROOT / "tests" / "fixtures" / "ami" / "sip_survey_rated.ami"
CALLER_ID = '"Customer Care" <4008001234>'
SNAPSHOT = ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
            "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid"]


@dataclass
class Call:
    """What one AMI connection saw of one call: its OriginateResponse and every event of its Linkedid."""

    response: dict
    events: list[dict]
    raw: list[bytes]

    def of(self, name: str) -> list[dict]:
        return [e for e in self.events if e.get("Event") == name]

    def user_events(self, name: str) -> list[dict]:
        return [e for e in self.of("UserEvent") if e["UserEvent"] == name]

    def steps(self, channel_prefix: str = "PJSIP/carrier-") -> list[tuple[str, str, str]]:
        """(priority, application, data) of the dialplan steps run on the customer leg, in order."""
        return [(e["Priority"], e["Application"], e["AppData"]) for e in self.of("Newexten")
                if e["Channel"].startswith(channel_prefix) and e["Context"].startswith("hotline-")]

    def prompts(self) -> list[str]:
        return [re.sub(r"^\w+,", "", data).split(",")[0] for _, app, data in self.steps() if app in ("Playback", "Read")]

    def hangup_causes(self) -> dict[str, str]:
        return {e["Channel"].rsplit("-", 1)[0]: e["Cause"] for e in self.of("Hangup")}


def originate_bytes(action_id: str, channel: str, context: str, exten: str, caller_id: str,
                    variables: dict[str, str]) -> bytes:
    """An Originate as the service sends it: one ``Variable`` header per variable."""
    lines = ["Action: Originate", f"ActionID: {action_id}", f"Channel: {channel}", f"Context: {context}",
             f"Exten: {exten}", "Priority: 1", f"CallerID: {caller_id}", "Timeout: 30000", "Async: true"]
    lines += [f"Variable: {name}={value}" for name, value in variables.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def place(ami: Ami, action_id: str, channel: str, context: str, exten: str = "s", caller_id: str = CALLER_ID,
                **variables: str) -> Call:
    """Place one campaign call and wait until its originated leg has hung up."""
    start = len(ami.messages)
    ami.writer.write(originate_bytes(action_id, channel, context, exten, caller_id,
                                     {"CTI_ACTION_ID": action_id} | variables))
    response = await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse" and m["ActionID"] == action_id,
                                  timeout=10, start=start)
    linkedid = response["Uniqueid"]
    if response["Response"] == "Success":
        await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Uniqueid"] == linkedid, timeout=10, start=start)
    await ami.sync()
    picked = [(m, raw) for m, raw in zip(ami.messages[start:], ami.raw[start:])
              if m.get("Linkedid") == linkedid or m is response]
    return Call(response, [m for m, _ in picked], [raw for _, raw in picked])


async def survey(ami: Ami, number: str, action_id: str = "cti-7-1", **variables: str) -> Call:
    return await place(ami, action_id, f"PJSIP/{number}@carrier", "hotline-survey",
                       **({"CTI_CAMPAIGN": "7", "CTI_CONTACT": "301", "CTI_LANGUAGE": ""} | variables))


def field_names(raw: bytes) -> list[str]:
    return [line.split(":", 1)[0] for line in raw.decode("utf-8").split("\r\n")]


@pytest.fixture
async def ami(pbx_sim):
    client = await Ami.connect(pbx_sim.port)
    yield client
    await client.close()


# -- hotline-survey --------------------------------------------------------------------------------
async def test_survey_keyed_4_at_the_first_question(ami):
    call = await survey(ami, "+8613800138000")
    assert (call.response["Response"], call.response["Reason"], call.response["ActionID"]) == ("Success", "4", "cti-7-1")
    [result] = call.user_events("SurveyResult")
    assert {k: result[k] for k in ("Campaign", "Contact", "Attempt", "Rating", "Tries")} == {
        "Campaign": "7", "Contact": "301", "Attempt": "cti-7-1", "Rating": "4", "Tries": "1"}
    assert [(e["Digit"], e["Direction"]) for e in call.of("DTMFBegin")] == [("4", "Received")]
    assert [(e["Digit"], e["DurationMs"]) for e in call.of("DTMFEnd")] == [("4", "200")]
    assert call.prompts() == ["hotline/survey-question", "hotline/survey-thanks"]
    assert result["Language"] == "zh"  # CTI_LANGUAGE empty: Chinese
    assert call.hangup_causes() == {"PJSIP/carrier": "16"} and call.of("HangupRequest") == []


async def test_survey_nothing_then_4_after_the_reprompt(ami, pbx_sim):
    pbx_sim.set_number("+8613500001111", keys=["", "4"])
    call = await survey(ami, "+8613500001111", CTI_LANGUAGE="en")
    [result] = call.user_events("SurveyResult")
    assert (result["Rating"], result["Tries"], result["Language"]) == ("4", "2", "en")
    assert call.prompts() == ["hotline/survey-question", "hotline/survey-reprompt", "hotline/survey-thanks"]
    assert [e["Value"] for e in call.of("VarSet") if e["Variable"] == "READSTATUS"] == [
        "ERROR", "TIMEOUT", "ERROR", "OK"]
    assert [e["Digit"] for e in call.of("DTMFEnd")] == ["4"]


async def test_survey_without_any_key_asks_twice_and_reports_no_rating(ami):
    call = await survey(ami, "+8613912345678")  # the recordings' customer who keys nothing
    [result] = call.user_events("SurveyResult")
    assert (result["Rating"], result["Tries"]) == ("", "2")
    assert b"\r\nRating: \r\nTries: 2" in next(raw for raw in call.raw if b"UserEvent: SurveyResult" in raw)
    assert call.prompts() == ["hotline/survey-question", "hotline/survey-reprompt", "hotline/goodbye"]
    assert call.of("DTMFBegin") == []


async def test_survey_invalid_key_then_nothing_is_no_rating(ami, pbx_sim):
    pbx_sim.set_number("+8613500002222", keys=["7", ""])
    call = await survey(ami, "+8613500002222")
    [result] = call.user_events("SurveyResult")
    assert (result["Rating"], result["Tries"]) == ("", "2")
    assert [e["Digit"] for e in call.of("DTMFEnd")] == ["7"]
    assert [e["Value"] for e in call.of("VarSet") if e["Variable"] == "RATING"] == ["7", "", ""]
    assert call.prompts()[-1] == "hotline/goodbye"


async def test_survey_9_opts_out(ami, pbx_sim):
    pbx_sim.set_number("+8613500003333", keys=["9"])
    call = await survey(ami, "+8613500003333")
    [result] = call.user_events("SurveyResult")
    assert (result["Rating"], result["Tries"]) == ("9", "1")
    assert call.prompts() == ["hotline/survey-question", "hotline/survey-optout"]


async def test_survey_result_fields_begin_like_the_recorded_one(ami):
    call = await survey(ami, "+8613800138000")
    ours = field_names(next(raw for raw in call.raw if b"UserEvent: SurveyResult" in raw))
    recorded_raw = next(block for block in RECORDED_SURVEY.read_bytes().split(b"\r\n\r\n")
                        if b"UserEvent: SurveyResult" in block)
    recorded = field_names(recorded_raw)
    assert recorded == ["Event", "Privilege"] + SNAPSHOT + ["UserEvent", "Campaign", "Contact", "Rating"]
    assert ours == recorded[:-1] + ["Attempt", "Rating", "Tries"]


# -- hotline-notify -----------------------------------------------------------------------------------
async def test_notify_key_1_reaches_the_queue_and_an_agent(ami, pbx_sim):
    pbx_sim.set_number("+8613500004444", keys=["1"])
    call = await place(ami, "cti-8-1", "PJSIP/+8613500004444@carrier", "hotline-notify", CTI_CAMPAIGN="8",
                       CTI_CONTACT="44", CTI_LANGUAGE="zh", CTI_NOTICE="waiting_parts", CTI_TICKET="T20261201-0001",
                       CB_NUMBER="+8613500004444", CB_NAME="陈小红", CTI_QUEUE="")
    [result] = call.user_events("NotifyResult")
    assert [(k, result[k]) for k in ("UserEvent", "Campaign", "Contact", "Attempt", "Key")] == [
        ("UserEvent", "NotifyResult"), ("Campaign", "8"), ("Contact", "44"), ("Attempt", "cti-8-1"), ("Key", "1")]
    assert field_names(next(raw for raw in call.raw if b"UserEvent: NotifyResult" in raw))[-5:] == [
        "UserEvent", "Campaign", "Contact", "Attempt", "Key"]
    digits = [p.removeprefix("hotline/digit-") for p in call.prompts() if p.startswith("hotline/digit-")]
    assert call.prompts()[:2] == ["hotline/notify-waiting_parts", "hotline/ticket-number"]
    assert "".join(digits) == "202612010001"
    assert call.prompts()[-2:] == ["hotline/notify-press-1", "hotline/connecting"]
    [join] = call.of("QueueCallerJoin")
    assert (join["Queue"], join["CallerIDNum"], join["CallerIDName"]) == ("support", "+8613500004444", "陈小红")
    assert {e["Interface"] for e in call.of("AgentCalled")} == {"PJSIP/1001", "PJSIP/1002", "PJSIP/1003"}
    [connect] = call.of("AgentConnect")
    assert connect["Interface"] == "PJSIP/1001" and connect["DestConnectedLineNum"] == "+8613500004444"
    assert [e["Reason"] for e in call.of("AgentComplete")] == ["agent"]
    agent_leg = next(e for e in call.of("Newchannel") if e["Channel"] == connect["DestChannel"])
    assert agent_leg["Linkedid"] == call.response["Uniqueid"]


async def test_notify_without_a_key_says_goodbye(ami):
    call = await place(ami, "cti-8-2", "PJSIP/+8613912345678@carrier", "hotline-notify", CTI_CAMPAIGN="8",
                       CTI_CONTACT="45", CTI_NOTICE="repaired", CTI_TICKET="", CB_NUMBER="+8613912345678")
    [result] = call.user_events("NotifyResult")
    assert result["Key"] == ""
    assert call.prompts() == ["hotline/notify-repaired", "hotline/notify-press-1", "hotline/goodbye"]
    assert call.of("QueueCallerJoin") == [] and call.of("AgentCalled") == []
    assert call.hangup_causes() == {"PJSIP/carrier": "16"}


# -- hotline-callback ---------------------------------------------------------------------------------
async def test_callback_with_an_owning_agent_rings_that_agent_only(ami):
    call = await place(ami, "cti-9-1", "PJSIP/+8613800138000@carrier", "hotline-callback", CTI_CAMPAIGN="9",
                       CTI_CONTACT="1", CB_NUMBER="+8613800138000", CB_NAME="Zhang San", CTI_AGENT="PJSIP/1002",
                       CTI_QUEUE="")
    rung = [e for e in call.of("DialBegin") if "Channel" in e]  # the Originate's own DialBegin has only Dest*
    assert [(e["DestChannel"].rsplit("-", 1)[0], e["DialString"]) for e in rung] == [("PJSIP/1002", "1002")]
    assert rung[0]["CallerIDNum"] == "+8613800138000" and rung[0]["DestConnectedLineName"] == "Zhang San"
    assert [e["DialStatus"] for e in call.of("DialEnd") if "Channel" in e] == ["ANSWER"]
    assert call.of("AgentCalled") == [] and call.of("QueueCallerJoin") == []
    assert ("9", "Dial", "PJSIP/1002,20") in call.steps() and call.prompts() == ["hotline/callback-intro"]
    assert call.hangup_causes() == {"PJSIP/1002": "16", "PJSIP/carrier": "16"}
    assert [e["Value"] for e in call.of("VarSet") if e["Variable"] == "__CTI_DIRECTION"] == ["callback", "callback"]


async def test_callback_whose_agent_does_not_answer_goes_to_the_queue():
    members = [MemberConfig("PJSIP/1001", "Agent 1001", 2.0), MemberConfig("PJSIP/1003", "Agent 1003", None)]
    async with Simulator(SimConfig(port=0, time_scale=0.01, members=members)) as sim:
        ami = await Ami.connect(sim.port)
        call = await place(ami, "cti-9-2", "PJSIP/+8613800138000@carrier", "hotline-callback",
                           CB_NUMBER="+8613800138000", CTI_AGENT="PJSIP/1003")
        await ami.close()
    assert [e["DialStatus"] for e in call.of("DialEnd") if e.get("DestChannel", "").startswith("PJSIP/1003")][0] == (
        "NOANSWER")
    assert [s[:2] for s in call.steps()][7:10] == [("8", "GotoIf"), ("9", "Dial"), ("10", "Queue")]
    assert call.of("AgentConnect")[0]["Interface"] == "PJSIP/1001"


async def test_callback_without_an_agent_queues_at_once(ami):
    call = await place(ami, "cti-9-3", "PJSIP/+8613800138000@carrier", "hotline-callback",
                       CB_NUMBER="+8613800138000", CB_NAME="Zhang San", CTI_AGENT="")
    assert [s[:2] for s in call.steps()][7:9] == [("8", "GotoIf"), ("10", "Queue")]
    assert call.of("QueueCallerJoin")[0]["CallerIDName"] == "Zhang San"
    assert len(call.of("AgentCalled")) == 3


# -- hotline-dial -------------------------------------------------------------------------------------
async def click_to_dial(ami: Ami, number: str, action_id: str) -> Call:
    return await place(ami, action_id, "PJSIP/1001", "hotline-dial", exten=number, caller_id=f'"Zhang San" <{number}>')


async def test_dialling_a_busy_customer_reports_busy(ami):
    call = await click_to_dial(ami, "+8613700000001", "cti-10-1")
    assert call.response["Response"] == "Success" and call.response["Channel"].startswith("PJSIP/1001-")
    [result] = call.user_events("DialResult")
    assert [(k, result[k]) for k in ("UserEvent", "Attempt", "DialStatus")] == [
        ("UserEvent", "DialResult"), ("Attempt", "cti-10-1"), ("DialStatus", "BUSY")]
    assert (result["Context"], result["Exten"]) == ("hotline-dial", "h")
    assert call.hangup_causes() == {"PJSIP/carrier": "17", "PJSIP/1001": "16"}
    assert [e["DialStatus"] for e in call.of("DialEnd") if "Channel" in e] == ["BUSY"]


async def test_dialling_a_customer_who_answers(ami):
    call = await click_to_dial(ami, "+8613800138000", "cti-10-2")
    [result] = call.user_events("DialResult")
    assert result["DialStatus"] == "ANSWER"
    [dial] = [e for e in call.of("DialBegin") if e.get("Channel") == call.response["Channel"]]
    assert dial["DialString"] == "+8613800138000@carrier"
    assert (dial["CallerIDNum"], dial["ConnectedLineName"]) == ("4008001234", "Zhang San")
    seen_by_customer = [e for e in call.of("NewConnectedLine") if e["Channel"] == dial["DestChannel"]][-1]
    assert (seen_by_customer["ConnectedLineNum"], seen_by_customer["ConnectedLineName"]) == ("4008001234",
                                                                                              "Customer Care")
    assert len(call.of("BridgeEnter")) == 2
    assert [(s[0], s[1]) for s in call.steps("PJSIP/1001-")] == [("1", "NoOp"), ("2", "Set"), ("3", "Dial"),
                                                                 ("4", "Hangup"), ("1", "UserEvent")]


async def test_an_agent_hanging_up_first_still_gets_one_dial_result(ami, pbx_sim):
    pbx_sim.set_number("+8613500007777", talk=600)
    start = len(ami.messages)
    ami.writer.write(originate_bytes("cti-10-4", "PJSIP/1001", "hotline-dial", "+8613500007777", CALLER_ID,
                                     {"CTI_ACTION_ID": "cti-10-4"}))
    response = await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse", start=start)
    await ami.wait_for(lambda m: m.get("Event") == "BridgeEnter" and m["Channel"] == response["Channel"], start=start)
    ami.send("Hangup", ActionID="agent-hangs-up", Channel=response["Channel"])
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == response["Channel"], start=start)
    later = ami.messages[start:]
    results = [m for m in later if m.get("UserEvent") == "DialResult"]
    assert [(m["Attempt"], m["DialStatus"]) for m in results] == [("cti-10-4", "ANSWER")]
    assert not any(m.get("Event") == "Newexten" and m.get("Application") == "Hangup" for m in later)
    assert [m["Channel"].rsplit("-", 1)[0] for m in later if m.get("Event") == "SoftHangupRequest"] == ["PJSIP/1001"]


async def test_click_to_dial_from_the_phones_context_dials_without_a_result(ami):
    call = await place(ami, "c2d-1", "PJSIP/1002", "from-phones", exten="+8613700000003")  # rings, never answers
    assert [(s[0], s[1]) for s in call.steps("PJSIP/1002-")] == []  # not a hotline-* context
    steps = [(e["Priority"], e["Application"]) for e in call.of("Newexten") if e["Channel"].startswith("PJSIP/1002-")]
    assert steps == [("1", "AppDial2"), ("1", "Set"), ("2", "Dial"), ("3", "Hangup")]
    assert call.user_events("DialResult") == []
    assert [e["DialStatus"] for e in call.of("DialEnd") if "Channel" in e] == ["NOANSWER"]


# -- the steps are the dialplan's ---------------------------------------------------------------------
def dialplan_priorities() -> dict[tuple[str, str], dict[int, str]]:
    """(context, extension) → {priority: application}, read from hotline.conf."""
    table: dict[tuple[str, str], dict[int, str]] = {}
    context = exten = ""
    priority = 0
    for line in DIALPLAN.read_text(encoding="utf-8").splitlines():
        line = line.split(";", 1)[0].strip()
        if header := re.fullmatch(r"\[([^\]]+)\]", line):
            context = header.group(1)
        elif step := re.match(r"exten\s*=>\s*([^,]+),(\d+),(\w+)", line):
            exten, priority = step.group(1), int(step.group(2))
            table.setdefault((context, exten), {})[priority] = step.group(3)
        elif step := re.match(r"same\s*=>\s*n(?:\([^)]*\))?,(\w+)", line):
            priority += 1
            table[(context, exten)][priority] = step.group(1)
    return table


def pattern_of(context: str, exten: str, table: dict) -> str:
    if (context, exten) in table:
        return exten
    return next(p for (c, p) in table if c == context and p.startswith("_") and re.fullmatch(
        p[1:].replace("X", "[0-9]").replace("+", r"\+").replace(".", ".+"), exten))


async def test_every_step_is_the_application_the_dialplan_has_at_that_priority(ami, pbx_sim):
    pbx_sim.set_number("+8613500005555", keys=["3", ""])
    calls = [await survey(ami, "+8613500005555"), await survey(ami, "+8613912345678", "cti-7-2"),
             await place(ami, "cti-8-3", "PJSIP/+8613800138000@carrier", "hotline-notify", CTI_NOTICE="arrived",
                         CTI_TICKET="T20261201-0042", CB_NUMBER="+8613800138000"),
             await place(ami, "cti-9-4", "PJSIP/+8613800138000@carrier", "hotline-callback", CTI_AGENT="PJSIP/1001"),
             await click_to_dial(ami, "+8613700000002", "cti-10-3")]
    table = dialplan_priorities()
    checked = 0
    for call in calls:
        for event in call.of("Newexten"):
            if not event["Context"].startswith("hotline-"):
                continue
            pattern = pattern_of(event["Context"], event["Exten"], table)
            assert table[(event["Context"], pattern)][int(event["Priority"])] == event["Application"], event
            checked += 1
    assert checked > 60


# -- the control API sets a number's behaviour ----------------------------------------------------------
async def test_a_numbers_keys_are_set_over_http(ami, pbx_sim):
    url = f"http://127.0.0.1:{pbx_sim.control_port}/numbers"
    async with aiohttp.ClientSession() as http:
        async with http.put(f"{url}/+8613500006666", json={"keys": ["", "5"], "answer_after": 1}) as resp:
            assert resp.status == 200 and (await resp.json())["+8613500006666"]["keys"] == ["", "5"]
        async with http.put(f"{url}/+8613500006666", json={"keys": ["55"]}) as resp:
            assert resp.status == 400 and "keys" in (await resp.json())["error"]
        async with http.get(url) as resp:
            listed = await resp.json()
        assert listed["+8613800138000"]["dtmf"] == "4" and listed["+8613700000001"]["outcome"] == "busy"
        assert listed["default"]["outcome"] == "answer"
        call = await survey(ami, "+8613500006666")
        assert [(e["Rating"], e["Tries"]) for e in call.user_events("SurveyResult")] == [("5", "2")]
        async with http.delete(f"{url}/+8613500006666") as resp:
            assert resp.status == 200
        async with http.delete(f"{url}/+8613500006666") as resp:
            assert resp.status == 404
