"""Scenarios of the simulator: scripted calls, Originate outcomes, the random mix, the CLI."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from pbxsim import SimConfig, Simulator, load_callers
from pbxsim.mix import Generator, MixConfig

from test_simulator_control import Ami

ROOT = Path(__file__).resolve().parents[2]


def events(client: Ami, name: str) -> list[dict]:
    return [m for m in client.messages if m.get("Event") == name]


@pytest.fixture
async def ami(pbx_sim):
    client = await Ami.connect(pbx_sim.port)
    yield client
    await client.close()


# -- inbound ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [0.001, 0.02])
async def test_reported_times_are_the_scripted_ones_whatever_the_time_scale(scale):
    async with Simulator(SimConfig(port=0, time_scale=scale)) as sim:
        client = await Ami.connect(sim.port)
        result = await sim.inbound(answers={"PJSIP/1002": 4, "PJSIP/1003": 7}, talk=9)
        await client.sync()
        connect = await client.wait_for(lambda m: m.get("Event") == "AgentConnect")
        complete = await client.wait_for(lambda m: m.get("Event") == "AgentComplete")
        assert (connect["Interface"], connect["HoldTime"], connect["RingTime"]) == ("PJSIP/1002", "4", "4")
        assert (complete["HoldTime"], complete["TalkTime"], complete["Reason"]) == ("4", "9", "agent")
        assert (result["hold_time"], result["talk_time"]) == (4, 9)
        await client.close()


async def test_ringall_winner_takes_it_and_the_others_get_two_cancels_and_cause_26(ami, pbx_sim):
    await pbx_sim.inbound(answers={"PJSIP/1001": 5, "PJSIP/1002": 2, "PJSIP/1003": 3}, talk=1)
    await ami.sync()
    called = [e["Interface"] for e in events(ami, "AgentCalled")]
    assert called == ["PJSIP/1003", "PJSIP/1002", "PJSIP/1001"]
    assert events(ami, "AgentConnect")[0]["Interface"] == "PJSIP/1002"
    cancels = Counter(e["DestChannel"].split("-")[0] for e in events(ami, "DialEnd") if e["DialStatus"] == "CANCEL")
    assert cancels == {"PJSIP/1001": 2, "PJSIP/1003": 2}
    causes = {e["Channel"].split("-")[0]: e["Cause"] for e in events(ami, "Hangup")}
    assert causes == {"PJSIP/1001": "26", "PJSIP/1003": "26", "PJSIP/1002": "16", "PJSIP/carrier": "16"}


async def test_direct_ring_offers_the_call_to_one_agent_only(ami, pbx_sim):
    result = await pbx_sim.direct(agent="PJSIP/1003", after=1, talk=2, caller="+8613912345678", name="Li Si")
    await ami.sync()
    assert [e["Interface"] for e in events(ami, "AgentCalled")] == ["PJSIP/1003"]
    assert result["agent"] == "PJSIP/1003"
    assert events(ami, "AgentConnect")[0]["DestConnectedLineNum"] == "+8613912345678"


async def test_ring_no_answer_retries_and_the_caller_gives_up(ami, pbx_sim):
    result = await pbx_sim.ring_no_answer(patience=20)
    await ami.sync()
    assert [e["RingTime"] for e in events(ami, "AgentRingNoAnswer")] == ["15000"] * 3
    assert len(events(ami, "AgentCalled")) == 6
    assert events(ami, "QueueCallerAbandon")[0]["HoldTime"] == "20"
    assert result["outcome"] == "abandoned"


async def test_abandoned_while_everybody_is_paused(ami, pbx_sim):
    pbx_sim.pause_all(True, "Lunch")
    result = await pbx_sim.abandoned(patience=5)
    await ami.sync()
    assert events(ami, "AgentCalled") == []
    assert events(ami, "QueueCallerAbandon")[0]["HoldTime"] == "5"
    assert [e["PausedReason"] for e in events(ami, "QueueMemberPause")] == ["Lunch"] * 3
    assert result["outcome"] == "abandoned"


async def test_unpausing_an_agent_lets_a_waiting_caller_through(ami, pbx_sim):
    pbx_sim.pause_all(True, "Meeting")
    call = pbx_sim.start_inbound(answer_by="PJSIP/1001", after=2, talk=1, patience=60)
    await ami.wait_for(lambda m: m.get("Event") == "QueueCallerJoin")
    pbx_sim.set_paused("PJSIP/1001", False)
    result = await call.wait(5)
    await ami.sync()
    assert result["outcome"] == "answered" and result["agent"] == "PJSIP/1001"
    assert [e["Interface"] for e in events(ami, "AgentCalled")] == ["PJSIP/1001"]


async def test_anonymous_callers(ami, pbx_sim):
    await pbx_sim.anonymous(talk=1)
    await pbx_sim.anonymous(withheld=True, talk=1)
    await ami.sync()
    joins = [(e["CallerIDNum"], e["CallerIDName"]) for e in events(ami, "QueueCallerJoin")]
    assert joins == [("<unknown>", "<unknown>"), ("anonymous", "Anonymous")]
    noops = [e["AppData"] for e in events(ami, "Newexten") if e["Application"] == "NoOp"]
    assert noops == ['Inbound call to 4008001234 from "" <>', 'Inbound call to 4008001234 from "Anonymous" <anonymous>']


async def test_caller_hanging_up_during_the_talk(ami, pbx_sim):
    await pbx_sim.inbound(answer_by="PJSIP/1002", after=1, talk=4, hangup_by="caller")
    await ami.sync()
    complete = events(ami, "AgentComplete")[0]
    assert (complete["Reason"], complete["TalkTime"]) == ("caller", "4")
    assert events(ami, "HangupRequest")[0]["Channel"].startswith("PJSIP/carrier-")


async def test_scripted_transfer_rings_the_target_with_the_same_linkedid(ami, pbx_sim):
    result = await pbx_sim.transferred(agent="PJSIP/1001", to="1003", transfer_after=5, transfer_talk=4)
    await ami.sync()
    assert result["outcome"] == "transferred"
    linkedids = {e["Linkedid"] for e in events(ami, "Newchannel")}
    assert linkedids == {result["linkedid"]}
    assert [e["Reason"] for e in events(ami, "AgentComplete")] == ["transfer"]
    assert events(ami, "BlindTransfer")[0]["Extension"] == "1003"


# -- originate -------------------------------------------------------------------------------------
async def test_callback_and_surveys_through_the_python_api(ami, pbx_sim):
    callback = await pbx_sim.callback(number="+8613800138000", name="Zhang San", action_id="callback-T1")
    await ami.sync()
    assert callback["outcome"] == "answered" and callback["agent"] == "PJSIP/1001"
    response = events(ami, "OriginateResponse")[0]
    assert (response["ActionID"], response["Response"], response["Reason"]) == ("callback-T1", "Success", "4")
    assert events(ami, "QueueCallerJoin")[0]["CallerIDNum"] == "+8613800138000"
    rated = await pbx_sim.survey(number="+8613800138000", campaign="csat-x")
    silent = await pbx_sim.survey(number="+8613912345678", campaign="csat-x")
    await ami.sync()
    results = [(e["Campaign"], e["Contact"], e["Rating"]) for e in events(ami, "UserEvent")]
    assert results == [("csat-x", "+8613800138000", "4"), ("csat-x", "+8613912345678", "")]
    assert (rated["rating"], silent["rating"]) == ("4", "")
    assert [e["Digit"] for e in events(ami, "DTMFEnd")] == ["4"]


async def test_originate_outcomes_by_number_and_endpoint(ami):
    def originate(action_id: str, channel: str, asynchronous: bool = True, **extra) -> None:
        fields = dict(ActionID=action_id, Channel=channel, Context="callback", Exten="s", Priority="1",
                      CallerID='"Customer Care" <4008001234>', Timeout="30000", **extra)
        if asynchronous:
            fields["Async"] = "true"
        ami.send("Originate", **fields)

    originate("busy", "PJSIP/+8613700000001@carrier", Variable="CB_NUMBER=+8613700000001")
    assert (await ami.response("busy"))["Message"] == "Originate successfully queued"
    failure = await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse")
    assert (failure["Response"], failure["Reason"], failure["Uniqueid"]) == ("Failure", "0", "<unknown>")
    assert failure["Channel"] == "PJSIP/+8613700000001@carrier"
    hangup = await ami.wait_for(lambda m: m.get("Event") == "Hangup")
    assert (hangup["Cause"], hangup["Cause-txt"], hangup["TechCause"]) == ("17", "User busy", "486")

    seen = len(ami.messages)
    originate("nowhere", "PJSIP/+8613800138000@no-such-trunk")
    await ami.response("nowhere")
    failure = await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse", start=seen)
    assert failure["Channel"] == "PJSIP/+8613800138000@no-such-trunk"
    assert not any(m.get("Event") == "Newchannel" for m in ami.messages[seen:])

    seen = len(ami.messages)
    originate("sync", "PJSIP/+8613700000002@carrier", asynchronous=False)
    error = await ami.response("sync")
    assert error["Message"] == "Originate failed"
    await ami.wait_for(lambda m: m.get("Event") == "Hangup", start=seen)
    later = ami.messages[seen:]
    assert later.index(error) < next(i for i, m in enumerate(later) if m.get("Event") == "Newchannel")
    assert not any(m.get("Event") == "OriginateResponse" for m in later)


async def test_originate_variables_in_both_forms_are_set_in_reverse(ami):
    ami.writer.write(b"Action: Originate\r\nActionID: v\r\nChannel: PJSIP/+8613700000003@carrier\r\n"
                     b"Context: callback\r\nExten: s\r\nAsync: true\r\nTimeout: 1000\r\n"
                     b"Variable: A=1,B=2\r\nVariable: C=3\r\n\r\n")
    await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse")
    assert [(e["Variable"], e["Value"]) for e in events(ami, "VarSet")] == [("C", "3"), ("B", "2"), ("A", "1")]
    assert events(ami, "OriginateResponse")[0]["Reason"] == "3"


async def test_click_to_dial_rings_the_agent_then_dials_the_customer(ami, pbx_sim):
    ami.send("Originate", ActionID="c2d", Channel="PJSIP/1002", Context="from-phones", Exten="+8613800138000",
             CallerID='"Customer Care" <4008001234>', Async="true")
    assert (await ami.response("c2d"))["Message"] == "Originate successfully queued"
    response = await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse")
    assert response["Response"] == "Success" and response["Channel"].startswith("PJSIP/1002-")
    dial = await ami.wait_for(
        lambda m: m.get("Event") == "DialBegin" and m.get("DialString") == "+8613800138000@carrier")
    assert dial["Channel"] == response["Channel"] and dial["DestLinkedid"] == response["Uniqueid"]
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == response["Channel"])
    result = await pbx_sim.click_to_dial(agent="PJSIP/1001", number="+8613700000001")
    assert (result["outcome"], result["cause"]) == ("failed", 17)


# -- the random mix --------------------------------------------------------------------------------
def test_the_mix_is_reproducible_with_a_seed():
    def draws(seed: int) -> list[tuple]:
        async def run() -> list[tuple]:
            sim = Simulator(SimConfig(port=0))
            generator = Generator(sim.pbx, MixConfig(seed=seed))
            return [(s.caller, s.name, s.extra["mix"], s.talk, s.patience) for s in
                    (generator.script() for _ in range(40))]
        return asyncio.run(run())

    assert draws(3) == draws(3)
    assert draws(3) != draws(4)
    assert len({d[2] for d in draws(3)}) >= 4


async def test_a_busy_hour_keeps_the_model_consistent(ami, pbx_sim):
    generator = pbx_sim.start_generator(calls_per_second=0.5, seed=11, max_calls=25)
    async def placed_all() -> None:
        while generator.running:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(placed_all(), 20)
    for call in list(generator.calls):
        await asyncio.wait_for(asyncio.shield(call.done), 20)
    await ami.sync()
    assert generator.placed == 25
    created = {e["Channel"] for e in events(ami, "Newchannel")}
    assert created == {e["Channel"] for e in events(ami, "Hangup")}
    joins = {e["Uniqueid"] for e in events(ami, "QueueCallerJoin")}
    assert len(joins) == 25 and joins == {e["Uniqueid"] for e in events(ami, "QueueCallerLeave")}
    rung = Counter()
    for message in ami.messages:  # a phone never rings for two calls at once
        if message.get("Event") == "AgentCalled":
            rung[message["Interface"]] += 1
            assert rung[message["Interface"]] == 1
        elif message.get("Event") == "Hangup" and not message["Channel"].startswith("PJSIP/carrier"):
            rung[message["Channel"].rsplit("-", 1)[0]] -= 1
    await ami.sync()
    assert pbx_sim.active_calls() == [] and pbx_sim.channels() == []
    assert all(m["status"] == 1 and not m["in_call"] for m in pbx_sim.members())


# -- configuration and command line ----------------------------------------------------------------
def test_callers_csv(tmp_path):
    path = tmp_path / "callers.csv"
    path.write_text("number,name\n+8613800138000,张三\n+8613912345678,\"O'Brien, \"\"Bob\"\"\"\n\n", encoding="utf-8")
    assert load_callers(path) == [("+8613800138000", "张三"), ("+8613912345678", "O'Brien, \"Bob\"")]


async def test_cli_serves_ami_and_the_control_api(tmp_path):
    callers = tmp_path / "callers.csv"
    callers.write_text("+8613800138000,Zhang San\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "asterisk-dev"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pbxsim", "--port", "0", "--control-port", "0", "--time-scale", "0.01",
        "--calls-per-minute", "600", "--seed", "1", "--callers", str(callers),
        stdout=asyncio.subprocess.PIPE, env=env)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        assert line.startswith("pbxsim: AMI on 127.0.0.1:")
        port = int(line.split("127.0.0.1:")[1].split(",")[0])
        client = await Ami.connect(port)
        join = await client.wait_for(lambda m: m.get("Event") == "QueueCallerJoin", timeout=10)
        assert (join["CallerIDNum"], join["CallerIDName"]) in {("+8613800138000", "Zhang San")} or \
            join["CallerIDName"] in ("<unknown>", "Anonymous")
        await client.close()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0


def test_docstring_examples_run():
    import doctest

    import pbxsim.protocol
    import pbxsim.simulator

    for module in (pbxsim.protocol, pbxsim.simulator):
        assert doctest.testmod(module).failed == 0
