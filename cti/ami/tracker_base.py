"""State and shared steps of the call tracker: find, create, finish and evict calls; end rings.

The event handlers live in ``tracker_channels``, ``tracker_queue`` and
``tracker_originate`` (mixins over :class:`TrackerBase`); ``tracker`` puts
them together.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cti.events import (
    AgentRingEnded,
    CallAnswered,
    CallOffered,
    Direction,
    DomainEvent,
    OriginateFailed,
    RingOutcome,
)
from cti.ami.tracker_state import ANSWERED, DONE, ENDED, OPEN, Q850, Call, Ring, summary, to_int

if TYPE_CHECKING:
    from cti.ami.resync import QueueHints

Msg = Mapping[str, str]
Out = list[DomainEvent]

_MAX_FAILED_IDS = 1000
_MAX_UNCLAIMED = 1000


@dataclass(frozen=True, slots=True)
class Unclaimed:
    """An originated call that ended unanswered before its OriginateResponse arrived."""

    keys: tuple[str, ...]
    dial_string: str
    cause: int
    cause_text: str
    at: float


class TrackerBase:
    """Bounded state: calls by Linkedid (least recently touched first), legs by Uniqueid."""

    def __init__(self, *, max_calls: int, stale_after: float, action_id_var: str) -> None:
        self.max_calls = max(1, max_calls)
        self.stale_after = stale_after
        self.action_id_var = action_id_var.lstrip("_")
        self.ignored = 0  # messages or fields that could not be used
        self.evicted = 0  # calls ended by staleness or the max_calls cap
        self._calls: OrderedDict[str, Call] = OrderedDict()
        self._legs: dict[str, str] = {}  # Uniqueid -> Linkedid, live legs only
        self._originating: dict[str, list[str]] = {}  # requested dial string -> call ids
        self._unclaimed: deque[Unclaimed] = deque(maxlen=_MAX_UNCLAIMED)
        self._failed_ids: OrderedDict[str, None] = OrderedDict()
        self._members: dict[tuple[str, str], tuple[object, ...]] = {}
        self._vanishing: dict[str, float] = {}  # call id -> when a channel list no longer showed it
        self._queue_hints: QueueHints | None = None  # the last QueueStatus, for the channel list after it

    # -- small helpers -------------------------------------------------------------

    def _int(self, msg: Msg, key: str, default: int = 0) -> int:
        """An integer field; a missing or garbage value counts as ignored and gives ``default``."""
        try:
            return to_int(msg[key])
        except (KeyError, ValueError, TypeError):
            self.ignored += 1
            return default

    def _touch(self, call: Call, now: float) -> Call:
        call.last_at = now
        self._calls.move_to_end(call.call_id)
        return call

    def _call_of(self, msg: Msg, now: float) -> Call | None:
        """The call a message belongs to: by ``Linkedid``, else by the leg's ``Uniqueid``."""
        call = self._calls.get(msg.get("Linkedid", ""))
        if call is None:
            call = self._calls.get(self._legs.get(msg.get("Uniqueid", ""), ""))
        if call is None:
            return None
        return self._touch(call, now)

    def _call_of_leg(self, uid: str, now: float) -> Call | None:
        call = self._calls.get(self._legs.get(uid, ""))
        return None if call is None else self._touch(call, now)

    # -- call life -----------------------------------------------------------------

    def _new_call(self, call_id: str, now: float, out: Out) -> Call:
        while len(self._calls) >= self.max_calls:
            self._finish(next(iter(self._calls.values())), now, out, evicted=True)
        call = Call(call_id=call_id, created_at=now, last_at=now)
        self._calls[call_id] = call
        return call

    def _add_leg(self, call: Call, uid: str) -> None:
        call.legs.add(uid)
        self._legs[uid] = call.call_id

    def _expire(self, now: float, out: Out) -> None:
        """End calls that saw no event for ``stale_after`` seconds (oldest first)."""
        limit = now - self.stale_after
        calls = self._calls
        while calls:
            call = next(iter(calls.values()))
            if call.last_at > limit:
                break
            self._finish(call, now, out, evicted=True)
        unclaimed = self._unclaimed
        while unclaimed and unclaimed[0].at <= limit:
            unclaimed.popleft()

    def _end_vanished(self, out: Out) -> None:
        """The calls a channel list no longer showed and whose Hangups did not follow it: they ended
        while we were away. Each ends when the list said so, with the causes seen (0 if none)."""
        for call_id, gone_at in list(self._vanishing.items()):
            call = self._calls.get(call_id)
            if call is None:
                del self._vanishing[call_id]
                continue
            call.customer_gone = True
            self._finish(call, gone_at, out)

    def _finish(self, call: Call, now: float, out: Out, *, evicted: bool = False) -> None:
        """The call is over: close its rings, emit CallEnded (+ OriginateFailed), forget it."""
        for ring in call.open_rings():
            self._end_ring(call, ring, RingOutcome.CALLER_LEFT, now, out)
        self._flush_pending(call, out)
        if call.offered:
            out.append(summary(call, now))
        self._resolve_originate(call, now, out)
        for uid in call.legs:
            self._legs.pop(uid, None)
        for key in call.origin_keys:
            self._unindex(key, call.call_id)
        del self._calls[call.call_id]
        self._vanishing.pop(call.call_id, None)
        if evicted:
            self.evicted += 1

    def _resolve_originate(self, call: Call, now: float, out: Out) -> None:
        if not call.originated or call.picked_up_at is not None:
            return
        if call.failure is not None:
            action_id, reason = call.failure
            self._originate_failed(
                action_id, call.dial_string, call.cause(), call.cause_text(), reason, now, out
            )
        elif not call.response_seen and call.origin_keys:
            record = Unclaimed(
                tuple(call.origin_keys), call.dial_string, call.cause(), call.cause_text(), now
            )
            self._unclaimed.append(record)

    def _unindex(self, key: str, call_id: str) -> None:
        ids = self._originating.get(key)
        if ids is not None:
            if call_id in ids:
                ids.remove(call_id)
            if not ids:
                del self._originating[key]

    def _originate_failed(
        self,
        action_id: str,
        dial_string: str,
        cause: int,
        cause_text: str,
        reason: int,
        now: float,
        out: Out,
    ) -> None:
        """Emit OriginateFailed once per ActionID."""
        if action_id in self._failed_ids:
            return
        self._failed_ids[action_id] = None
        if len(self._failed_ids) > _MAX_FAILED_IDS:
            self._failed_ids.popitem(last=False)
        text = cause_text or Q850.get(cause, "")
        out.append(OriginateFailed(action_id, now, dial_string, cause, text, reason))

    # -- offer ---------------------------------------------------------------------

    def _offer(
        self,
        call: Call,
        direction: Direction,
        num: str,
        name: str,
        dnis: str,
        now: float,
        out: Out,
    ) -> None:
        call.direction = direction
        call.caller_num, call.caller_name, call.dnis = num, name, dnis
        call.offered, call.offered_at = True, now
        out.append(
            CallOffered(
                call.call_id, now, direction, num, name, dnis, call.customer_channel, call.action_id
            )
        )

    def _index_origin(self, call: Call, key: str) -> None:
        if key and key not in call.origin_keys:
            call.origin_keys.append(key)
            self._originating.setdefault(key, []).append(call.call_id)

    # -- rings ---------------------------------------------------------------------

    def _end_ring(
        self,
        call: Call,
        ring: Ring,
        outcome: RingOutcome,
        now: float,
        out: Out,
        ring_seconds: float | None = None,
    ) -> None:
        """Stop a ringing leg. ``answered_elsewhere`` waits for the CallAnswered it follows."""
        if ring.state not in OPEN:
            return
        ring.state = ENDED
        ring.outcome = outcome
        seconds = ring_seconds if ring_seconds is not None else max(0.0, now - ring.rang_at)
        ring.ring_seconds = round(seconds, 3)
        event = AgentRingEnded(call.call_id, now, ring.interface, outcome, ring.ring_seconds)
        if outcome is RingOutcome.ANSWERED_ELSEWHERE and call.answered_at is None:
            call.pending_ends.append(event)
        else:
            out.append(event)

    def _flush_pending(self, call: Call, out: Out) -> None:
        if call.pending_ends:
            out.extend(call.pending_ends)
            call.pending_ends.clear()

    def _answer_ring(
        self, call: Call, ring: Ring, now: float, out: Out, wait: int, ring_seconds: int
    ) -> None:
        """An agent answered: CallAnswered, then every other ringing leg ends (answered elsewhere)."""
        ring.state = ANSWERED
        ring.outcome = RingOutcome.ANSWERED
        ring.answered_at = now
        ring.ring_seconds = float(ring_seconds)
        if not call.answered_by:
            call.answered_by = ring.interface
        if call.answered_at is None:
            call.answered_at = now
        call.last_agent = ring.interface
        call.in_queue = False
        out.append(CallAnswered(call.call_id, now, ring.interface, ring.member_name, ring.queue, wait,
                                ring_seconds, *call.caller()))  # fmt: skip
        for other in call.open_rings():
            self._end_ring(call, other, RingOutcome.ANSWERED_ELSEWHERE, now, out)
        self._flush_pending(call, out)

    def _ring_gone(self, call: Call, ring: Ring, now: float, out: Out, cause: int = -1) -> None:
        """A leg stopped ringing for a reason AMI does not name (CANCEL, hangup)."""
        if cause == 26 or call.someone_answering(except_uid=ring.uid):
            outcome = RingOutcome.ANSWERED_ELSEWHERE
        elif call.customer_gone:
            outcome = RingOutcome.CALLER_LEFT
        else:
            outcome = RingOutcome.NO_ANSWER
        self._end_ring(call, ring, outcome, now, out)

    def _agent_leg_left(self, call: Call, ring: Ring, now: float) -> None:
        """A talking agent leg hung up: a direct dial's talk time is measured here."""
        if ring.state == ANSWERED:
            ring.state = DONE
            began = call.picked_up_at if call.agent_first else ring.answered_at  # click-to-dial: with the customer
            if not ring.queue and began is not None:
                call.talk_seconds += max(0, round(now - began))
