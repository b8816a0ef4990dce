"""Domain events: the bus's vocabulary, what happened to calls and tickets, in the past tense.

This module belongs to no one side: ``cti.ami``'s tracker produces these events
from AMI messages, and the domains (call log, pops, and later tickets, campaigns,
supervision) consume them without knowing anything of Asterisk or AMI. Only
``cti/ami/`` imports panoramisk, and no domain imports ``cti.ami``
(``tests/unit/test_layering.py`` holds both rules).

They are frozen dataclasses with plain values (str, int, float, tuples), so
that every subscriber of the bus can keep, compare and serialise them. Times
are POSIX timestamps (float seconds, UTC) given to the tracker by its caller:
the tracker itself never reads a clock.

Identifiers:

* ``call_id`` is the call's ``Linkedid``: every leg of one call carries it.
* ``interface`` is a canonical PBX device, the key an agent's login is bound
  to: ``PJSIP/1001`` for a SIP phone, ``Local/1001@agents`` for a Local
  channel member (the ``/n`` suffix of a queue member interface and the
  ``-0000001a;1`` suffix of a channel name are removed).
* Caller numbers are given raw, exactly as the PBX sent them (``<unknown>``
  included); normalising them is ``cti.phone``'s job, not the tracker's.
"""

from __future__ import annotations

import copyreg
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter


def canonical_interface(member_interface: str) -> str:
    """A queue member interface as the device an agent is bound to.

    Local member options (``Local/1001@agents/n``) are removed; other
    technologies are returned unchanged.
    """
    if member_interface.startswith("Local/"):
        return "Local/" + member_interface[6:].split("/", 1)[0]
    return member_interface


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Disposition(StrEnum):
    """How a call ended, from the customer's point of view."""

    ANSWERED = "answered"  # an agent talked to the caller
    ABANDONED = "abandoned"  # the caller hung up before any agent was rung to no answer
    MISSED = "missed"  # agents were rung, none answered (ring-no-answer), the caller gave up
    TRANSFERRED = "transferred"  # answered, then transferred to another agent or number
    FAILED = "failed"  # an outbound call that never reached the customer


class RingOutcome(StrEnum):
    """How one agent's ringing ended."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"  # AgentRingNoAnswer: the queue gave up on this phone
    ANSWERED_ELSEWHERE = "answered_elsewhere"  # ring-all: another agent took it
    CALLER_LEFT = "caller_left"  # the caller hung up while this phone rang


@dataclass(frozen=True, slots=True)
class CallOffered:
    """A new call reached the PBX (inbound) or an originated call started (outbound)."""

    call_id: str
    at: float
    direction: Direction
    caller_num: str  # inbound: the customer's number as sent by the trunk; outbound: the number dialled
    caller_name: str
    dnis: str  # inbound: the number the customer dialled; outbound: ""
    channel: str  # the customer-side leg
    # outbound: the Originate's ActionID (carries the campaign attempt), when the AMI user reads `dialplan`
    # (VarSet); the documented least-privilege user does not: "" here, the ActionID comes with OriginateResponse
    action_id: str = ""


@dataclass(frozen=True, slots=True)
class CallerIdentified:
    """The customer-side caller ID changed after the offer (NewCallerid on an outbound or Local leg)."""

    call_id: str
    at: float
    caller_num: str
    caller_name: str


@dataclass(frozen=True, slots=True)
class CallQueued:
    call_id: str
    at: float
    queue: str
    position: int
    caller_num: str
    caller_name: str


@dataclass(frozen=True, slots=True)
class AgentRinging:
    """An agent's phone started ringing for this call: the moment of the screen pop."""

    call_id: str
    at: float
    interface: str
    member_name: str  # queue MemberName, or the device for a direct dial
    agent_channel: str
    queue: str  # "" for a direct dial (e.g. after a transfer)
    caller_num: str  # the customer, never the agent phone's own caller ID
    caller_name: str
    action_id: str = ""  # an originated call (a campaign's callback): its Originate's ActionID, when known


@dataclass(frozen=True, slots=True)
class AgentRingEnded:
    """An agent's phone stopped ringing without that agent answering."""

    call_id: str
    at: float
    interface: str
    outcome: RingOutcome
    ring_seconds: float


@dataclass(frozen=True, slots=True)
class CallAnswered:
    call_id: str
    at: float
    interface: str
    member_name: str
    queue: str
    wait_seconds: int  # time in queue before this answer (AMI HoldTime), 0 for a direct dial
    ring_seconds: int
    caller_num: str = ""  # the customer, as in AgentRinging (a console opened mid-call shows the card)
    caller_name: str = ""


@dataclass(frozen=True, slots=True)
class CallTransferred:
    call_id: str
    at: float
    from_interface: str
    target: str  # what it was transferred to: "transfer,1002" context,exten or a channel
    kind: str = "blind"  # blind | attended


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """One agent rung during a call, as it ended."""

    interface: str
    member_name: str
    rang_at: float
    outcome: RingOutcome
    ring_seconds: float


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The whole call is over. Carries the complete summary a call-log row needs."""

    call_id: str
    at: float
    disposition: Disposition
    direction: Direction
    caller_num: str
    caller_name: str
    dnis: str
    queue: str
    offered_at: float
    answered_at: float | None
    wait_seconds: int  # queue hold time until answer or abandon (AMI HoldTime when known)
    talk_seconds: int  # sum of AgentComplete TalkTime (all agents, transfers included)
    answered_by: str  # interface of the first agent who answered, "" if none
    last_agent: str  # interface of the last agent who talked (the transfer target after a transfer)
    agents: tuple[AgentLeg, ...]
    hangup_cause: int  # Hangup Cause of the customer leg (16 normal, 17 busy, ...)
    action_id: str = ""


@dataclass(frozen=True, slots=True)
class OriginateFailed:
    """An Originate never reached the customer. ``cause`` is the real Q.850 reason when known."""

    action_id: str
    at: float
    dial_string: str
    cause: int  # Hangup Cause of the dialled leg; 0 when no channel was created
    cause_text: str
    reason: int  # OriginateResponse Reason (not the real cause; kept for the record)


@dataclass(frozen=True, slots=True)
class SurveyKeyed:
    """The survey IVR reported a rating (``None`` when the customer keyed nothing, or 9)."""

    call_id: str
    at: float
    campaign: str
    contact: str
    rating: int | None
    action_id: str = ""  # the attempt (the UserEvent's ``Attempt``, else the call's Originate)
    key: str = ""  # the key as reported: "1".."5", "9" (do not call me again) or "" (no valid key)


@dataclass(frozen=True, slots=True)
class NotificationKeyed:
    """The notification IVR reported the key pressed after the message ("1": put me through; "" none)."""

    call_id: str
    at: float
    action_id: str
    key: str


@dataclass(frozen=True, slots=True)
class CustomerDialled:
    """A call placed from an agent's phone (preview callback, click-to-dial) dialled the customer:
    ``dial_status`` is Asterisk's DIALSTATUS (ANSWER, BUSY, NOANSWER, CONGESTION, CHANUNAVAIL, CANCEL)."""

    call_id: str
    at: float
    action_id: str
    dial_status: str


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """A queue member's state: device status, paused with reason, in call."""

    at: float
    queue: str
    interface: str
    member_name: str
    status: int  # AMI device state: 1 not in use, 2 in use, 5 unavailable, 6 ringing, ...
    paused: bool
    paused_reason: str
    in_call: bool
    membership: str = ""  # static | dynamic
    removed: bool = False  # QueueMemberRemoved


# -- what happened to tickets (published by cti.tickets after its transaction commits) ---------------


@dataclass(frozen=True, slots=True)
class TicketOpened:
    at: float
    ticket_id: int
    number: str
    customer_id: int
    service_type: str
    call_id: str | None  # the call it was opened from, if any


@dataclass(frozen=True, slots=True)
class TicketChanged:
    """A ticket's state, assignment or SLA status changed: screens that show it refresh."""

    at: float
    ticket_id: int
    number: str
    state: str
    sla_status: str
    assignee_id: int | None
    engineer_user_id: int | None


@dataclass(frozen=True, slots=True)
class TicketResolved:
    """A ticket reached a resolved state (the satisfaction follow-up listens to this)."""

    at: float
    ticket_id: int
    number: str
    customer_id: int
    service_type: str
    product_model: str
    agent: str  # the username of whoever resolved it
    assignee_id: int | None


@dataclass(frozen=True, slots=True)
class TicketEscalated:
    at: float
    ticket_id: int
    number: str
    level: int  # 1 supervisors, 2 managers
    reason: str
    escalation_id: int = 0
    customer: str = ""  # the customer's name, for the screens of those who must act


@dataclass(frozen=True, slots=True)
class EscalationAcknowledged:
    """A supervisor or manager took an escalation in hand: it leaves the open lists."""

    at: float
    escalation_id: int
    ticket_id: int
    number: str
    level: int
    by: str  # username


@dataclass(frozen=True, slots=True)
class SlaAlarm:
    """A promise of a ticket became at risk or was broken (announced once, by the SLA tick)."""

    at: float
    ticket_id: int
    number: str
    kind: str  # first_contact | on_site | resolution
    status: str  # at_risk | breached
    due: float | None  # when the promise runs out (POSIX seconds)
    assignee_id: int | None


@dataclass(frozen=True, slots=True)
class TicketCallLinked:
    """A call was linked to a ticket (by the linker at the offer, or by an agent)."""

    at: float
    ticket_id: int
    number: str
    call_id: str
    service_type: str
    repeat: bool  # an inbound call about the ticket: complaint escalation counts it


# -- what the campaigns' calls came to (published by cti.campaigns after its transaction commits) ------


@dataclass(frozen=True, slots=True)
class SurveyRated:
    """A satisfaction rating was stored (once per contact); the tickets domain opens a complaint for ≤ 2."""

    at: float
    rating_id: int
    rating: int
    ticket_id: int | None
    customer_id: int | None
    product_model: str
    agent: str


@dataclass(frozen=True, slots=True)
class NotificationCallEnded:
    """An automatic notification call's attempt ended; the tickets domain counts it on the notification
    item, done when the customer heard the message."""

    at: float
    notification_id: int
    attempt: int
    outcome: str
    heard: bool  # the customer answered and the message played
    final: bool  # no further attempt will be made


@dataclass(frozen=True, slots=True)
class CampaignCallPlaced:
    """A campaign's call about a ticket reached the customer's line (a callback, a click-to-dial, a
    follow-up): the tickets domain links the call to the ticket (not as a repeat call)."""

    at: float
    call_id: str
    ticket_id: int
    by: str  # the agent who made it ("" : the dialer)


# What happens to calls (the tracker's output): the writers of the call log and the linker take these.
CALL_EVENTS = (CallOffered, CallerIdentified, CallQueued, AgentRinging, AgentRingEnded, CallAnswered, CallTransferred,
               CallEnded, OriginateFailed, SurveyKeyed, NotificationKeyed, CustomerDialled, AgentStateChanged)

DomainEvent = (
    CallOffered
    | CallerIdentified
    | CallQueued
    | AgentRinging
    | AgentRingEnded
    | CallAnswered
    | CallTransferred
    | CallEnded
    | OriginateFailed
    | SurveyKeyed
    | NotificationKeyed
    | CustomerDialled
    | AgentStateChanged
    | TicketOpened
    | TicketChanged
    | TicketResolved
    | TicketEscalated
    | EscalationAcknowledged
    | SlaAlarm
    | TicketCallLinked
    | CampaignCallPlaced
)


def _pickled_as_values(cls: type) -> None:
    """Pickle an event as its class and its field values, in order: what crosses the pipes of the worker
    processes (``cti.worker``). The dataclasses' own way for slotted classes reads ``fields()`` for
    every event on both sides, several times slower (docs/PERFORMANCE.md)."""
    values = attrgetter(*cls.__slots__)
    copyreg.pickle(cls, lambda event: (cls, values(event)))


for _cls in (CallOffered, CallerIdentified, CallQueued, AgentRinging, AgentRingEnded, CallAnswered, CallTransferred,
             AgentLeg, CallEnded, OriginateFailed, SurveyKeyed, NotificationKeyed, CustomerDialled, AgentStateChanged,
             TicketOpened, TicketChanged, TicketResolved, TicketEscalated, EscalationAcknowledged, SlaAlarm,
             TicketCallLinked, SurveyRated, NotificationCallEnded, CampaignCallPlaced):
    assert len(_cls.__slots__) > 1, _cls  # attrgetter of one name gives a value, not a tuple
    _pickled_as_values(_cls)
