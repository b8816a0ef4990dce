"""The simulator applies an AMI user's read and write classes as Asterisk 22's ``main/manager.c`` does.

* events: a session is sent an event when every class of the event's category is among its read
  classes (``__manager_event_sessions_va``, ``process_events``: ``(send_events & category) == category``);
* actions: one of the action's registered classes must be among the write classes (``process_message``:
  ``writeperm & authority || authority == 0``), else ``Response: Error`` / ``Message: Permission denied``
  and a ``RequestNotAllowed`` security event (``report_req_not_allowed``);
* the items of a list answer (``Status``, ``CoreShowChannel``, ``QueueMember`` …) are part of the answer
  (``astman_append``), whatever the read classes.

The account is the one the project documents (``asterisk-dev/manager.conf``, ``[cti]``); with ``read = all``
the recorded conformance replay (test_simulator_conformance.py) is unchanged.
"""

from __future__ import annotations

import asyncio
import doctest
from pathlib import Path

import pytest

import pbxsim.config
import pbxsim.permissions
import test_simulator_conformance as conformance
from pbxsim import SimConfig, Simulator, classes_from_manager_conf, documented_classes
from pbxsim.__main__ import build_parser, config_from, main
from test_simulator_control import Ami

ROOT = Path(__file__).resolve().parents[2]
MANAGER_CONF = ROOT / "asterisk-dev" / "manager.conf"
DOCUMENTED = {"read": "system,call,agent,user,dtmf", "write": "originate,agent,call,reporting"}
# Actions the service sends (cti/ami/actions.py, bridge.py) and the transfer the console may ask for.
SERVICE_ACTIONS = ["Ping", "Originate", "QueuePause", "QueueAdd", "QueueRemove", "Hangup", "QueueStatus",
                   "QueueSummary", "Status", "CoreShowChannels", "CoreSettings", "CoreStatus", "BlindTransfer"]
# Registered with classes the documented account's write classes do not meet (manager.c __init_manager).
FORBIDDEN_ACTIONS = {"Command": {"Command": "core show version"}, "Reload": {}, "GetConfig": {"Filename": "manager.conf"},
                     "UpdateConfig": {"SrcFilename": "x.conf", "DstFilename": "x.conf"}, "ModuleLoad": {"Module": "x.so"},
                     "Filter": {}, "UserEvent": {"UserEvent": "Forged"}}  # fmt: skip
NOT_READ = {"Newexten", "VarSet", "RTCPSent", "RTCPReceived", "Cdr", "SuccessfulAuth", "RequestBadFormat"}


def test_the_documented_account_is_read_from_asterisk_dev_manager_conf():
    assert classes_from_manager_conf(MANAGER_CONF, "cti") == documented_classes() == DOCUMENTED


def test_manager_conf_is_read_as_asterisk_reads_it(tmp_path):
    conf = tmp_path / "manager.conf"
    conf.write_text("[general]\nenabled = yes\nread = all\n"
                    "[CTI]  ; a comment\n secret = s;cret ; the secret is 's'\n"
                    "read => system,call ; arrow form, comment\nread = call,agent\n"
                    "[other]\nwrite = all\n", encoding="utf-8")
    assert classes_from_manager_conf(conf, "cti") == {"read": "call,agent", "write": ""}  # last wins; none: 0
    with pytest.raises(ValueError, match=r"no \[nobody\] section"):
        classes_from_manager_conf(conf, "nobody")


def test_classes_become_masks_like_get_perm():
    perm = pbxsim.permissions
    assert doctest.testmod(perm).failed == 0
    assert perm.get_perm("system,call,agent,user,dtmf") == perm.SYSTEM | perm.CALL | perm.AGENT | perm.USER | perm.DTMF
    assert perm.get_perm("system, call") == perm.SYSTEM  # ast_instring trims nothing: " call" is no class
    assert perm.get_perm("all") == perm.ALL and perm.get_perm("none") == 0
    write = perm.get_perm(DOCUMENTED["write"])
    assert all(perm.may_run(write, name) for name in SERVICE_ACTIONS)
    assert not any(perm.may_run(write, name) for name in FORBIDDEN_ACTIONS)


def test_the_event_classes_are_those_of_the_privilege_lines():
    perm = pbxsim.permissions
    read = perm.get_perm(DOCUMENTED["read"])
    assert not any(perm.can_read(read, name) for name in NOT_READ)
    for name in ("Newchannel", "Hangup", "OriginateResponse", "QueueCallerJoin", "AgentConnect", "UserEvent",
                 "DTMFBegin", "FullyBooted", "DeviceStateChange", "BridgeEnter"):
        assert perm.can_read(read, name), name


# -- the recording, as the documented account receives it ---------------------------------------------
def readable(message: conformance.Message, classes: set[str]) -> bool:
    """Whether Asterisk sends this recorded message to a session with these read classes: an event's
    ``Privilege`` lists its classes and ``all`` (authority_to_str); responses and list items (``Status``
    writes ``Privilege: Call``, without ``all``) are part of an action's answer."""
    labels = dict(message).get("Privilege", "").split(",")
    if message[0][0] != "Event" or "all" not in labels:
        return True
    return set(labels) - {"all"} <= classes


@pytest.fixture(scope="module")
def least_privilege_session() -> dict[str, bytes]:
    """The conformance replay (unchanged) on a simulator with the documented classes, each action sent
    when the messages the documented account receives of the recording have arrived."""
    patch = pytest.MonkeyPatch()
    classes = set(DOCUMENTED["read"].split(","))
    recorded = conformance.recorded_messages
    patch.setattr(conformance, "SimConfig", lambda **kw: SimConfig(**kw, **documented_classes()))
    patch.setattr(conformance, "recorded_messages", lambda name: [m for m in recorded(name) if readable(m, classes)])
    try:
        return asyncio.run(asyncio.wait_for(conformance.record_session(), 120))
    finally:
        patch.undo()


@pytest.mark.parametrize("name", conformance.ORDER)
def test_the_documented_account_receives_the_recording_minus_what_it_may_not_read(least_privilege_session, name):
    classes = set(DOCUMENTED["read"].split(","))
    recorded = conformance.recorded_messages(name)
    expected = [m for m in recorded if readable(m, classes)]
    assert len(expected) < len(recorded)  # every trace has events outside read (SuccessfulAuth at least)
    _, received = conformance.split_messages(least_privilege_session[name])
    problems = conformance.differences(expected, received)
    assert not problems, "\n".join(problems)
    assert not {dict(m).get("Event") for m in received} & NOT_READ


# -- live sessions ----------------------------------------------------------------------------------------
@pytest.fixture
async def documented_pbx():
    sim = Simulator(SimConfig(port=0, time_scale=0.01, **documented_classes()))
    await sim.start()
    yield sim
    await sim.stop()


async def events_of_a_day(sim: Simulator, ami: Ami) -> set[str]:
    """The event names one session sees while another logs in, an unknown action is sent, a customer
    talks 12 s (RTCP), a survey is keyed (DTMF, UserEvent) and a callback made."""
    other = await Ami.connect(sim.port)
    other.send("NoSuchAction", ActionID="bad")
    await other.response("bad")
    await sim.inbound(caller="+8613800138000", name="Zhang San", answer_by="PJSIP/1001", after=2, talk=12)
    await sim.survey(number="+8613800138000", campaign="csat")
    await sim.callback(number="+8613800138000", name="Zhang San", action_id="cb-1")
    await ami.sync()
    await other.close()
    return {m["Event"] for m in ami.messages if "Event" in m}


async def test_the_documented_account_reads_no_dialplan_reporting_cdr_or_security_events(documented_pbx):
    ami = await Ami.connect(documented_pbx.port)
    seen = await events_of_a_day(documented_pbx, ami)
    await ami.close()
    assert not seen & NOT_READ
    assert {"FullyBooted", "Newchannel", "Hangup", "QueueCallerJoin", "AgentConnect", "DTMFBegin", "UserEvent",
            "OriginateResponse", "DeviceStateChange"} <= seen


async def test_with_read_all_the_same_day_shows_every_event():
    async with Simulator(SimConfig(port=0, time_scale=0.01)) as sim:
        ami = await Ami.connect(sim.port)
        seen = await events_of_a_day(sim, ami)
        await ami.close()
    assert NOT_READ <= seen


async def test_actions_outside_write_are_refused_word_for_word(documented_pbx):
    ami = await Ami.connect(documented_pbx.port)
    for name, headers in FORBIDDEN_ACTIONS.items():
        start = len(ami.raw)
        ami.send(name, ActionID=f"x-{name}", **headers)
        await ami.response(f"x-{name}")
        assert ami.raw[start:] == [f"Response: Error\r\nActionID: x-{name}\r\nMessage: Permission denied".encode()]
    await ami.close()


async def test_the_actions_the_service_sends_are_allowed(documented_pbx):
    ami = await Ami.connect(documented_pbx.port)
    headers = {"Originate": {"Channel": "PJSIP/+8613700000001@carrier", "Context": "hotline-survey", "Exten": "s",
                             "Async": "true"},
               "QueuePause": {"Interface": "PJSIP/1001", "Paused": "false"},
               "QueueAdd": {"Queue": "support", "Interface": "PJSIP/1009"},
               "QueueRemove": {"Queue": "support", "Interface": "PJSIP/1009"},
               "Hangup": {"Channel": "PJSIP/none-00000000"}, "BlindTransfer": {"Channel": "PJSIP/none-00000000",
                                                                               "Exten": "1002"}}
    for name in SERVICE_ACTIONS:
        ami.send(name, ActionID=f"ok-{name}", **headers.get(name, {}))
        reply = await ami.response(f"ok-{name}")
        assert reply.get("Message") != "Permission denied", name
    await ami.close()


async def test_a_refusal_is_reported_as_request_not_allowed_to_who_reads_security():
    config = SimConfig(port=0, time_scale=0.01, read="all", write=DOCUMENTED["write"])
    async with Simulator(config) as sim:
        ami = await Ami.connect(sim.port)
        ami.send("Command", ActionID="cmd", Command="core show version")
        start = len(ami.messages)
        assert (await ami.response("cmd"))["Message"] == "Permission denied"
        event = await ami.wait_for(lambda m: m.get("Event") == "RequestNotAllowed", start=start)
        assert list(event) == ["Event", "Privilege", "EventTV", "Severity", "Service", "EventVersion", "AccountID",
                               "SessionID", "LocalAddress", "RemoteAddress", "RequestType", "SessionTV"]
        assert (event["Privilege"], event["Severity"], event["Service"], event["EventVersion"], event["AccountID"],
                event["RequestType"]) == ("security,all", "Error", "AMI", "1", "cti", "Action: Command")
        stranger = await Ami.connect(sim.port, login=False)
        stranger.send("Ping", ActionID="early")
        await stranger.response("early")
        early = await ami.wait_for(lambda m: m.get("RequestType") == "Action: Ping")
        assert (early["AccountID"], early["SessionTV"]) == ("", "1970-01-01T00:00:00.000+0000")
        await stranger.close()
        await ami.close()


async def test_the_events_mask_narrows_the_read_classes_and_never_widens_them(documented_pbx):
    ami = await Ami.connect(documented_pbx.port)
    ami.send("Events", ActionID="e1", EventMask="dialplan,cdr")
    assert (await ami.response("e1"))["Events"] == "On"  # classes asked for, none granted: On, and silence
    start = len(ami.messages)
    await documented_pbx.survey(number="+8613800138000", campaign="csat")
    await ami.sync()
    assert [m for m in ami.messages[start:] if "Event" in m] == []
    ami.send("Events", ActionID="e2", EventMask="user")
    await ami.response("e2")
    start = len(ami.messages)
    await documented_pbx.survey(number="+8613800138000", campaign="csat")
    await ami.sync()
    assert {m["Event"] for m in ami.messages[start:] if "Event" in m} == {"UserEvent"}
    ami.send("Events", ActionID="e3", EventMask="")
    assert (await ami.response("e3"))["Message"] == "Invalid event mask"
    ami.send("Events", ActionID="e4", EventMask="off")
    assert (await ami.response("e4"))["Events"] == "Off"
    await ami.close()


async def test_a_login_with_events_off_gets_no_fully_booted(documented_pbx):
    ami = await Ami.connect(documented_pbx.port, login=False)
    ami.send("Login", ActionID="in", Username="cti", Secret="ctisecret", Events="off")
    assert (await ami.response("in"))["Message"] == "Authentication accepted"
    await documented_pbx.survey(number="+8613800138000", campaign="csat")
    await ami.sync()
    assert [m for m in ami.messages if "Event" in m] == []
    await ami.close()


# -- how the simulator is started with the documented account ---------------------------------------------
def test_the_command_line_takes_the_classes_from_a_manager_conf(capsys):
    config = config_from(build_parser().parse_args(["--manager-conf", str(MANAGER_CONF)]))
    assert (config.read, config.write) == (DOCUMENTED["read"], DOCUMENTED["write"])
    assert (SimConfig().read, SimConfig().write) == ("all", "all")
    with pytest.raises(SystemExit) as stopped:
        main(["--manager-conf", str(MANAGER_CONF), "--username", "admin"])
    assert stopped.value.code == 2 and "no [admin] section" in capsys.readouterr().err


def test_the_bundled_simulator_of_cti_serve_and_cti_sim_uses_the_documented_account():
    from cti.cli_serve import _sim_config
    from cti.config import Settings

    config = _sim_config(Settings(_env_file=None), port=0, control_port=None)
    assert (config.read, config.write) == (DOCUMENTED["read"], DOCUMENTED["write"])


def test_the_wheel_ships_the_documented_manager_conf():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"asterisk-dev/manager.conf" = "pbxsim/manager.conf"' in pyproject
    assert pbxsim.config.documented_manager_conf() == MANAGER_CONF.resolve()
