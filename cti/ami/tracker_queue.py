"""Queue handlers: callers joining/leaving, agents rung/answering/completing, member state, the IVRs' reports."""

from __future__ import annotations

from cti.ami.channels import canonical_interface
from cti.events import (
    AgentRinging,
    AgentStateChanged,
    CallQueued,
    CustomerDialled,
    Direction,
    NotificationKeyed,
    RingOutcome,
    SurveyKeyed,
)
from cti.ami.tracker_base import Msg, Out, TrackerBase
from cti.ami.tracker_state import OPEN, Call, Ring

_MEMBER_REMOVED = "QueueMemberRemoved"
_MAX_MEMBERS = 10_000


_RATINGS = {str(n): n for n in range(1, 6)}


_USER_EVENTS = frozenset({"SurveyResult", "NotifyResult", "DialResult"})
_SURVEY_KEYS = frozenset({"1", "2", "3", "4", "5", "9"})


def survey_rating(value: object) -> int | None:
    """``"1"``..``"5"`` → int; empty (no key pressed) or anything else → None."""
    return _RATINGS.get(value) if isinstance(value, str) else None


class QueueHandlers(TrackerBase):
    def _queue_call(self, msg: Msg, now: float) -> Call | None:
        call = self._call_of(msg, now)
        if call is None:
            self.ignored += 1
        return call

    def _on_queue_join(self, msg: Msg, now: float, out: Out) -> None:
        call = self._queue_call(msg, now)
        if call is None:
            return
        if call.in_queue and call.queue == msg.get("Queue", ""):
            return  # already queued by a channel list taken after the join (Asterisk sent the join after it)
        if not call.offered:
            self._offer_late(call, msg, now, out)
        if call.direction is Direction.INBOUND and not call.dnis:
            call.dnis = _dnis(msg.get("Exten", ""))
        call.queue = msg.get("Queue", "")
        call.queued_at = now
        call.in_queue = True
        call.queued_reported = True
        position = self._int(msg, "Position")
        num, name = call.caller()
        out.append(CallQueued(call.call_id, now, call.queue, position, num, name))

    def _offer_late(self, call: Call, msg: Msg, now: float, out: Out) -> None:
        """A call queued before it could be offered (its DialBegin was missed): offer it now."""
        num = msg.get("CallerIDNum", "<unknown>")
        name = msg.get("CallerIDName", "<unknown>")
        self._offer(call, Direction.INBOUND, num, name, _dnis(msg.get("Exten", "")), now, out)

    def _on_queue_leave(self, msg: Msg, now: float, out: Out) -> None:
        """QueueCallerLeave precedes AgentConnect: it only means the queue stopped dialling."""
        call = self._queue_call(msg, now)
        if call is not None:
            call.in_queue = False

    def _on_queue_abandon(self, msg: Msg, now: float, out: Out) -> None:
        call = self._queue_call(msg, now)
        if call is None:
            return
        call.abandoned = True
        call.customer_gone = True
        call.in_queue = False
        call.hold_time = self._int(msg, "HoldTime")
        for ring in call.open_rings():
            self._end_ring(call, ring, RingOutcome.CALLER_LEFT, now, out)

    def _on_agent_called(self, msg: Msg, now: float, out: Out) -> None:
        """The screen pop: the customer is the call's caller, never the Dest* caller ID."""
        call = self._queue_call(msg, now)
        if call is None:
            return
        uid = msg["DestUniqueid"]
        if uid in call.rings:
            return
        interface = canonical_interface(msg.get("Interface", ""))
        member = msg.get("MemberName", "") or interface
        channel = msg.get("DestChannel", "")
        ring = Ring(uid, interface, member, channel, msg.get("Queue", call.queue), now)
        call.rings[uid] = ring
        num, name = call.caller()
        out.append(AgentRinging(call.call_id, now, interface, member, channel, ring.queue, num, name, call.action_id))

    def _ring_of(self, call: Call, msg: Msg) -> Ring | None:
        ring = call.rings.get(msg.get("DestUniqueid", ""))
        if ring is None:
            interface = canonical_interface(msg.get("Interface", ""))
            ring = next((r for r in call.open_rings() if r.interface == interface), None)
        return ring

    def _on_agent_ring_no_answer(self, msg: Msg, now: float, out: Out) -> None:
        call = self._queue_call(msg, now)
        if call is None:
            return
        ring = self._ring_of(call, msg)
        if ring is None or ring.state not in OPEN:
            return
        call.no_answer_seen = True
        seconds = self._int(msg, "RingTime", -1)
        ring_seconds = seconds / 1000 if seconds >= 0 else None  # RingTime is in ms here
        self._end_ring(call, ring, RingOutcome.NO_ANSWER, now, out, ring_seconds)

    def _on_agent_connect(self, msg: Msg, now: float, out: Out) -> None:
        call = self._queue_call(msg, now)
        if call is None:
            return
        ring = self._ring_of(call, msg)
        if ring is None:  # AgentCalled missed (e.g. before a resync): take the answer anyway
            interface = canonical_interface(msg.get("Interface", ""))
            uid = msg.get("DestUniqueid", "")
            member = msg.get("MemberName", "") or interface
            ring = Ring(uid, interface, member, msg.get("DestChannel", ""), msg.get("Queue", ""), now)
            call.rings[uid] = ring
        hold = self._int(msg, "HoldTime")
        if call.hold_time is None:
            call.hold_time = hold
        if ring.state in OPEN:  # else already answered (e.g. caught up by a resync)
            self._answer_ring(call, ring, now, out, hold, self._int(msg, "RingTime"))

    def _on_agent_complete(self, msg: Msg, now: float, out: Out) -> None:
        call = self._queue_call(msg, now)
        if call is None:
            return
        call.talk_seconds += max(0, self._int(msg, "TalkTime"))
        if call.hold_time is None and "HoldTime" in msg:  # AgentConnect missed (resync)
            call.hold_time = self._int(msg, "HoldTime")

    # -- members and IVR -------------------------------------------------------------

    def _on_member(self, msg: Msg, now: float, out: Out) -> None:
        """QueueMemberStatus/Pause/Added/Removed → AgentStateChanged when something changed."""
        queue = msg.get("Queue", "")
        interface = canonical_interface(msg.get("Interface", ""))
        if not queue or not interface:
            self.ignored += 1
            return
        self._member_state(msg, queue, interface, msg.get("MemberName", ""), now, out, dedupe=True)

    def _member_state(self, msg: Msg, queue: str, interface: str, name: str, now: float,
                      out: Out, *, dedupe: bool) -> None:  # fmt: skip
        removed = msg.get("Event") == _MEMBER_REMOVED
        event = AgentStateChanged(
            at=now,
            queue=queue,
            interface=interface,
            member_name=name,
            status=self._int(msg, "Status"),
            paused=msg.get("Paused") == "1",
            paused_reason=msg.get("PausedReason", ""),
            in_call=msg.get("InCall") == "1",
            membership=msg.get("Membership", ""),
            removed=removed,
        )
        key = (queue, interface)
        state = (event.member_name, event.status, event.paused, event.paused_reason,
                 event.in_call, event.membership)  # fmt: skip
        if dedupe and not removed and self._members.get(key) == state:
            return
        if removed:
            self._members.pop(key, None)
        else:
            if key not in self._members and len(self._members) >= _MAX_MEMBERS:
                self._members.pop(next(iter(self._members)))
            self._members[key] = state
        out.append(event)

    def _on_user_event(self, msg: Msg, now: float, out: Out) -> None:
        """What the hotline's IVRs report (dialplans/hotline.conf): SurveyResult, NotifyResult, DialResult."""
        name = msg.get("UserEvent")
        if name not in _USER_EVENTS:
            return
        call = self._call_of(msg, now)
        call_id = call.call_id if call is not None else msg.get("Linkedid", "")
        action_id = msg.get("Attempt", "") or (call.action_id if call is not None else "")
        if name == "SurveyResult":
            key = msg.get("Rating", "")
            key = key if key in _SURVEY_KEYS else ""
            out.append(SurveyKeyed(call_id, now, msg.get("Campaign", ""), msg.get("Contact", ""), survey_rating(key),
                                   action_id, key))
        elif name == "NotifyResult":
            key = msg.get("Key", "")
            out.append(NotificationKeyed(call_id, now, action_id, key if key.isdigit() and len(key) == 1 else ""))
        else:
            out.append(CustomerDialled(call_id, now, action_id, msg.get("DialStatus", "").upper()[:20]))


def _dnis(exten: str) -> str:
    return "" if exten in ("", "s") else exten
