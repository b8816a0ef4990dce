"""Base of every simulated call: nominal time, interruptible waits, helpers.

A call runs as one asyncio task. It keeps its own *nominal* clock ``t``
(seconds since the call started): scripted waits advance it by exactly the
scripted amount, so HoldTime/TalkTime/RingTime report the scenario's numbers
whatever ``time_scale`` is. AMI actions that affect the call (Hangup,
BlindTransfer) arrive as commands that interrupt the current wait; the time
already waited is then measured on the scaled wall clock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field

from . import events as ev
from .model import Channel, Pbx

log = logging.getLogger(__name__)
_ids = itertools.count(1)
WAKE = "wake"  # a waited-on future (queue availability) fired


@dataclass
class Command:
    """Something an AMI action asks a running call to do."""

    kind: str  # "hangup" | "transfer"
    channel: Channel
    cause: int = 16
    context: str = ""
    exten: str = ""
    extra: dict = field(default_factory=dict)


class CallBase:
    """Shared machinery; subclasses implement ``run()``."""

    kind = "call"

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self.id = next(_ids)
        self.t = 0.0
        self.answered_t = 0.0  # nominal time the customer leg was answered (CDR AnswerTime)
        self.epoch0 = time.time()
        self.caller: Channel | None = None
        self.channels: list[Channel] = []
        self.cdrs: list[dict] = []
        self.result: dict = {"kind": self.kind}
        self.media: list[Channel] = []
        self.done: asyncio.Future = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task | None = None
        self._rtcp: asyncio.Task | None = None
        self._interrupt: asyncio.Future | None = None
        self._pending: list[Command] = []
        self._wait_mark: float | None = None

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> CallBase:
        self.task = asyncio.create_task(self._main(), name=f"pbxsim-call-{self.id}")
        return self

    async def _main(self) -> None:
        try:
            await self.run()
        except asyncio.CancelledError:
            self.result.setdefault("outcome", "cancelled")
            raise
        except Exception:  # pragma: no cover - a scenario bug must not kill the server
            log.exception("simulated call %s failed", self.id)
            self.result.setdefault("outcome", "error")
        finally:
            self._finish()

    def _finish(self) -> None:
        if self._rtcp is not None:
            self._rtcp.cancel()
        if self.caller is not None:
            self.pbx.calls.pop(self.caller.linkedid, None)
        queue = self.pbx.queue
        if self in queue.callers:
            queue.callers.remove(self)
            queue.notify()
        for ch in self.channels:
            if not ch.hungup:
                self.pbx.remove_channel(ch)
        self.result["linkedid"] = self.linkedid
        self.result["duration"] = round(self.t, 3)
        if not self.done.done():
            self.done.set_result(self.result)

    async def run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def linkedid(self) -> str:
        return self.caller.linkedid if self.caller else ""

    def summary(self) -> dict:
        return {"id": self.id, "kind": self.kind, "linkedid": self.linkedid,
                "caller": self.caller.cid_num if self.caller else "",
                "channels": [ch.name for ch in self.channels if not ch.hungup],
                "state": self.result.get("state", "")}

    # -- time ---------------------------------------------------------------------
    def epoch(self, t: float | None = None) -> float:
        """Wall-clock epoch of a nominal instant of this call."""
        return self.epoch0 + (self.t if t is None else t)

    async def sleep(self, nominal: float | None, also: asyncio.Future | None = None, advance: bool = True):
        """Wait ``nominal`` seconds (None: forever) unless a command arrives.

        Returns None when the time passed, the :class:`Command` that
        interrupted, or :data:`WAKE` when ``also`` completed first. With
        ``advance=False`` the nominal clock stands still while waiting (a
        scripted pause that an AMI action is expected to end).
        """
        if self._pending:
            return self._pending.pop(0)
        loop = asyncio.get_running_loop()
        mark = time.monotonic()
        self._wait_mark = mark if advance else None
        interrupt = loop.create_future()
        self._interrupt = interrupt
        waits = {interrupt}
        timer = None
        if nominal is not None:
            timer = asyncio.ensure_future(asyncio.sleep(max(0.0, nominal) * self.pbx.clock.scale))
            waits.add(timer)
        if also is not None:
            waits.add(also)
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._interrupt = None
            self._wait_mark = None
            if timer is not None and not timer.done():
                timer.cancel()
        if timer is not None and timer in done and interrupt not in done:
            self.t += nominal if advance else 0.0
            return None
        elapsed = self.pbx.clock.nominal_since(mark)
        if advance:
            self.t += elapsed if nominal is None else min(nominal, elapsed)
        if interrupt in done:
            return interrupt.result()
        interrupt.cancel()
        return WAKE

    def t_now(self) -> float:
        """Nominal time now, including the part of the current wait already elapsed."""
        if self._wait_mark is None:
            return self.t
        return self.t + self.pbx.clock.nominal_since(self._wait_mark)

    def command(self, cmd: Command) -> None:
        """Deliver an AMI command; it interrupts the current wait."""
        if self._interrupt is not None and not self._interrupt.done():
            self._interrupt.set_result(cmd)
        else:
            self._pending.append(cmd)

    def whole(self, seconds: float) -> int:
        """Asterisk reports whole seconds (truncated)."""
        return int(seconds + 1e-6)

    # -- emission helpers -----------------------------------------------------------
    def emit(self, event: str, fields: ev.Fields) -> None:
        self.pbx.emit(event, fields)

    def new_channel(self, endpoint: str, **attrs) -> Channel:
        linkedid = self.caller.linkedid if self.caller else None
        ch = self.pbx.new_channel(endpoint, linkedid, self.epoch(), call=self, **attrs)
        self.channels.append(ch)
        if self.caller is None:
            self.caller = ch
            self.pbx.calls[ch.linkedid] = self
        return ch

    def newexten(self, ch: Channel, priority: int, app: str, data: str, context: str | None = None,
                 exten: str | None = None) -> None:
        if context is not None:
            ch.context = context
        if exten is not None:
            ch.exten = exten
        ch.priority, ch.app, ch.appdata = priority, app, data
        self.emit("Newexten", ev.newexten(ch))

    def var(self, ch: Channel, name: str, value: object) -> None:
        ch.set_variable(name, str(value))
        self.emit("VarSet", ev.varset(ch, name, str(value)))

    def newstate(self, ch: Channel, state: int) -> None:
        ch.state = state
        self.emit("Newstate", ev.snapshot(ch))

    def qos(self, ch: Channel) -> None:
        """RTPAUDIOQOS* variables set when a leg's media ends."""
        packets = int(self.t * 50)
        for name in ev.QOS_VARS:
            self.var(ch, name, ev.qos_value(name, packets))

    def qos_bridged(self, leg: Channel, peer: Channel) -> None:
        """The phone's RTPAUDIOQOS* interleaved with the peer's *BRIDGED copies."""
        packets = int(self.t * 50)
        for name in ev.QOS_VARS:
            value = ev.qos_value(name, packets)
            self.var(leg, name, value)
            self.var(peer, name + "BRIDGED", value)

    def hangup(self, ch: Channel, cause: int, tech_cause: int | None = None) -> None:
        self.emit("Hangup", ev.hangup(ch, cause, tech_cause))
        if ch in self.media:
            self.media.remove(ch)
        self.pbx.remove_channel(ch)

    def cdr_record(self, dstchannel: str, lastapp: str, lastdata: str, start_t: float,
                   disposition: str = "NO ANSWER", userfield: str = "") -> dict:
        caller = self.caller
        answered = self.answered_t
        record = {"dst": caller.exten, "dcontext": caller.context, "channel": caller.name,
                  "dstchannel": dstchannel, "lastapp": lastapp, "lastdata": lastdata,
                  "start": self.epoch(start_t), "answer": self.epoch(max(answered, start_t)),
                  "end": None, "disposition": disposition, "uniqueid": caller.uniqueid,
                  "userfield": userfield}
        self.cdrs.append(record)
        return record

    def emit_cdrs(self) -> None:
        caller = self.caller
        for record in self.cdrs:
            record["src"] = caller.cid_num
            record["clid"] = f'"{caller.cid_name}" <{caller.cid_num}>'
            if record["end"] is None:
                record["end"] = self.epoch()
            self.emit("Cdr", ev.cdr(record))

    # -- RTCP -----------------------------------------------------------------------
    def start_media(self, ch: Channel) -> None:
        """Mark a leg as carrying audio: RTCP reports every few nominal seconds."""
        if ch not in self.media:
            self.media.append(ch)
        if self._rtcp is None and self.pbx.config.rtcp:
            self._rtcp = asyncio.create_task(self._rtcp_loop())

    async def _rtcp_loop(self) -> None:
        interval = self.pbx.config.rtcp_interval
        for seq in itertools.count(1):
            await self.pbx.clock.sleep(interval)
            for ch in list(self.media):
                if not ch.hungup:
                    self.emit("RTCPSent", ev.rtcp(ch, True, seq))
                    self.emit("RTCPReceived", ev.rtcp(ch, False, seq))
