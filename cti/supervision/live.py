"""The floor as it is now: calls waiting in each queue and each agent's state, from the domain events.

A reducer with no I/O: :meth:`Floor.apply` takes the events in the order the bus delivers them and
says which queues and agents changed, and whether the list of calls in progress did (what a wallboard
must redraw). The tracker's events are the
only input: ``AgentStateChanged`` (``QueueMemberStatus``/``Pause``/``Added``/``Removed``, and the
``QueueStatus`` list after a reconnect) for membership, pauses and device states; ``CallQueued``,
``AgentRinging``, ``AgentRingEnded``, ``CallAnswered`` and ``CallEnded`` for the calls.

An agent's state, the first that holds:

* ``unavailable`` — the phone is not registered (device state 4 invalid or 5 unavailable);
* ``ringing`` — a call rings the phone;
* ``on_call`` — talking (a call answered on it, or the PBX says the device is in use);
* ``wrap_up`` — paused for after-call work (the pause reason is the wrap-up reason);
* ``paused`` — paused, with its reason;
* ``available``.

>>> floor = Floor()
>>> sorted(floor.apply(AgentStateChanged(10.0, "support", "PJSIP/1001", "王芳", 1, False, "", False)))
['agent:PJSIP/1001', 'queue:support']
>>> sorted(floor.apply(CallQueued("c1", 20.0, "support", 1, "+8613800138000", "张三")))
['calls', 'queue:support']
>>> floor.agents["PJSIP/1001"].state, floor.waiting("support"), floor.longest_wait("support", now=50.0)
('available', 1, 30.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cti.events import (AgentRingEnded, AgentRinging, AgentStateChanged, CallAnswered, CallEnded, CallQueued,
                        DomainEvent)

WRAP_UP_REASON = "after-call work"  # the pause reason of after-call work (the console sets it)
UNREACHABLE = frozenset({4, 5})  # AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE
IN_USE = frozenset({2, 3})  # AST_DEVICE_INUSE, AST_DEVICE_BUSY
CALLS = "calls"  # the key of the calls-in-progress list among the changed keys


@dataclass(slots=True)
class AgentLive:
    interface: str
    name: str
    queues: set[str] = field(default_factory=set)
    device: int = 0  # the PBX's device state
    paused: bool = False
    reason: str = ""
    ringing: str = ""  # the call ringing the phone
    talking: str = ""  # the call answered on it
    state: str = "available"
    since: float = 0.0  # when ``state`` began
    last_queue: str = ""  # the queue of the last call answered (its after-call work counts there)


@dataclass(slots=True)
class LiveCall:
    """A call in a queue or on an agent's phone, as the wallboard lists it."""

    call_id: str
    queue: str
    caller_num: str
    caller_name: str
    since: float  # when it joined the queue (or first rang a phone)
    answered_at: float | None = None
    agent: str = ""  # the interface that answered
    wait: float | None = None  # seconds in the queue before the answer


@dataclass(slots=True)
class Floor:
    agents: dict[str, AgentLive] = field(default_factory=dict)
    queued: dict[str, dict[str, float]] = field(default_factory=dict)  # queue -> {call id: joined at}
    phones: dict[str, set[str]] = field(default_factory=dict)  # call id -> the interfaces it rings or talks on
    calls: dict[str, LiveCall] = field(default_factory=dict)  # the calls in a queue or on a phone, by id
    wrap_up_reason: str = WRAP_UP_REASON
    wraps: list[tuple[str, str, float]] = field(default_factory=list)  # (interface, queue, seconds) ended

    def apply(self, event: DomainEvent) -> set[str]:
        """Take one event; the keys that changed (``queue:<name>``, ``agent:<interface>``)."""
        handler = _HANDLERS.get(type(event))
        return handler(self, event) if handler else set()

    def waiting(self, queue: str) -> int:
        return len(self.queued.get(queue, ()))

    def longest_wait(self, queue: str, now: float) -> float | None:
        """Seconds the longest-waiting call of ``queue`` has waited by ``now``; None when nobody waits."""
        joined = self.queued.get(queue)
        return max(0.0, now - min(joined.values())) if joined else None

    def in_queue(self, queue: str) -> list[AgentLive]:
        return [a for a in self.agents.values() if queue in a.queues]

    # -- the events ------------------------------------------------------------------------------------

    def _member(self, e: AgentStateChanged) -> set[str]:
        agent = self.agents.get(e.interface)
        if e.removed:
            if agent is None or e.queue not in agent.queues:
                return set()
            agent.queues.discard(e.queue)
            if not agent.queues:
                del self.agents[e.interface]
            return {f"agent:{e.interface}", f"queue:{e.queue}"}
        if agent is None:
            agent = self.agents[e.interface] = AgentLive(e.interface, e.member_name or e.interface, since=e.at)
        agent.queues.add(e.queue)
        agent.name = e.member_name or agent.name
        agent.device, agent.paused, agent.reason = e.status, e.paused, e.paused_reason if e.paused else ""
        if e.in_call and not agent.talking:
            agent.talking = "?"  # in a call the tracker did not see begin (a resync): talking all the same
        if not e.in_call and agent.talking == "?":
            agent.talking = ""
        self._settle(agent, e.at)
        return {f"agent:{e.interface}", f"queue:{e.queue}"}

    def _queued(self, e: CallQueued) -> set[str]:
        self.queued.setdefault(e.queue, {})[e.call_id] = e.at
        self.calls.setdefault(e.call_id, LiveCall(e.call_id, e.queue, e.caller_num, e.caller_name, e.at))
        return {f"queue:{e.queue}", CALLS}

    def _ringing(self, e: AgentRinging) -> set[str]:
        agent = self.agents.get(e.interface)
        if agent is None:
            return set()
        agent.ringing = e.call_id
        self.phones.setdefault(e.call_id, set()).add(e.interface)
        self._settle(agent, e.at)
        if e.call_id not in self.calls:  # a direct dial, a transfer, a callback: not queued first
            self.calls[e.call_id] = LiveCall(e.call_id, e.queue, e.caller_num, e.caller_name, e.at)
            return {f"agent:{e.interface}", CALLS}
        return {f"agent:{e.interface}"}

    def _ring_ended(self, e: AgentRingEnded) -> set[str]:
        agent = self.agents.get(e.interface)
        if agent is None or agent.ringing != e.call_id:
            return set()
        agent.ringing = ""
        self._settle(agent, e.at)
        return {f"agent:{e.interface}"}

    def _answered(self, e: CallAnswered) -> set[str]:
        changed = self._leave_queues(e.call_id)
        agent = self.agents.get(e.interface)
        call = self.calls.get(e.call_id)
        if call is None and (agent is not None or e.queue):  # a call of the floor's, seen first answered
            call = self.calls[e.call_id] = LiveCall(e.call_id, e.queue, e.caller_num, e.caller_name,
                                                    e.at - e.wait_seconds)
        if call is not None:
            call.answered_at, call.agent, call.wait = e.at, e.interface, float(e.wait_seconds)
            changed.add(CALLS)
        if agent is not None:
            agent.ringing, agent.talking, agent.last_queue = "", e.call_id, e.queue  # "": not a queue's call
            self.phones.setdefault(e.call_id, set()).add(e.interface)
            self._settle(agent, e.at)
            changed.add(f"agent:{e.interface}")
        return changed

    def _ended(self, e: CallEnded) -> set[str]:
        changed = self._leave_queues(e.call_id)
        if self.calls.pop(e.call_id, None) is not None:
            changed.add(CALLS)
        for interface in self.phones.pop(e.call_id, ()):  # not a walk over every agent, per call ended
            agent = self.agents.get(interface)
            if agent is not None and e.call_id in (agent.ringing, agent.talking):
                agent.ringing = "" if agent.ringing == e.call_id else agent.ringing
                agent.talking = "" if agent.talking == e.call_id else agent.talking
                self._settle(agent, e.at)
                changed.add(f"agent:{agent.interface}")
        return changed

    def _leave_queues(self, call_id: str) -> set[str]:
        changed = set()
        for queue, calls in self.queued.items():
            if calls.pop(call_id, None) is not None:
                changed.add(f"queue:{queue}")
        return changed

    def _settle(self, agent: AgentLive, at: float) -> None:
        state = _state_of(agent, self.wrap_up_reason)
        if state != agent.state:
            if agent.state == "wrap_up" and agent.last_queue:  # for the AHT; the caller drains ``wraps``
                self.wraps.append((agent.interface, agent.last_queue, max(0.0, at - agent.since)))
            agent.state, agent.since = state, at


def _state_of(agent: AgentLive, wrap_up_reason: str) -> str:
    if agent.device in UNREACHABLE:
        return "unavailable"
    if agent.ringing:
        return "ringing"
    if agent.talking or agent.device in IN_USE:
        return "on_call"
    if agent.paused:
        return "wrap_up" if agent.reason == wrap_up_reason else "paused"
    return "available"


_HANDLERS = {AgentStateChanged: Floor._member, CallQueued: Floor._queued, AgentRinging: Floor._ringing,
             AgentRingEnded: Floor._ring_ended, CallAnswered: Floor._answered, CallEnded: Floor._ended}
