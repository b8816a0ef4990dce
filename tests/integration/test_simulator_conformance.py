"""The simulator speaks AMI like the recorded Asterisk 22 (``sip_*`` traces).

One simulator replays the recording session in its order (answered,
abandoned, ring-no-answer, transferred, callback, failed originates, rated
survey, survey without input), one fresh TCP client per trace sending that
trace's ``.sent`` actions, each when as many messages have arrived as
precede its response in the recording. What each client received is
compared with the recorded ``.ami``: the same messages in the same order,
each with the same field names in the same order and the same values, after
this normalisation of ids and times (applied to both sides):

* renumbered consistently, first seen -> 1: Uniqueid/Linkedid (all
  ``*Uniqueid``/``*Linkedid``, Cdr ``UniqueID``), channel name suffixes
  (``PJSIP/1001-0000000f`` -> ``PJSIP/1001-#3`` wherever a value is a channel
  name), ``BridgeUniqueid``/``BridgeId``, ``BRIDGEPVTCALLID`` (SIP Call-IDs),
  ``SessionID``;
* times: ``EventTV``, ``SessionTV``, ``Timestamp``, ``Uptime``,
  ``LastReload``, Cdr ``StartTime``/``AnswerTime``/``EndTime``/``Duration``/
  ``BillableSeconds``; epochs ``LastCall``/``LastPause``/``LoginTime`` and the
  ``MEMBERLASTCALL`` variable (``0`` stays ``0``, an epoch becomes ``<epoch>``);
  ``*_MS`` variables compared in whole seconds (``5045`` -> ``5s``);
* address ports of ``LocalAddress``/``RemoteAddress``;
* media statistics: values of the ``RTPAUDIOQOS*`` variables;
* ``RTCPSent``/``RTCPReceived`` messages are left out on both sides: when
  they come depends on wall-clock media timing (the simulator emits them
  every 5 nominal seconds per media leg, at different positions).

Everything else (event names, field order, caller IDs, states, contexts,
priorities, applications, HoldTime/TalkTime/RingTime, CallsTaken, queue
positions, causes, DialStatus, OriginateResponse reasons, ActionIDs,
response messages) must be identical.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pbxsim import SimConfig, Simulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
SKIPPED_EVENTS = {"RTCPSent", "RTCPReceived"}
ID_FIELDS = re.compile(r"^(Dest|Transferer|Transferee)?(Uniqueid|Linkedid)$|^UniqueID$")
CHANNEL = re.compile(r"^(PJSIP/[^-/]+)-([0-9a-f]{8})$")
TIME_FIELDS = {"EventTV", "SessionTV", "Timestamp", "Uptime", "LastReload", "StartTime", "AnswerTime",
               "EndTime", "Duration", "BillableSeconds", "Wait", "LongestHoldTime", "CoreStartupDate",
               "CoreStartupTime", "CoreReloadDate", "CoreReloadTime"}
EPOCH_FIELDS = {"LastCall", "LastPause", "LoginTime"}
ORDER = ["sip_inbound_answered", "sip_inbound_abandoned", "sip_inbound_ring_noanswer", "sip_inbound_transferred",
         "sip_callback_answered", "sip_originate_failed", "sip_survey_rated", "sip_survey_no_input",
         "sip_status_actions"]
TIME_SCALE = 0.01
# sip_status_actions: the PJSIP* listings are not simulated; their actions are not sent and their
# responses/items are left out of the comparison. Its call waits for an unpause sent by the client,
# so that part runs slower (the wait before the unpause is measured on the scaled clock).
UNSIMULATED = {"sip_status_actions": {f"sip_status_actions-{n:02d}" for n in (6, 17, 18, 19, 20)}}
STATUS_TIME_SCALE = 0.05

Message = list[tuple[str, str]]


# -- parsing -------------------------------------------------------------------------------
def split_messages(data: bytes) -> tuple[bytes, list[Message]]:
    """Banner line and messages (field lists, UTF-8 decoded per whole message)."""
    banner, _, rest = data.partition(b"\r\n")
    messages = []
    for block in rest.split(b"\r\n\r\n"):
        if block:
            lines = block.decode("utf-8").split("\r\n")
            messages.append([tuple(line.split(": ", 1)) if ": " in line else (line.rstrip(":"), "")
                             for line in lines])
    return banner, messages


def kind(message: Message) -> str:
    return f"{message[0][0]}: {message[0][1]}"


def relevant(messages: list[Message]) -> list[Message]:
    return [m for m in messages if not (m[0][0] == "Event" and m[0][1] in SKIPPED_EVENTS)]


def sent_actions(name: str) -> list[Message]:
    skipped = UNSIMULATED.get(name, set())
    return [m for m in split_messages(b"\r\n" + (FIXTURES / f"{name}.sent").read_bytes())[1]
            if dict(m).get("ActionID") not in skipped]


def recorded_messages(name: str) -> list[Message]:
    """The recorded messages that the comparison covers."""
    skipped = UNSIMULATED.get(name, set())
    messages = split_messages((FIXTURES / f"{name}.ami").read_bytes())[1]
    return [m for m in messages if dict(m).get("ActionID") not in skipped]


# -- normalisation ---------------------------------------------------------------------------
class Normaliser:
    """Renumbers ids in order of first appearance; replaces times by tokens."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, str]] = {}

    def number(self, category: str, value: str) -> str:
        table = self.maps.setdefault(category, {})
        return table.setdefault(value, f"#{len(table) + 1}")

    def value(self, message: Message, key: str, value: str) -> str:
        fields = dict(message)
        match = CHANNEL.match(value)
        if match:
            return f"{match.group(1)}-{self.number('channel', value)}"
        if ID_FIELDS.match(key) and value not in ("", "<unknown>"):
            return "uid" + self.number("uid", value)
        if key in ("BridgeUniqueid", "BridgeId") and value:
            return "bridge" + self.number("bridge", value)
        if key == "SessionID":
            return "session" + self.number("session", value)
        if key in TIME_FIELDS:
            return "<time>"
        if key in EPOCH_FIELDS:
            return value if value == "0" else "<epoch>"
        if key in ("LocalAddress", "RemoteAddress"):
            return value.rsplit("/", 1)[0] + "/<port>"
        if key == "Value" and fields.get("Event") == "VarSet":
            variable = fields.get("Variable", "")
            if variable == "BRIDGEPVTCALLID" and value:
                return "callid" + self.number("callid", value)
            if variable.startswith("RTPAUDIOQOS"):
                return "<rtp-stats>"
            if variable == "MEMBERLASTCALL":
                return value if value == "0" else "<epoch>"
            if variable.endswith("_MS") and value:
                return f"{int(value) // 1000}s"
        return value

    def message(self, message: Message) -> Message:
        return [(key, self.value(message, key, value)) for key, value in message]


def normalise(messages: list[Message]) -> list[Message]:
    normaliser = Normaliser()
    return [normaliser.message(m) for m in relevant(messages)]


def differences(recorded: list[Message], received: list[Message], limit: int = 12) -> list[str]:
    """Readable differences; empty when both streams match."""
    expected, actual = normalise(recorded), normalise(received)
    problems = []
    kinds_e, kinds_a = [kind(m) for m in expected], [kind(m) for m in actual]
    if kinds_e != kinds_a:
        for i, (e, a) in enumerate(zip(kinds_e + ["<end>"] * len(kinds_a), kinds_a + ["<end>"] * len(kinds_e))):
            if e != a:
                problems.append(f"message {i}: expected {e!r}, got {a!r}")
                break
        problems.append(f"{len(kinds_e)} messages expected, {len(kinds_a)} received")
        return problems
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e != a:
            problems.append(f"message {i} ({kinds_e[i]}):\n  expected {e}\n  received {a}")
            if len(problems) >= limit:
                break
    return problems


# -- the replaying client ---------------------------------------------------------------------------
class TraceClient:
    """A plain asyncio TCP client that records every byte and counts messages."""

    def __init__(self) -> None:
        self.data = b""
        self.changed = asyncio.Event()
        self.eof = False

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while chunk := await self.reader.read(65536):
            self.data += chunk
            self.changed.set()
        self.eof = True
        self.changed.set()

    def messages(self) -> list[Message]:
        complete = self.data[: self.data.rfind(b"\r\n\r\n") + 4] if b"\r\n\r\n" in self.data else b""
        return relevant(split_messages(complete)[1]) if complete else []

    async def wait_count(self, count: int, timeout: float = 10.0) -> bool:
        """Wait for ``count`` messages; False if they did not come (the diff will show why)."""
        async def until() -> None:
            while len(self.messages()) < count and not self.eof:
                self.changed.clear()
                await self.changed.wait()
        try:
            await asyncio.wait_for(until(), timeout)
        except asyncio.TimeoutError:
            return False
        return len(self.messages()) >= count

    def send(self, action: Message) -> None:
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in action).encode() + b"\r\n")


def live_value(recorded: list[Message], received: list[Message], value: str) -> str:
    """Translate an id of the recording (e.g. a channel name in .sent) to the live one."""
    for rec, live in zip(recorded, received):
        for (key, rec_value), (live_key, live_val) in zip(rec, live):
            if rec_value == value and key == live_key:
                return live_val
    return value


async def replay(sim: Simulator, name: str, scenario: Callable | None = None, trigger: str = "Newchannel",
                 pauses: dict[str, float] | None = None, scale: float = TIME_SCALE) -> bytes:
    """Run one trace's client conversation; start ``scenario`` where the recording's call began.

    ``pauses`` maps an ActionID to nominal seconds the client waits before sending it (the
    recording's client sent BlindTransfer 2 s after the answer).
    """
    recorded = relevant(recorded_messages(name))
    first_call = next((i for i, m in enumerate(recorded) if kind(m) == f"Event: {trigger}"), None)
    client = TraceClient()
    await client.connect(sim.port)
    started = None
    for action in sent_actions(name):
        action_id = dict(action).get("ActionID")
        position = next(i for i, m in enumerate(recorded)
                        if m[0][0] == "Response" and dict(m).get("ActionID") == action_id)
        if scenario is not None and started is None and first_call is not None and first_call < position:
            await client.wait_count(first_call)
            started = asyncio.ensure_future(scenario())
        if not await client.wait_count(position):
            break
        await asyncio.sleep((pauses or {}).get(action_id, 0) * scale)
        client.send([(k, live_value(recorded, client.messages(), v) if CHANNEL.match(v) else v)
                     for k, v in action])
    try:
        await asyncio.wait_for(client.task, 10)
    except asyncio.TimeoutError:
        client.writer.close()
    if started is not None:
        await asyncio.wait_for(started, 20)
    return client.data


async def record_session() -> dict[str, bytes]:
    """The whole recording session, trace after trace, on one simulator."""
    sim = Simulator(SimConfig(port=0, time_scale=TIME_SCALE))
    await sim.start()
    agents = {"PJSIP/1001": 2, "PJSIP/1002": 3, "PJSIP/1003": 4}
    scenarios = {
        "sip_inbound_answered": lambda: sim.inbound(caller="+8613800138000", name="Zhang San",
                                                    answers=agents, talk=3),
        "sip_inbound_abandoned": lambda: sim.abandoned(caller="+8613912345678", name="Li Si", patience=5),
        "sip_inbound_ring_noanswer": lambda: sim.ring_no_answer(caller="+8618612345678", name="Wang Wu",
                                                                patience=20),
        "sip_inbound_transferred": lambda: sim.transferred(caller="+8613800138000", name="Zhang San",
                                                           answers=agents, to="1002", transfer_after=2,
                                                           via="ami", transfer_answer_after=3, transfer_talk=12),
        "sip_status_actions": lambda: sim.inbound(caller="+8613800138000", name="Zhang San",
                                                  answer_by="PJSIP/1001", after=2, talk=6),
    }
    pauses = {"sip_inbound_transferred": {"sip_inbound_transferred-02": 3},
              "sip_status_actions": {"sip_status_actions-13": 2.4}}  # recorded HoldTime 4 = 2 s wait + 2 s ring
    captured = {}
    try:
        for name in ORDER:
            scale = STATUS_TIME_SCALE if name == "sip_status_actions" else TIME_SCALE
            sim.pbx.clock.scale = scale
            captured[name] = await replay(sim, name, scenarios.get(name), pauses=pauses.get(name), scale=scale)
    finally:
        await sim.stop()
    return captured


@pytest.fixture(scope="module")
def session() -> dict[str, bytes]:
    return asyncio.run(asyncio.wait_for(record_session(), 120))


@pytest.mark.parametrize("name", ORDER)
def test_simulator_output_matches_recorded_trace(session, name):
    banner, received = split_messages(session[name])
    recorded_banner = split_messages((FIXTURES / f"{name}.ami").read_bytes())[0]
    recorded = recorded_messages(name)
    assert banner == recorded_banner == b"Asterisk Call Manager/11.0.0"
    problems = differences(recorded, received)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ORDER)
def test_raw_framing_is_crlf_with_blank_line_after_each_message(session, name):
    data = session[name]
    assert data.startswith(b"Asterisk Call Manager/11.0.0\r\n")
    assert data.endswith(b"\r\n\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
