"""A customer in the ``support`` queue: ringall rounds, answer, talk, hang up.

:class:`QueueCall` is the queue part shared by inbound calls and callbacks;
:class:`InboundCall` adds the inbound trunk leg and the ``from-carrier``
dialplan of the traces (NoOp, Answer, Set __CTI_DNIS, Set __CTI_DIRECTION,
Set CDR(userfield), Set CHANNEL(language), Queue(support,,,,60)).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from . import events as ev
from . import patterns as pt
from .atoms import Leg, QueueAtoms
from .call import CallBase, Command
from .model import Bridge, Member, Pbx
from .transfer import TransferMixin


@dataclass
class CallScript:
    """What happens to a queue call. Times are nominal seconds.

    ``answers`` maps an interface to its ringing time before answering (a
    missing interface never answers; ``{}``: nobody answers); without it
    ``answer_by``/``after`` make one agent answer, and without either each
    agent answers after its configured ``answer_after``. ``only`` rings a
    single agent (the others are not offered the call).
    """

    caller: str = "+8613800138000"
    name: str = ""  # none: Asterisk shows CallerIDName <unknown>, as for a trunk that sends only the number
    dnis: str | None = None
    answers: dict[str, float | None] | None = None
    answer_by: str | None = None
    after: float = 2.0
    only: str | None = None
    talk: float | None = 3.0
    patience: float = 60.0
    hangup_by: str = "agent"  # or "caller"
    transfer_to: str | None = None  # extension in context "transfer" (an agent number, e.g. 1002)
    transfer_after: float = 2.0
    transfer_via: str = "pbx"  # "ami": wait (clock stopped) for the client's BlindTransfer
    transfer_answer_after: float | None = None  # target's ringing time; None: its answer_after
    transfer_talk: float = 12.0
    style: str | None = None  # interleaving: answered/noanswer/transfer/callback (auto)
    extra: dict = field(default_factory=dict)


class QueueCall(TransferMixin, QueueAtoms, CallBase):
    """The queue part of a call whose customer leg is ``self.caller``."""

    kind = "queue"

    def __init__(self, pbx: Pbx, script: CallScript) -> None:
        super().__init__(pbx)
        self.script = script
        self.inherit: list[tuple[str, str]] = []  # "__" variables, in the order they were set
        self.userfield = ""
        self.queue_data = f"{pbx.queue.name},,,,{int(pbx.config.queue_max_wait)}"
        self.legs: list[Leg] = []
        self.winner: Leg | None = None
        self.bridge: Bridge | None = None
        self.join_t = self.answer_t = self.ring_start = 0.0
        self.hold = self.ring_secs = 0
        self.original_position = 1
        self.style = script.style or self._auto_style()
        self.result.update(caller=script.caller, name=script.name)

    def _auto_style(self) -> str:
        s = self.script
        if s.transfer_to:
            return "transfer"
        if s.answers == {}:
            return "noanswer"
        return "answered"

    # -- who answers ----------------------------------------------------------------
    def delay_for(self, member: Member) -> float | None:
        s = self.script
        if s.answers is not None:
            return s.answers.get(member.interface)
        if s.answer_by is not None:
            return s.after if member.interface == s.answer_by else None
        return member.answer_after

    def ringable(self) -> list[Member]:
        members = [m for m in self.pbx.queue.ring_order() if m in self.pbx.queue.available()]
        if self.script.only:
            members = [m for m in members if m.interface == self.script.only]
        return members

    # -- queue entry ----------------------------------------------------------------
    def enter_queue(self) -> None:
        """Queue(): reset the result variables, join, music on hold."""
        for name in ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS"):
            self.var(self.caller, name, "")
        queue = self.pbx.queue
        queue.callers.append(self)
        self.join_t = self.t
        self.original_position = len(queue.callers)
        self.pbx.check_device(f"Queue:{queue.name}")
        self.emit("QueueCallerJoin", ev.queue_caller(self.caller, queue.name, [
            ("Position", str(self.original_position)), ("Count", str(len(queue.callers)))]))
        self.emit("MusicOnHoldStart", ev.snapshot(self.caller) + [("Class", "default")])
        self.result["state"] = "queued"

    async def queue_flow(self) -> None:
        """Ring rounds until answered, abandoned or Queue()'s timeout."""
        self.enter_queue()
        config = self.pbx.config
        limit = min(self.script.patience, config.queue_max_wait)
        round_no = 0
        while True:
            left = limit - (self.t - self.join_t)
            if left <= 1e-9:
                return self._give_up()
            members = self.ringable()
            if not members:
                waiter = asyncio.get_running_loop().create_future()
                self.pbx.queue.waiters.append(waiter)
                got = await self.sleep(left, also=waiter)
                if self._caller_hung_up(got):
                    return self._command_while_waiting(got)
                continue
            outcome = await self.ring_round(members, round_no)
            round_no += 1
            if outcome != "timeout":
                return
            got = await self.sleep(min(config.retry, max(0.0, limit - (self.t - self.join_t))))
            if self._caller_hung_up(got):
                return self._command_while_waiting(got)

    def _give_up(self) -> None:
        waited = self.t - self.join_t
        if waited + 1e-9 >= self.script.patience:
            self.result["outcome"] = "abandoned"
            self.run_atoms(pt.ABANDON_WAITING.split(), [])
        else:
            self.result["outcome"] = "queue_timeout"
            self.run_atoms(pt.QUEUE_TIMEOUT.split(), [])

    def _caller_hung_up(self, got) -> bool:
        """An AMI Hangup of the customer leg (other commands do not apply while waiting)."""
        return isinstance(got, Command) and got.kind == "hangup" and got.channel is self.caller

    def _command_while_waiting(self, cmd: Command) -> None:
        self.result["outcome"] = "abandoned"
        self.run_atoms(pt.HANGUP_WAITING.split(), [])

    # -- one ring round ----------------------------------------------------------------
    async def ring_round(self, members: list[Member], round_no: int) -> str:
        legs = [Leg(m, self.delay_for(m)) for m in members]
        self.legs = legs
        self.ring_start = self.t
        self.result["state"] = "ringing"
        self.run_atoms(pt.ring_pattern(self.style, round_no, len(legs)), legs)
        timeout = self.pbx.config.ring_timeout
        limit = min(self.script.patience, self.pbx.config.queue_max_wait)
        while True:
            elapsed = self.t - self.ring_start
            answering = [leg for leg in legs if leg.delay is not None and leg.delay < timeout]
            first = min(answering, key=lambda leg: leg.delay) if answering else None
            to_answer = first.delay - elapsed if first else math.inf
            to_timeout = timeout - elapsed
            to_leave = limit - (self.t - self.join_t)
            got = await self.sleep(max(0.0, min(to_answer, to_timeout, to_leave)))
            if got is None:
                if to_answer <= to_timeout and to_answer <= to_leave:
                    await self.answer(first)
                    return "answered"
                if to_leave < to_timeout:
                    self.result["outcome"] = "abandoned"
                    self.run_atoms(pt.ABANDON_RINGING.split(), legs)
                    return "ended"
                self.run_atoms(pt.timeout_pattern(len(legs)), legs)
                self.result["rang_no_answer"] = self.result.get("rang_no_answer", 0) + 1
                return "timeout"
            if isinstance(got, Command) and got.kind == "hangup":
                if got.channel is self.caller:
                    self.result["outcome"] = "abandoned"
                    self.run_atoms([a for a in pt.ABANDON_RINGING.split() if a != "HR"], legs)
                    return "ended"
                self._drop_leg(legs, got.channel)
                if not legs:
                    return "timeout"

    def _drop_leg(self, legs: list[Leg], channel) -> None:
        """An AMI Hangup of one ringing phone: that phone stops ringing."""
        for leg in list(legs):
            if leg.ch is channel:
                legs.remove(leg)
                self.run_atoms(["DN:0", "SHRL:0", "HL16:0", "V:0", "Q:0"], [leg])

    def a_SHRL(self, leg: Leg) -> None:
        self.emit("SoftHangupRequest", ev.hangup_request(leg.ch, 16))

    def a_HL16(self, leg: Leg) -> None:
        leg.cdr["end"] = self.epoch()
        self.hangup(leg.ch, 16)

    # -- answered ---------------------------------------------------------------------------
    async def answer(self, winner: Leg) -> None:
        losers = [leg for leg in self.legs if leg is not winner]
        self.winner = winner
        self.answer_t = self.t
        self.hold = self.whole(self.t - self.join_t)
        self.ring_secs = self.whole(self.t - self.ring_start)
        self.result.update(state="talking", agent=winner.member.interface, channel=winner.ch.name)
        self.run_atoms(pt.answer_pattern(self.style, len(losers)), self.legs, winner, losers)
        self._losers = len(losers)
        await self.talk()

    async def talk(self) -> None:
        s = self.script
        if s.transfer_to:
            got = await self.sleep(s.transfer_after)
            if got is None and s.transfer_via == "ami":
                got = await self.sleep(None, advance=False)
            if got is None:
                got = Command("transfer", self.winner.ch, context="transfer", exten=s.transfer_to)
        else:
            talk = s.talk if s.talk is not None else self.pbx.config.default_talk
            got = await self.sleep(talk)
        await self.end_talk(got)

    async def end_talk(self, got: Command | None) -> None:
        if isinstance(got, Command) and got.kind == "transfer":
            await self.blind_transfer(got)
            return
        by_caller = (got is None and self.script.hangup_by == "caller") or (
            isinstance(got, Command) and got.channel is self.caller)
        self.result["outcome"] = "answered"
        if by_caller:
            self.run_atoms(pt.CALLER_HANGS_UP.split(), self.legs, self.winner)
        else:
            self.run_atoms(pt.complete_pattern(self.style, self._losers), self.legs, self.winner)


class InboundCall(QueueCall):
    """A customer calling the DNIS over the trunk; the dialplan puts them in the queue."""

    kind = "inbound"

    async def run(self) -> None:
        self.arrive()
        await self.queue_flow()

    def arrive(self) -> None:
        s, config = self.script, self.pbx.config
        dnis = s.dnis or config.dnis
        ch = self.new_channel(config.trunk, state=4, cid_num=s.caller, cid_name=s.name,
                              context="from-carrier", exten=dnis, dnid=dnis)
        self.emit("Newchannel", ev.snapshot(ch))
        self.var(ch, "SIPDOMAIN", "127.0.0.1")
        self.newexten(ch, 1, "NoOp", f'Inbound call to {dnis} from "{s.name}" <{s.caller}>')
        self.newexten(ch, 2, "Answer", "")
        self.newstate(ch, 6)
        self.start_media(ch)
        self.pbx.check_device(self.pbx.trunk_device())
        for priority, name, value in ((3, "__CTI_DNIS", dnis), (4, "__CTI_DIRECTION", "inbound")):
            self.newexten(ch, priority, "Set", f"{name}={value}")
            self.var(ch, name, value)
            self.inherit.append((name, value))
        self.userfield = f"dnis={dnis}"
        self.newexten(ch, 5, "Set", f"CDR(userfield)={self.userfield}")
        self.newexten(ch, 6, "Set", "CHANNEL(language)=en")
        self.newexten(ch, 7, "Queue", self.queue_data)
        self.pbx.processed_calls += 1
