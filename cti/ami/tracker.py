"""The pure call tracker: AMI messages in (in arrival order), domain events out.

No I/O, no clock: the caller passes ``now`` with every message. Calls are
keyed by ``Linkedid`` (= the Uniqueid of the customer leg: the trunk leg of
an inbound call, the originated leg of an outbound one), legs by ``Uniqueid``.

The rules that are not obvious from the event names:

* Inbound: a first leg created in ``Ring`` (a SIP trunk leg) is offered at
  its Newchannel. A first leg created ``Down`` was originated; it is offered
  at its DialBegin, as an outbound call to the dial string's number
  (``+8613800138000@carrier``), except ``s@…`` (``Local/s@customer-sim``),
  which is how the development PBX simulates an inbound trunk call.
* A NewCallerid on the customer leg after the offer gives CallerIdentified;
  an outbound call's own presentation (the Originate's CallerID) is not the
  customer and is skipped.
* The screen pop (AgentRinging) always carries the call's customer, never
  the agent leg's caller ID (the DNIS with Local agents, the phone's own
  number with SIP phones).
* ``answered_elsewhere`` ring ends are emitted right after the CallAnswered
  that caused them, even when Asterisk cancels the losing phones first.
* CallEnded is emitted when the last leg of the call hangs up, or when the
  call is evicted (no event for ``stale_after`` seconds, or ``max_calls``
  exceeded: least recently active first), so nothing leaks silently.
* Originate failures: see ``tracker_originate``; exactly one OriginateFailed
  per failed ActionID, with the real Hangup cause when a channel existed.
* Malformed input never raises out of :meth:`CallTracker.feed`: a message
  that cannot be used (a missing field, a garbage number: :data:`HOSTILE_INPUT`;
  the framer gives strings only) is counted in ``ignored``. Any other
  exception is a bug: it comes out as :class:`TrackerError`, carrying the
  events produced before it (a stale call ended on the way is not lost), so
  that the bridge publishes them, logs the bug and counts it (``/status``:
  ``ami.tracker.errors``).
* After a reconnect the bridge hands over ``QueueStatus`` and then
  ``CoreShowChannels``, each at the point of the stream where it completed
  (:meth:`CallTracker.resync_queues`, :meth:`CallTracker.resync_channels`),
  then :meth:`CallTracker.settle` where the answer to a Ping sent after the
  channel list arrives (see ``resync``).

>>> t = CallTracker()
>>> msg = {"Event": "Newchannel", "Channel": "PJSIP/carrier-00000000", "ChannelState": "4",
...        "CallerIDNum": "+8613800138000", "CallerIDName": "Zhang San", "Exten": "4008001234",
...        "Uniqueid": "1795790312.0", "Linkedid": "1795790312.0"}
>>> [type(e).__name__ for e in t.feed(msg, now=100.0)], len(t)
(['CallOffered'], 1)
>>> t.feed({"Event": "RTCPSent", "Linkedid": "1795790312.0"}, now=100.5)
[]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cti.ami.resync import apply_channels, apply_queue_status
from cti.ami.tracker_base import Msg, Out
from cti.ami.tracker_channels import ChannelHandlers
from cti.ami.tracker_originate import OriginateHandlers
from cti.ami.tracker_queue import QueueHandlers
from cti.ami.tracker_state import CallSnapshot, snapshot
from cti.events import DomainEvent

__all__ = ["HOSTILE_INPUT", "IGNORED_EVENTS", "CallSnapshot", "CallTracker", "TrackerError"]

Handler = Callable[[Msg, float, Out], None]

# What a hostile or truncated message (fields are strings: the framer makes nothing else) can raise
# in a handler: a missing field (KeyError), a garbage number (ValueError). Counted in ``ignored``;
# anything else is a bug and comes out as TrackerError.
HOSTILE_INPUT: tuple[type[Exception], ...] = (KeyError, ValueError)


class TrackerError(Exception):
    """The tracker failed on a message: a bug (its cause is ``__cause__``). ``events`` are the domain
    events produced before it failed (e.g. a stale call ended on the way): they still happened."""

    def __init__(self, events: list[DomainEvent]) -> None:
        super().__init__(f"call tracker failed after {len(events)} events")
        self.events = events

# Events the tracker has no handler for and that carry no call state it uses: the AMI
# connection skips their frames before decoding them (AmiFramer skip_events). Never put here an
# event the tracker handles, nor a list item of an action (CoreShowChannel, QueueMember,
# QueueEntry, QueueParams, Status, ...Complete): tests/unit/ami/test_skip_events.py checks both.
IGNORED_EVENTS: frozenset[str] = frozenset({
    "Newexten", "DeviceStateChange", "NewConnectedLine", "Cdr", "CEL", "DialState",
    "SoftHangupRequest", "LocalBridge", "BridgeCreate", "BridgeDestroy", "BridgeLeave",
    "BridgeMerge", "MusicOnHoldStart", "MusicOnHoldStop", "RTCPSent", "RTCPReceived",
    "Hold", "Unhold", "DTMFBegin", "DTMFEnd", "NewAccountCode", "SuccessfulAuth",
    "ChallengeSent", "InvalidPassword", "RequestBadFormat", "ContactStatus", "PeerStatus",
})  # fmt: skip


class CallTracker(ChannelHandlers, QueueHandlers, OriginateHandlers):
    """Follows every call on the PBX; see the module docstring for the rules.

    ``ignored_events`` and :attr:`skip_unless` tell the AMI framer which frames it need
    not decode for this tracker (``AmiFramer(skip_events=..., skip_unless=...)``).
    """

    ignored_events: frozenset[str] = IGNORED_EVENTS

    def __init__(
        self,
        *,
        max_calls: int = 5000,
        stale_after: float = 4 * 3600,
        action_id_var: str = "CTI_ACTION_ID",
    ) -> None:
        super().__init__(max_calls=max_calls, stale_after=stale_after, action_id_var=action_id_var)
        member = self._on_member
        # Every event not in this table (RTCPSent/RTCPReceived, Newexten, Cdr,
        # DeviceStateChange, ...) is dropped by the one lookup in feed().
        self._handlers: dict[str | None, Handler] = {
            "Newchannel": self._on_newchannel,
            "NewCallerid": self._on_newcallerid,
            "Newstate": self._on_newstate,
            "HangupRequest": self._on_hangup_request,
            "Hangup": self._on_hangup,
            "DialBegin": self._on_dial_begin,
            "DialEnd": self._on_dial_end,
            "BridgeEnter": self._on_bridge_enter,
            "BlindTransfer": self._on_blind_transfer,
            "QueueCallerJoin": self._on_queue_join,
            "QueueCallerLeave": self._on_queue_leave,
            "QueueCallerAbandon": self._on_queue_abandon,
            "AgentCalled": self._on_agent_called,
            "AgentRingNoAnswer": self._on_agent_ring_no_answer,
            "AgentConnect": self._on_agent_connect,
            "AgentComplete": self._on_agent_complete,
            "QueueMemberStatus": member,
            "QueueMemberPause": member,
            "QueueMemberAdded": member,
            "QueueMemberRemoved": member,
            "UserEvent": self._on_user_event,
            "OriginateResponse": self._on_originate_response,
            "VarSet": self._on_varset,
            None: self._on_response,  # action responses carry no Event
        }

    @property
    def handled_events(self) -> frozenset[str]:
        """The event names :meth:`feed` has a handler for."""
        return frozenset(name for name in self._handlers if name is not None)

    @property
    def skip_unless(self) -> dict[str, str]:
        """``VarSet`` is used only for the ActionID variable: a frame without its name is skipped."""
        return {"VarSet": self.action_id_var} if self.action_id_var else {}

    def feed(self, msg: Mapping[str, str], now: float) -> list[DomainEvent]:
        """Take one AMI message (in arrival order); return the domain events it causes."""
        out: Out = []
        try:
            handler = self._handlers.get(msg.get("Event"))
            if handler is None:
                return out
            if self._calls or self._unclaimed:
                self._expire(now, out)
            handler(msg, now, out)
        except HOSTILE_INPUT:  # hostile or truncated input must never stop the stream
            self.ignored += 1
        except Exception as exc:
            raise TrackerError(out) from exc
        return out

    def expire(self, now: float) -> list[DomainEvent]:
        """End stale calls without waiting for the next message (the bridge's timer)."""
        out: Out = []
        self._expire(now, out)
        return out

    def settle(self, now: float) -> list[DomainEvent]:
        """The events Asterisk had queued when it answered the channel list have all arrived (the
        answer to a Ping sent after it is here: manager.c sends a session's queued events once each
        action is handled). The calls the list no longer showed and whose Hangups did not come
        ended while we were away: they end now, at the time of the list."""
        out: Out = []
        self._end_vanished(out)
        return out

    def resync_queues(self, queue_status: list[Mapping[str, str]], now: float) -> list[DomainEvent]:
        """The first half of a resync, where ``QueueStatus`` completed: QueueMember items give
        AgentStateChanged; QueueEntry items are kept as hints for :meth:`resync_channels`."""
        return self._guarded(lambda out: apply_queue_status(self, queue_status, now, out))

    def resync_channels(self, channels: list[Mapping[str, str]], now: float) -> list[DomainEvent]:
        """The second half, where ``CoreShowChannels`` completed: the calls.

        Calls missing from the list are *vanishing*: their own Hangups may
        follow the list; those that are still there end at :meth:`settle`.
        Unknown calls are offered (and queued, ringing or answered as the list
        shows); known calls get no duplicate events, only the transitions they
        missed.
        """

        def step(out: Out) -> None:
            if self._calls or self._unclaimed:
                self._expire(now, out)
            apply_channels(self, channels, now, out)

        return self._guarded(step)

    def _guarded(self, step: Callable[[Out], None]) -> list[DomainEvent]:
        """A resync step, as :meth:`feed` runs a handler: hostile input counted, a bug raised as
        TrackerError with the events made before it."""
        out: Out = []
        try:
            step(out)
        except HOSTILE_INPUT:
            self.ignored += 1
        except Exception as exc:
            raise TrackerError(out) from exc
        return out

    def resync(
        self,
        channels: list[Mapping[str, str]],
        queue_status: list[Mapping[str, str]],
        now: float,
    ) -> list[DomainEvent]:
        """Both halves and the settling at one point of the stream (nothing in flight, e.g. a test)."""
        return self.resync_queues(queue_status, now) + self.resync_channels(channels, now) + self.settle(now)

    def active_calls(self) -> list[CallSnapshot]:
        """A read-only snapshot of the calls offered and not yet ended, oldest activity first."""
        return [snapshot(call) for call in self._calls.values() if call.offered]

    def __len__(self) -> int:
        """Calls held in memory (offered or not)."""
        return len(self._calls)

    @property
    def legs_held(self) -> int:
        """Live legs held in memory (for the bounded-memory checks)."""
        return len(self._legs)
