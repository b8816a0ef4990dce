"""The PBX model: channels, queue members, the queue, bridges, device states.

The :class:`Pbx` owns all state and is the only thing that emits events. It
is single-threaded (asyncio): scenario code mutates the model and emits
events synchronously, so the order of events is exactly the order of calls.
Device states are computed from the model and a ``DeviceStateChange`` is
only emitted when a device's state differs from the last one published,
like Asterisk's device state cache.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from . import events as ev
from .config import MemberConfig, SimConfig
from .protocol import encode

Listener = Callable[[bytes, str], None]


class Clock:
    """Scaled time: ``sleep(5)`` waits ``5 * time_scale`` real seconds."""

    def __init__(self, time_scale: float) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.scale = time_scale

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def epoch() -> float:
        return time.time()

    def nominal_since(self, mono_start: float) -> float:
        """Nominal seconds elapsed since a ``monotonic()`` reading."""
        return (time.monotonic() - mono_start) / self.scale

    async def sleep(self, nominal: float) -> None:
        await asyncio.sleep(max(0.0, nominal) * self.scale)


def variable_name(name: str) -> str:
    """A variable's name as Asterisk looks it up: without the ``_``/``__`` that make children inherit it."""
    return name[2:] if name.startswith("__") else name[1:] if name.startswith("_") else name


@dataclass(eq=False)
class Channel:
    """One PJSIP leg, with the fields of an AMI channel snapshot."""

    name: str
    uniqueid: str
    linkedid: str
    device: str  # PJSIP/1001 or PJSIP/carrier
    state: int = 0
    cid_num: str = ""
    cid_name: str = ""
    cl_num: str = ""
    cl_name: str = ""
    context: str = ""
    exten: str = ""
    priority: int = 1
    language: str = "en"
    accountcode: str = ""
    app: str = ""
    appdata: str = ""
    dnid: str = ""  # the number dialled to reach an inbound leg (chan_pjsip sets it from the request URI)
    bridge: Bridge | None = None
    callid: str = field(default_factory=lambda: str(uuid.uuid4()))
    mono_created: float = field(default_factory=time.monotonic)
    call: object = None
    hungup: bool = False
    variables: dict[str, str] = field(default_factory=dict)  # by name without the _/__ inheritance prefix
    prefixes: dict[str, str] = field(default_factory=dict)  # name -> "_" or "__" for the inherited ones

    def set_variable(self, name: str, value: str) -> None:
        """What a VarSet leaves on the channel."""
        bare = variable_name(name)
        self.variables[bare] = value
        self.prefixes.pop(bare, None)
        if bare != name:
            self.prefixes[bare] = name[: len(name) - len(bare)]

    def inheritance(self) -> list[tuple[str, str]]:
        """What a channel this one dials inherits, newest first as Asterisk copies them: ``__X`` stays
        ``__X`` (inherited again), ``_X`` becomes ``X``."""
        return [(f"__{name}" if prefix == "__" else name, self.variables[name])
                for name, prefix in reversed(list(self.prefixes.items()))]

    def summary(self) -> dict:
        return {"channel": self.name, "uniqueid": self.uniqueid, "linkedid": self.linkedid,
                "state": ev.STATE_DESC[self.state], "caller_id_num": self.cid_num,
                "caller_id_name": self.cid_name, "context": self.context, "exten": self.exten,
                "application": self.app}


@dataclass(eq=False)
class Bridge:
    uniqueid: str = field(default_factory=lambda: str(uuid.uuid4()))
    channels: list[Channel] = field(default_factory=list)


@dataclass(eq=False)
class Member:
    """A queue member (SIP phone) with Asterisk's per-member counters."""

    interface: str
    name: str
    answer_after: float | None = 2.0
    membership: str = "static"
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: bool = False
    status: int = 1
    paused: bool = False
    paused_reason: str = ""

    @property
    def number(self) -> str:
        return self.interface.split("/", 1)[-1]

    def summary(self) -> dict:
        return {"interface": self.interface, "name": self.name, "paused": self.paused,
                "reason": self.paused_reason, "status": self.status, "in_call": self.in_call,
                "calls_taken": self.calls_taken, "membership": self.membership}


@dataclass(eq=False)
class Queue:
    """The ringall queue with Asterisk's exponential hold/talk averages."""

    name: str
    strategy: str = "ringall"
    members: list[Member] = field(default_factory=list)
    callers: list = field(default_factory=list)  # QueueCall objects, in queue order
    holdtime: int = 0
    talktime: int = 0
    completed: int = 0
    abandoned: int = 0
    completed_insl: int = 0
    abandoned_insl: int = 0
    servicelevel: int = 20
    waiters: list[asyncio.Future] = field(default_factory=list)

    def find(self, interface: str) -> Member | None:
        for m in self.members:
            if m.interface == interface or m.name == interface:
                return m
        return None

    def available(self) -> list[Member]:
        """Members the queue may ring: not paused, device not in use (ringinuse=no)."""
        return [m for m in self.members if not m.paused and m.status in (0, 1)]

    def ring_order(self) -> list[Member]:
        """ringall order observed in the traces: last configured first."""
        return list(reversed(self.members))

    def record_hold(self, seconds: int) -> None:
        if self.completed + self.abandoned == 0:
            self.holdtime = seconds
        else:
            self.holdtime = ((self.holdtime << 2) - self.holdtime + seconds) >> 2

    def record_complete(self, hold: int, talk: int) -> None:
        self.completed += 1
        if hold <= self.servicelevel:
            self.completed_insl += 1
        if self.completed == 1:
            self.talktime = talk
        else:
            self.talktime = ((self.talktime << 2) - self.talktime + talk) >> 2

    def record_abandon(self, hold: int) -> None:
        self.abandoned += 1
        if hold <= self.servicelevel:
            self.abandoned_insl += 1

    def sl_perf(self) -> float:
        return 100.0 * self.completed_insl / self.completed if self.completed else 0.0

    def sl_perf2(self) -> float:
        total = self.completed + self.abandoned
        return 100.0 * (self.completed_insl + self.abandoned_insl) / total if total else 0.0

    def notify(self) -> None:
        """Wake every caller waiting for a member to become available."""
        waiters, self.waiters = self.waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)


class Pbx:
    """State of the simulated Asterisk and the single source of events."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = Clock(config.time_scale)
        self.started = time.time()
        self.listeners: list[Listener] = []
        self.channels: dict[str, Channel] = {}
        self.calls: dict[str, object] = {}
        self.processed_calls = 0
        self._seq = 0
        self._devices: dict[str, str] = {}
        self.queue = Queue(config.queue)
        login = int(time.time())
        for mc in config.members:
            self.queue.members.append(self._member(mc, login, "static"))

    @staticmethod
    def _member(mc: MemberConfig, login: int, membership: str) -> Member:
        return Member(mc.interface, mc.name, mc.answer_after, membership=membership, login_time=login)

    # -- events -------------------------------------------------------------
    def emit(self, event: str, fields: ev.Fields) -> None:
        """Send an event to every listener (AMI sessions), in call order."""
        data = encode([("Event", event), ("Privilege", ev.privilege(event))] + list(fields))
        self._dispatch(data, event)

    def _dispatch(self, data: bytes, event: str) -> None:
        for listener in list(self.listeners):
            listener(data, event)

    # -- channels -------------------------------------------------------------
    def new_channel(self, endpoint: str, linkedid: str | None, epoch: float, **attrs) -> Channel:
        """Allocate ``PJSIP/<endpoint>-%08x`` with Uniqueid ``<epoch>.<seq>`` (one counter)."""
        seq = self._seq
        self._seq += 1
        uniqueid = f"{int(epoch)}.{seq}"
        ch = Channel(name=f"PJSIP/{endpoint}-{seq:08x}", uniqueid=uniqueid,
                     linkedid=linkedid or uniqueid, device=f"PJSIP/{endpoint}", **attrs)
        self.channels[ch.name] = ch
        return ch

    def remove_channel(self, ch: Channel) -> None:
        ch.hungup = True
        self.channels.pop(ch.name, None)

    def find_channel(self, name: str) -> Channel | None:
        return self.channels.get(name)

    # -- device states ----------------------------------------------------------
    def device_state(self, device: str) -> str:
        """Current state of a device, computed from the model."""
        q = self.queue.name
        if device == f"Queue:{q}":
            return "RINGING" if self.queue.callers else "NOT_INUSE"
        if device == f"Queue:{q}_avail":
            return "NOT_INUSE" if self.queue.available() else "INUSE"
        prefix = f"Queue:{q}_pause_"
        if device.startswith(prefix):
            m = self.queue.find(device[len(prefix):])
            return "INUSE" if m is not None and m.paused else "NOT_INUSE"
        states = {ch.state for ch in self.channels.values() if ch.device == device}
        inuse, ringing = bool(states & {4, 6}), 5 in states
        if inuse and ringing:
            return "RINGINUSE"
        return "RINGING" if ringing else "INUSE" if inuse else "NOT_INUSE"

    def check_device(self, device: str) -> None:
        """Emit ``DeviceStateChange`` if the device's state changed."""
        state = self.device_state(device)
        if self._devices.get(device) != state:
            self._devices[device] = state
            self.emit("DeviceStateChange", [("Device", device), ("State", state)])

    def check_avail(self) -> None:
        self.check_device(f"Queue:{self.queue.name}_avail")

    def trunk_device(self) -> str:
        return f"PJSIP/{self.config.trunk}"

    def global_variables(self) -> dict[str, str]:
        """The [globals] of dialplans/hotline.conf, with this PBX's values."""
        config = self.config
        return {"HOTLINE_QUEUE": self.queue.name, "HOTLINE_QUEUE_TIMEOUT": str(int(config.queue_max_wait)),
                "HOTLINE_TRUNK": config.trunk,
                "HOTLINE_CALLER_ID": f'"{config.company_name}" <{config.company_number}>'}

    # -- queue members ------------------------------------------------------------
    def member_status(self, member: Member, event: str = "QueueMemberStatus") -> None:
        """Refresh a member's status from its device, publish it, re-evaluate availability."""
        member.status = ev.DEVICE_CODES[self.device_state(member.interface)]
        self.emit(event, ev.member(member, self.queue.name))
        self.check_avail()
        self.queue.notify()

    def add_member(self, interface: str, name: str, paused: bool, reason: str, penalty: int) -> Member:
        answer_after = next((m.answer_after for m in self.config.members if m.interface == interface), 2.0)
        m = Member(interface, name or interface, answer_after, membership="dynamic", penalty=penalty,
                   login_time=int(time.time()), paused=paused, paused_reason=reason if paused else "")
        if paused:
            m.last_pause = m.login_time
        m.status = ev.DEVICE_CODES[self.device_state(interface)]
        self.queue.members.append(m)
        self.check_device(f"Queue:{self.queue.name}_pause_{interface}")
        self.emit("QueueMemberAdded", ev.member(m, self.queue.name))
        self.check_avail()
        self.queue.notify()
        return m

    def remove_member(self, m: Member) -> None:
        self.queue.members.remove(m)
        self.emit("QueueMemberRemoved", ev.member(m, self.queue.name))
        self.check_device(f"Queue:{self.queue.name}_pause_{m.interface}")
        self.check_avail()

    def pause_member(self, m: Member, paused: bool, reason: str = "") -> None:
        """QueuePause semantics: pause device, availability, then ``QueueMemberPause``."""
        m.paused = paused
        m.paused_reason = reason if paused else ""
        if paused:
            m.last_pause = int(time.time())
        self.check_device(f"Queue:{self.queue.name}_pause_{m.interface}")
        self.check_avail()
        self.emit("QueueMemberPause", ev.member(m, self.queue.name))
        self.queue.notify()

    def phone_identity(self, interface: str) -> tuple[str, str]:
        """Caller ID a phone endpoint puts on its own legs (``1001`` / ``Agent 1001``)."""
        m = self.queue.find(interface)
        number = interface.split("/", 1)[-1]
        for mc in self.config.members:
            if mc.interface == interface:
                return number, mc.name
        return number, m.name if m else f"Agent {number}"

    def is_phone(self, endpoint: str) -> bool:
        """Whether ``PJSIP/<endpoint>`` is a known desk phone."""
        iface = f"PJSIP/{endpoint}"
        return any(mc.interface == iface for mc in self.config.members) or self.queue.find(iface) is not None
