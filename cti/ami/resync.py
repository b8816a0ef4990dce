"""Rebuild the tracker after a reconnect from ``CoreShowChannels`` and ``QueueStatus`` items.

* A tracked call whose Linkedid is in no CoreShowChannel ended while we were
  away: CallEnded with hangup cause 0 and the disposition known so far.
* An unknown call is offered; then queued if its customer leg runs
  ``Queue`` unbridged (position and wait from its QueueEntry), answered for
  every leg sharing the customer leg's ``BridgeId`` (``AppQueue`` agent legs
  keep the queue, other legs are direct dials), ringing for an unbridged
  ``AppQueue`` leg in Ring/Ringing.
* A known call gets only the transitions it missed (never a second
  CallOffered); legs that vanished are dropped.
* Every QueueMember item gives an AgentStateChanged (re-asserted, not deduplicated).

The customer leg is the one whose Uniqueid is the Linkedid. Its direction is
a guess: ``Exten`` ``s`` or empty (an originated leg in ``callback``/``survey``)
is outbound, anything else (the DNIS) inbound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cti.ami.channels import canonical_interface, device_of
from cti.events import AgentRinging, CallQueued, Direction
from cti.ami.tracker_base import Out
from cti.ami.tracker_state import ANSWERED, DONE, OPEN, Call, Ring, to_int

if TYPE_CHECKING:
    from cti.ami.tracker import CallTracker

Item = Mapping[str, str]
_RINGING_STATES = ("4", "5")  # Ring, Ringing


def rebuild(
    tracker: CallTracker,
    channels: list[Item],
    queue_status: list[Item],
    now: float,
    out: Out,
) -> None:
    groups = _group_channels(tracker, channels)
    entries = {e["Uniqueid"]: e for e in _items(queue_status, "QueueEntry") if e.get("Uniqueid")}
    members = {
        (m.get("Queue", ""), canonical_interface(m.get("Location", ""))): m
        for m in _items(queue_status, "QueueMember")
    }
    for call in list(tracker._calls.values()):
        if call.call_id not in groups:
            _vanished(tracker, call, now, out)
    for lid, legs in groups.items():
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
        _sync_legs(tracker, call, legs, now, out)
        if customer is None:
            call.customer_gone = True
            continue
        if not call.offered:
            _offer(tracker, call, customer, now, out)
        _sync_queue(call, customer, entries.get(lid), now, out, tracker)
        _sync_agents(tracker, call, legs, customer, members, now, out)
    for (queue, interface), item in members.items():
        if queue and interface:
            tracker._member_state(item, queue, interface, item.get("Name", ""), now, out, dedupe=False)


def _items(items: list[Item], event: str) -> list[Item]:
    return [i for i in items if i.get("Event") == event]


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


def _vanished(tracker: CallTracker, call: Call, now: float, out: Out) -> None:
    call.customer_gone = True
    call.customer_cause, call.partner_cause = 0, 0
    tracker._finish(call, now, out)


def _sync_legs(tracker: CallTracker, call: Call, legs: dict[str, Item], now: float, out: Out) -> None:
    for uid in list(call.legs - legs.keys()):
        call.legs.discard(uid)
        tracker._legs.pop(uid, None)
        ring = call.rings.get(uid)
        if ring is not None and ring.state in OPEN:
            tracker._ring_gone(call, ring, now, out)
        elif ring is not None:
            tracker._agent_leg_left(call, ring, now)
    for uid in legs:
        if uid not in call.legs:
            tracker._add_leg(call, uid)


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


def _sync_queue(
    call: Call, customer: Item, entry: Item | None, now: float, out: Out, tracker: CallTracker
) -> None:
    if customer.get("Application") != "Queue" and entry is None:
        return
    queue = entry.get("Queue", "") if entry else customer.get("ApplicationData", "").split(",")[0]
    call.queue = call.queue or queue
    if customer.get("BridgeId") or call.queued_reported:
        return
    wait = tracker._int(entry, "Wait") if entry else 0
    position = tracker._int(entry, "Position") if entry else 0
    call.queued_at, call.in_queue, call.queued_reported = now - wait, True, True
    out.append(CallQueued(call.call_id, now, call.queue, position, *call.caller()))


def _sync_agents(
    tracker: CallTracker,
    call: Call,
    legs: dict[str, Item],
    customer: Item,
    members: dict[tuple[str, str], Item],
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
            ring = _new_ring(call, uid, item, queue_leg, members, now)
            if ringing:
                num, name = call.caller()
                out.append(AgentRinging(call.call_id, now, ring.interface, ring.member_name,
                                        ring.channel, ring.queue, num, name))  # fmt: skip
        if bridged and ring.state not in (ANSWERED, DONE):
            tracker._answer_ring(call, ring, now, out, 0, 0)


def _new_ring(
    call: Call,
    uid: str,
    item: Item,
    queue_leg: bool,
    members: dict[tuple[str, str], Item],
    now: float,
) -> Ring:
    channel = item.get("Channel", "")
    interface = device_of(channel)
    queue = call.queue if queue_leg else ""
    member = members.get((call.queue, interface), {}).get("Name", "") or interface
    ring = Ring(uid, interface, member, channel, queue, now)
    call.rings[uid] = ring
    return ring
