"""The atoms of patterns.py: small groups of events of a queue call.

Each ``a_<NAME>`` method emits the events of one atom and updates the model;
:meth:`QueueAtoms.run_atoms` plays a pattern. The field contents come from
the model at emission time (e.g. ``QueueMemberStatus.InCall`` reads whether
``AgentConnect`` already happened), as in Asterisk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import events as ev
from .model import Bridge, Channel, Member

MEMBER_VARS = ("MEMBERINTERFACE", "MEMBERNAME", "MEMBERCALLS", "MEMBERLASTCALL", "MEMBERPENALTY",
               "MEMBERDYNAMIC", "MEMBERREALTIME")


@dataclass(eq=False)
class Leg:
    """One phone rung by the queue in one ring round."""

    member: Member
    delay: float | None  # seconds of ringing before the agent answers; None: never
    ch: Channel | None = None
    stale: ev.Fields = field(default_factory=list)  # Dest* snapshot at creation (DialBegin shows it)
    cdr: dict = field(default_factory=dict)


class QueueAtoms:
    """Mixin for QueueCall; expects CallBase helpers and the queue call state."""

    legs: list[Leg]
    winner: Leg | None
    bridge: Bridge | None

    def run_atoms(self, atoms: list[str], legs: list[Leg], winner: Leg | None = None,
                  losers: list[Leg] = ()) -> None:
        """Play a pattern: ``NAME`` or ``NAME:ROLE`` atoms, in order."""
        for atom in atoms:
            name, _, role = atom.partition(":")
            method = getattr(self, "a_" + name)
            if not role:
                method()
                continue
            for leg in self._resolve(role, legs, winner, list(losers)):
                method(leg)

    @staticmethod
    def _resolve(role: str, legs: list[Leg], winner: Leg | None, losers: list[Leg]) -> list[Leg]:
        if role == "*":
            return legs
        if role == "W":
            return [winner] if winner else []
        if role == "L*":
            return losers
        pool, index = (losers, int(role[1:])) if role.startswith("L") else (legs, int(role))
        return [pool[index]] if index < len(pool) else []

    @property
    def qname(self) -> str:
        return self.pbx.queue.name

    # -- ring round -------------------------------------------------------------
    def a_C(self, leg: Leg) -> None:
        num, name = self.pbx.phone_identity(leg.member.interface)
        ch = self.new_channel(leg.member.number, cid_num=num, cid_name=name, context="from-phones", exten="s")
        leg.ch = ch
        self.emit("Newchannel", ev.snapshot(ch))
        for var, value in reversed(self.inherit):
            self.var(ch, var, value)
        self.var(ch, "DIALEDPEERNUMBER", leg.member.number)
        leg.stale = ev.snapshot(ch, "Dest")
        start = 0.0 if not self.cdrs else self.t
        leg.cdr = self.cdr_record(ch.name, "Queue", self.queue_data, start, userfield=self.userfield)

    def a_K(self, leg: Leg) -> None:
        ch, caller = leg.ch, self.caller
        ch.exten, ch.cl_num, ch.cl_name = caller.exten, caller.cid_num, caller.cid_name
        self.emit("AgentCalled", ev.agent(caller, ch, leg.member, self.qname))
        self.emit("DialBegin", ev.dial(caller, leg.stale, [("DialString", leg.member.interface)]))

    def a_R(self, leg: Leg) -> None:
        self.newstate(leg.ch, 5)
        self.newexten(leg.ch, leg.ch.priority, "AppQueue", "(Outgoing Line)")
        self.emit("NewConnectedLine", ev.snapshot(leg.ch))

    def a_V(self, leg: Leg) -> None:
        self.pbx.check_device(leg.member.interface)

    def a_Q(self, leg: Leg) -> None:
        self.pbx.member_status(leg.member)

    def a_S(self, leg: Leg) -> None:
        self.emit("DialState", ev.dial(self.caller, leg.ch, [("DialStatus", "RINGING")]))

    # -- answer ---------------------------------------------------------------------
    def a_U(self, leg: Leg) -> None:
        self.newstate(leg.ch, 6)

    def a_E(self, leg: Leg) -> None:
        leg.cdr["disposition"] = "ANSWERED"
        self.emit("DialEnd", ev.dial(self.caller, leg.ch, [("DialStatus", "ANSWER")]))

    def a_X(self, leg: Leg) -> None:
        self.emit("DialEnd", ev.dial(self.caller, leg.ch, [("DialStatus", "CANCEL")]))

    a_Y = a_X
    a_DC = a_X

    def a_N(self) -> None:
        caller, agent = self.caller, self.winner.ch
        caller.cl_num, caller.cl_name = agent.cid_num, agent.cid_name
        self.emit("NewConnectedLine", ev.snapshot(caller))

    def a_M(self) -> None:
        self.emit("MusicOnHoldStop", ev.snapshot(self.caller))

    def _member_vars(self, ch: Channel, member: Member, part: slice) -> None:
        values = (member.interface, member.name, member.calls_taken, member.last_call, member.penalty,
                  int(member.membership == "dynamic"), 0)
        for name, value in list(zip(MEMBER_VARS, values))[part]:
            self.var(ch, name, value)

    def a_MC(self) -> None:
        self._member_vars(self.caller, self.winner.member, slice(None))

    def a_MCa(self) -> None:
        self._member_vars(self.caller, self.winner.member, slice(0, 5))

    def a_MCb(self) -> None:
        self._member_vars(self.caller, self.winner.member, slice(5, None))

    def a_MW(self, leg: Leg) -> None:
        self._member_vars(leg.ch, leg.member, slice(None))

    def a_MWa(self, leg: Leg) -> None:
        self._member_vars(leg.ch, leg.member, slice(0, 5))

    def a_MWb(self, leg: Leg) -> None:
        self._member_vars(leg.ch, leg.member, slice(5, None))

    def a_H(self, leg: Leg) -> None:
        leg.cdr["end"] = self.epoch()
        self.hangup(leg.ch, 26)

    def _leave(self, with_wait: bool) -> None:
        callers = self.pbx.queue.callers
        position = callers.index(self) + 1 if self in callers else 1
        if self in callers:
            callers.remove(self)
        self.pbx.check_device(f"Queue:{self.qname}")
        self.emit("QueueCallerLeave", ev.queue_caller(
            self.caller, self.qname, [("Position", str(position)), ("Count", str(len(callers)))]))
        self.var(self.caller, "QUEUEPOSITION", position)
        if with_wait:
            self.var(self.caller, "QUEUEWAIT", self.hold)
            self.var(self.caller, "QUEUEWAIT_MS", self.hold * 1000)
        self.pbx.queue.notify()

    def a_LEAVE(self) -> None:
        self._leave(with_wait=True)

    def a_LEAVE2(self) -> None:
        self._leave(with_wait=False)

    def a_AC(self) -> None:
        member = self.winner.member
        self.emit("AgentConnect", ev.agent(self.caller, self.winner.ch, member, self.qname,
                                           [("HoldTime", str(self.hold)), ("RingTime", str(self.ring_secs))]))
        member.in_call = True
        self.pbx.queue.record_hold(self.hold)

    def a_BC(self) -> None:
        self.bridge = Bridge()
        self.emit("BridgeCreate", ev.bridge(self.bridge, 0, "simple_bridge"))

    def enter_bridge(self, ch: Channel) -> None:
        self.bridge.channels.append(ch)
        ch.bridge = self.bridge
        self.emit("BridgeEnter", ev.bridge(self.bridge, len(self.bridge.channels), "simple_bridge")
                  + ev.snapshot(ch))
        self.start_media(ch)

    def leave_bridge(self, ch: Channel, technology: str = "native_rtp") -> None:
        bridge = self.bridge
        if ch in bridge.channels:
            bridge.channels.remove(ch)
        ch.bridge = None
        self.emit("BridgeLeave", ev.bridge(bridge, len(bridge.channels), technology) + ev.snapshot(ch))

    def a_BW(self) -> None:
        self.enter_bridge(self.winner.ch)

    def a_BK(self) -> None:
        self.enter_bridge(self.caller)

    def bridge_peers(self, a: Channel, b: Channel) -> None:
        """BRIDGEPEER/BRIDGEPVTCALLID, three rounds (each SIP Call-ID goes to the peer)."""
        for _ in range(3):
            self.var(a, "BRIDGEPEER", b.name)
            self.var(a, "BRIDGEPVTCALLID", b.callid)
            self.var(b, "BRIDGEPEER", a.name)
            self.var(b, "BRIDGEPVTCALLID", a.callid)

    def a_BP(self) -> None:
        self.bridge_peers(self.caller, self.winner.ch)

    # -- nobody answers / the caller gives up ------------------------------------------
    def a_RNA(self, leg: Leg) -> None:
        ring_ms = int(self.pbx.config.ring_timeout * 1000)
        self.emit("AgentRingNoAnswer", ev.agent(self.caller, leg.ch, leg.member, self.qname,
                                                [("RingTime", str(ring_ms))]))

    def a_DN(self, leg: Leg) -> None:
        self.emit("DialEnd", ev.dial(self.caller, leg.ch, [("DialStatus", "NOANSWER")]))

    def a_HZ(self, leg: Leg) -> None:
        leg.cdr["end"] = self.epoch()
        self.hangup(leg.ch, 0)

    def a_QOS(self) -> None:
        self.qos(self.caller)

    def a_HR(self) -> None:
        self.emit("HangupRequest", ev.hangup_request(self.caller, 16))

    def _queue_exit_vars(self, abandoned: bool) -> None:
        hold, dialed = self.whole(self.t - self.join_t), self.whole(self.t)
        for name, value in (("QUEUEWAIT", hold), ("QUEUEWAIT_MS", hold * 1000), ("DIALEDTIME", dialed),
                            ("DIALEDTIME_MS", dialed * 1000), ("ANSWEREDTIME", 0), ("ANSWEREDTIME_MS", 0)):
            self.var(self.caller, name, value)
        if abandoned:
            self.var(self.caller, "ABANDONED", "TRUE")

    def a_QEXIT(self) -> None:
        self._queue_exit_vars(abandoned=True)

    def a_QEXITT(self) -> None:
        self._queue_exit_vars(abandoned=False)

    def a_ABANDON(self) -> None:
        hold = self.whole(self.t - self.join_t)
        position = self.pbx.queue.callers.index(self) + 1 if self in self.pbx.queue.callers else 1
        self.emit("QueueCallerAbandon", ev.queue_caller(self.caller, self.qname, [
            ("Position", str(position)), ("OriginalPosition", str(self.original_position)),
            ("HoldTime", str(hold))]))
        self.pbx.queue.record_abandon(hold)
        self.result["hold_time"] = hold

    def a_SHR(self) -> None:
        self.emit("SoftHangupRequest", ev.hangup_request(self.caller, 16))

    def a_HANG(self) -> None:
        self.hangup(self.caller, 16)

    def a_CDR(self) -> None:
        if not self.cdrs:
            self.cdr_record("", "Queue", self.queue_data, 0.0, "ANSWERED", self.userfield)
        self.emit_cdrs()

    def a_VT(self) -> None:
        self.pbx.check_device(self.pbx.trunk_device())

    # -- the agent (or the customer) hangs up ---------------------------------------------
    def a_QOSB(self) -> None:
        self.qos_bridged(self.winner.ch, self.caller)

    def a_QOSW(self) -> None:
        self.qos(self.winner.ch)

    def a_HRW(self) -> None:
        self.emit("HangupRequest", ev.hangup_request(self.winner.ch, 16))

    def _agent_complete(self, reason: str) -> None:
        member, talk = self.winner.member, self.whole(self.t - self.answer_t)
        self.emit("AgentComplete", ev.agent(self.caller, self.winner.ch, member, self.qname, [
            ("HoldTime", str(self.hold)), ("TalkTime", str(talk)), ("Reason", reason)]))
        member.calls_taken += 1
        member.last_call = int(self.epoch())
        member.in_call = False
        self.pbx.queue.record_complete(self.hold, talk)
        self.result.update(talk_time=talk, hold_time=self.hold, agent=member.interface)

    def a_ACOMP(self) -> None:
        self._agent_complete("agent")

    def a_ACOMPC(self) -> None:
        self._agent_complete("caller")

    def a_BPXW(self) -> None:
        self.var(self.winner.ch, "BRIDGEPEER", "")
        self.var(self.winner.ch, "BRIDGEPVTCALLID", "")

    def a_BPXC(self) -> None:
        self.var(self.caller, "BRIDGEPEER", "")
        self.var(self.caller, "BRIDGEPVTCALLID", "")

    def a_BLW(self) -> None:
        self.leave_bridge(self.winner.ch)

    def a_BLC(self) -> None:
        self.leave_bridge(self.caller)

    def a_CEXIT(self) -> None:
        talk, dialed = self.whole(self.t - self.answer_t), self.whole(self.t)
        for name, value in (("ANSWEREDTIME", talk), ("ANSWEREDTIME_MS", talk * 1000),
                            ("DIALEDTIME", dialed), ("DIALEDTIME_MS", dialed * 1000)):
            self.var(self.caller, name, value)

    def a_BD(self) -> None:
        self.emit("BridgeDestroy", ev.bridge(self.bridge, 0, "native_rtp"))

    def a_HANGW(self) -> None:
        self.hangup(self.winner.ch, 16)

    def a_SHRW(self) -> None:
        self.emit("SoftHangupRequest", ev.hangup_request(self.winner.ch, 16))
