"""Rebuild the tracker after a reconnect, one list at a time, each where it completed in the stream.

The bridge asks for ``QueueStatus`` first and ``CoreShowChannels`` second, and
hands each list to the tracker at the point of the event stream where the
list's ``…Complete`` event arrived: what the list says is applied exactly
between the events that came before it and those that come after. A list is
never applied later than where it was taken, so live events that arrive in
between are never contradicted by an older picture (a call that hung up in
between is not offered again; one that started in between is not ended).

* :func:`apply_queue_status` (at ``QueueStatusComplete``): every QueueMember
  item gives an AgentStateChanged (re-asserted, not deduplicated). The
  QueueEntry positions and waits and the member names are only kept as
  *hints* for the channel list that follows: they describe calls, and calls
  are the channel list's business.
* :func:`apply_channels` (at ``CoreShowChannelsComplete``):

  - A tracked call whose Linkedid is in no CoreShowChannel is *vanishing*: it
    ends at ``settle`` (with hangup cause 0 and the disposition known so far)
    unless its Hangups arrive first. Asterisk sends the events it had queued
    for a session *after* the action's response (manager.c:
    ``process_events`` once each message is handled), so a call that hung up
    just before the list was taken is missing from the list and its Hangup,
    with the real cause and the agent's AgentComplete, follows. The bridge
    sends a Ping after the list: when its answer arrives, those events have.
  - An unknown call is offered; then queued if its customer leg runs
    ``Queue`` unbridged (position and wait from the QueueEntry hint, if any),
    answered for every leg sharing the customer leg's ``BridgeId``
    (``AppQueue`` agent legs keep the queue, other legs are direct dials),
    ringing for an unbridged ``AppQueue`` leg in Ring/Ringing (app_queue sets
    ``AppQueue`` on the member's channel as it rings it).
  - A known call gets only the transitions it missed (never a second
    CallOffered); legs that vanished are dropped.

The customer leg is the one whose Uniqueid is the Linkedid. Its direction is
a guess: ``Exten`` ``s`` or empty (an originated leg in ``callback``/``survey``)
is outbound, anything else (the DNIS) inbound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cti.ami.channels import canonical_interface, device_of
from cti.ami.tracker_base import Out
from cti.ami.tracker_state import ANSWERED, DONE, OPEN, Call, Ring, to_int
from cti.events import AgentRinging, CallQueued, Direction

if TYPE_CHECKING:
    from cti.ami.tracker import CallTracker

Item = Mapping[str, str]
_RINGING_STATES = ("4", "5")  # Ring, Ringing
HINT_MAX_AGE = 30.0  # seconds: queue hints older than this (a resync that never completed) are not used


@dataclass
class QueueHints:
    """What the last QueueStatus said about calls, for the channel list that follows it."""

    at: float
    entries: dict[str, Item] = field(default_factory=dict)  # customer Uniqueid -> QueueEntry
    names: dict[tuple[str, str], str] = field(default_factory=dict)  # (queue, interface) -> MemberName


def apply_queue_status(tracker: CallTracker, queue_status: list[Item], now: float, out: Out) -> None:
    hints = QueueHints(at=now)
    for item in queue_status:
        kind = item.get("Event")
        if kind == "QueueEntry" and item.get("Uniqueid"):
            hints.entries[item["Uniqueid"]] = item
        elif kind == "QueueMember":
            queue, interface = item.get("Queue", ""), canonical_interface(item.get("Location", ""))
            if queue and interface:
                hints.names[(queue, interface)] = item.get("Name", "")
                tracker._member_state(item, queue, interface, item.get("Name", ""), now, out, dedupe=False)
    tracker._queue_hints = hints


def apply_channels(tracker: CallTracker, channels: list[Item], now: float, out: Out) -> None:
    hints = _fresh_hints(tracker, now)
    groups = _group_channels(tracker, channels)
    for call in list(tracker._calls.values()):
        if call.call_id not in groups:
            tracker._vanishing.setdefault(call.call_id, now)
    for lid, legs in groups.items():
        tracker._vanishing.pop(lid, None)
        known = tracker._calls.get(lid)
        customer = legs.get(lid)
        if known is not None:
            call = known
        elif customer is not None:
            call = tracker._new_call(lid, now, out)
            call.customer_channel = customer.get("Channel", "")
        else:
            tracker.ignored += 1  # only agent legs left: nothing to follow
            continue
        tracker._touch(call, now)
        _add_legs(tracker, call, legs)
        if customer is None:
            _drop_missing_legs(tracker, call, legs, now, out)
            call.customer_gone = True
            continue
        if not call.offered:
            _offer(tracker, call, customer, now, out)
        _sync_queue(tracker, call, customer, hints, now, out)
        # the answers first: a phone gone from the list because another answered ended answered elsewhere
        _sync_agents(tracker, call, legs, customer, hints, now, out)
        _drop_missing_legs(tracker, call, legs, now, out)


def _fresh_hints(tracker: CallTracker, now: float) -> QueueHints:
    """The hints of the QueueStatus just before this list (used once), or none."""
    hints, tracker._queue_hints = tracker._queue_hints, None
    if hints is None or now - hints.at > HINT_MAX_AGE:
        return QueueHints(at=now)
    return hints


def _group_channels(tracker: CallTracker, channels: list[Item]) -> dict[str, dict[str, Item]]:
    groups: dict[str, dict[str, Item]] = {}
    for item in channels:
        if item.get("Event", "CoreShowChannel") != "CoreShowChannel":
            continue
        uid = item.get("Uniqueid", "")
        if not uid:
            tracker.ignored += 1
            continue
        groups.setdefault(item.get("Linkedid") or uid, {})[uid] = item
    return groups


def _seconds(duration: str) -> int:
    """``00:01:05`` → 65; garbage → 0."""
    try:
        h, m, s = (to_int(part) for part in duration.split(":"))
    except (ValueError, TypeError):
        return 0
    return h * 3600 + m * 60 + s


def _add_legs(tracker: CallTracker, call: Call, legs: dict[str, Item]) -> None:
    for uid in legs:
        if uid not in call.legs:
            tracker._add_leg(call, uid)


def _drop_missing_legs(tracker: CallTracker, call: Call, legs: dict[str, Item], now: float, out: Out) -> None:
    for uid in list(call.legs - legs.keys()):
        call.legs.discard(uid)
        tracker._legs.pop(uid, None)
        ring = call.rings.get(uid)
        if ring is not None and ring.state in OPEN:
            tracker._ring_gone(call, ring, now, out)
        elif ring is not None:
            tracker._agent_leg_left(call, ring, now)


def _offer(tracker: CallTracker, call: Call, customer: Item, now: float, out: Out) -> None:
    exten = customer.get("Exten", "")
    outbound = exten in ("", "s")
    started = now - _seconds(customer.get("Duration", ""))
    num = customer.get("CallerIDNum", "<unknown>")
    name = customer.get("CallerIDName", "<unknown>")
    if outbound:
        call.originated = True
        if customer.get("ChannelState") == "6":
            call.picked_up_at = started
    direction = Direction.OUTBOUND if outbound else Direction.INBOUND
    tracker._offer(call, direction, num, name, "" if outbound else exten, started, out)


def _sync_queue(tracker: CallTracker, call: Call, customer: Item, hints: QueueHints, now: float, out: Out) -> None:
    entry = hints.entries.get(call.call_id)
    if customer.get("Application") != "Queue" and entry is None:
        return
    queue = entry.get("Queue", "") if entry else customer.get("ApplicationData", "").split(",")[0]
    call.queue = call.queue or queue
    if customer.get("BridgeId") or call.queued_reported:
        return
    # the entry was taken at hints.at: the caller has waited that much longer since
    wait = tracker._int(entry, "Wait") + max(0, round(now - hints.at)) if entry else 0
    position = tracker._int(entry, "Position") if entry else 0
    call.queued_at, call.in_queue, call.queued_reported = now - wait, True, True
    out.append(CallQueued(call.call_id, now, call.queue, position, *call.caller()))


def _sync_agents(
    tracker: CallTracker,
    call: Call,
    legs: dict[str, Item],
    customer: Item,
    hints: QueueHints,
    now: float,
    out: Out,
) -> None:
    bridge = customer.get("BridgeId", "")
    for uid, item in legs.items():
        if uid == call.call_id:
            continue
        bridged = bool(bridge) and item.get("BridgeId") == bridge
        queue_leg = item.get("Application") == "AppQueue"
        ringing = queue_leg and not bridged and item.get("ChannelState") in _RINGING_STATES
        if not (bridged or ringing):
            continue
        ring = call.rings.get(uid)
        if ring is None:
            ring = _new_ring(call, uid, item, queue_leg, hints, now)
            if ringing:
                num, name = call.caller()
                out.append(AgentRinging(call.call_id, now, ring.interface, ring.member_name,
                                        ring.channel, ring.queue, num, name, call.action_id))  # fmt: skip
        if bridged and ring.state not in (ANSWERED, DONE):
            tracker._answer_ring(call, ring, now, out, 0, 0)


def _new_ring(call: Call, uid: str, item: Item, queue_leg: bool, hints: QueueHints, now: float) -> Ring:
    channel = item.get("Channel", "")
    interface = device_of(channel)
    queue = call.queue if queue_leg else ""
    member = hints.names.get((call.queue, interface), "") or interface
    ring = Ring(uid, interface, member, channel, queue, now)
    call.rings[uid] = ring
    return ring
