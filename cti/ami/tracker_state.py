"""The call tracker's mutable state (one ``Call`` per Linkedid) and the call summary.

Nothing here reads a clock or does I/O: every time comes from the ``now``
given to :meth:`CallTracker.feed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cti.events import (
    AgentLeg,
    AgentRingEnded,
    CallEnded,
    Direction,
    Disposition,
    RingOutcome,
)

# Ring states
RINGING = "ringing"
PICKED = "picked"  # DialEnd ANSWER seen on a queue leg, AgentConnect not yet
ANSWERED = "answered"  # talking
DONE = "done"  # answered, then the agent leg left
ENDED = "ended"  # stopped ringing without being answered

OPEN = (RINGING, PICKED)


@dataclass(slots=True)
class Ring:
    """One agent leg rung for a call (queue AgentCalled or a direct DialBegin)."""

    uid: str
    interface: str
    member_name: str
    channel: str
    queue: str
    rang_at: float
    state: str = RINGING
    outcome: RingOutcome | None = None
    ring_seconds: float = 0.0
    answered_at: float | None = None


@dataclass(slots=True)
class Call:
    """Everything known about one call. ``call_id`` is the Linkedid, also the customer leg's Uniqueid."""

    call_id: str
    created_at: float
    last_at: float
    customer_channel: str = ""
    legs: set[str] = field(default_factory=set)
    direction: Direction | None = None
    offered: bool = False
    offered_at: float = 0.0
    caller_num: str = "<unknown>"
    caller_name: str = "<unknown>"
    dnis: str = ""
    presented: tuple[str, str] = ("", "")  # outbound: our own caller ID shown to the customer
    originated: bool = False  # first leg created Down (an Originate)
    origin_keys: list[str] = field(default_factory=list)
    dial_string: str = ""  # outbound: tech/DialString, as an OriginateResponse names it
    action_id: str = ""
    response_seen: bool = False
    failure: tuple[str, int] | None = None  # failed OriginateResponse: (action_id, reason)
    picked_up_at: float | None = None  # outbound: the customer answered
    agent_first: bool = False  # outbound: the Originate rang an agent's phone, which then dials the customer
    customer_uid: str | None = None  # the customer's leg when it is not the first one ("": not dialled yet)
    queue: str = ""
    queued_at: float | None = None
    queued_reported: bool = False
    in_queue: bool = False
    hold_time: int | None = None
    abandoned: bool = False
    customer_gone: bool = False
    no_answer_seen: bool = False
    rings: dict[str, Ring] = field(default_factory=dict)
    pending_ends: list[AgentRingEnded] = field(default_factory=list)
    answered_by: str = ""
    last_agent: str = ""
    answered_at: float | None = None
    talk_seconds: int = 0
    transferred: bool = False
    customer_cause: int | None = None
    partner_cause: int = 0
    cause_texts: dict[int, str] = field(default_factory=dict)  # Cause -> Asterisk's Cause-txt

    def caller(self) -> tuple[str, str]:
        return self.caller_num, self.caller_name

    def customer_leg(self) -> str:
        """The customer's leg: the first one, unless the agent's phone was rung first (click-to-dial)."""
        return self.call_id if self.customer_uid is None else self.customer_uid

    def open_rings(self) -> list[Ring]:
        return [r for r in self.rings.values() if r.state in OPEN]

    def someone_answering(self, except_uid: str = "") -> bool:
        """Another leg has picked up (queue leg before AgentConnect) or is talking."""
        return any(
            r.state in (PICKED, ANSWERED) for r in self.rings.values() if r.uid != except_uid
        )

    def cause(self) -> int:
        """The customer leg's Hangup Cause; for a Local leg ending with 0, its other half's."""
        return self.customer_cause or self.partner_cause or 0

    def cause_text(self) -> str:
        cause = self.cause()
        return self.cause_texts.get(cause) or Q850.get(cause, "")


@dataclass(frozen=True, slots=True)
class CallSnapshot:
    """A read-only view of one live call, for a live wallboard."""

    call_id: str
    direction: str
    state: str  # dialing | offered | queued | ringing | answered
    caller_num: str
    caller_name: str
    dnis: str
    queue: str
    offered_at: float
    ringing: tuple[str, ...]  # interfaces ringing now
    answered: tuple[str, ...]  # interfaces talking now


def disposition(call: Call) -> Disposition:
    """How the call ended, from what was seen (see ``Disposition``)."""
    if call.agent_first and call.picked_up_at is None:
        return Disposition.FAILED  # the agent's phone rang, the customer was never reached
    if call.answered_by:
        return Disposition.TRANSFERRED if call.transferred else Disposition.ANSWERED
    if call.direction is Direction.OUTBOUND and call.picked_up_at is None:
        return Disposition.FAILED
    if call.no_answer_seen:
        return Disposition.MISSED
    if call.direction is Direction.OUTBOUND and call.queued_at is None and not call.rings:
        return Disposition.ANSWERED  # the customer took an IVR call (survey)
    return Disposition.ABANDONED


def _agent_leg(ring: Ring) -> AgentLeg:
    outcome = ring.outcome if ring.outcome is not None else RingOutcome.ANSWERED
    return AgentLeg(ring.interface, ring.member_name, ring.rang_at, outcome, ring.ring_seconds)


def summary(call: Call, now: float) -> CallEnded:
    """The CallEnded event of a call whose rings are all closed."""
    if call.hold_time is not None:
        wait = call.hold_time
    elif call.queued_at is not None and call.answered_at is None:
        wait = max(0, round(now - call.queued_at))
    else:
        wait = 0
    answered_at = call.answered_at
    if call.agent_first:
        answered_at = call.picked_up_at  # answered: the customer took the call the agent made
    elif answered_at is None and call.direction is Direction.OUTBOUND:
        answered_at = call.picked_up_at  # the customer took an outbound call no agent answered
    return CallEnded(
        call_id=call.call_id,
        at=now,
        disposition=disposition(call),
        direction=call.direction or Direction.INBOUND,
        caller_num=call.caller_num,
        caller_name=call.caller_name,
        dnis=call.dnis,
        queue=call.queue,
        offered_at=call.offered_at,
        answered_at=answered_at,
        wait_seconds=wait,
        talk_seconds=call.talk_seconds,
        answered_by=call.answered_by,
        last_agent=call.last_agent,
        agents=tuple(_agent_leg(r) for r in call.rings.values()),
        hangup_cause=call.cause(),
        action_id=call.action_id,
    )


def snapshot(call: Call) -> CallSnapshot:
    ringing = tuple(r.interface for r in call.rings.values() if r.state in OPEN)
    answered = tuple(r.interface for r in call.rings.values() if r.state == ANSWERED)
    if answered:
        state = "answered"
    elif ringing:
        state = "ringing"
    elif call.in_queue:
        state = "queued"
    elif call.direction is Direction.OUTBOUND and call.picked_up_at is None:
        state = "dialing"
    else:
        state = "offered"
    return CallSnapshot(
        call_id=call.call_id,
        direction=str(call.direction or Direction.INBOUND),
        state=state,
        caller_num=call.caller_num,
        caller_name=call.caller_name,
        dnis=call.dnis,
        queue=call.queue,
        offered_at=call.offered_at,
        ringing=ringing,
        answered=answered,
    )


def to_int(value: object) -> int:
    """``int`` of an AMI number (raises ``ValueError``/``TypeError`` on garbage)."""
    if isinstance(value, str):
        return int(value.strip())
    raise TypeError(f"not an AMI number: {value!r}")


Q850 = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    26: "Answered elsewhere",
    27: "Destination out of order",
    28: "Invalid number format",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    127: "Interworking, unspecified",
}
