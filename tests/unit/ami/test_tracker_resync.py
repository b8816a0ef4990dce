"""Rebuilding after a reconnect from CoreShowChannels + QueueStatus (items taken from sip_status_actions.ami)."""

from __future__ import annotations

from cti.events import (
    AgentRingEnded,
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    Direction,
    Disposition,
    RingOutcome,
)
from cti.ami.framing import Message
from cti.ami.tracker import CallTracker

from .replay import T0, TICK, by_call, feed_all, messages, names, of_type

SIP_STATUS, _ = messages("sip_status_actions.ami")
# In sip_status_actions.ami: -10 QueueStatus and -12 CoreShowChannels while Zhang San waits
# (all agents paused); -14 QueueStatus and -16 CoreShowChannels once 1001 took the call.
WAITING_STATUS, WAITING_CHANNELS = "sip_status_actions-10", "sip_status_actions-12"
CONNECTED_STATUS, CONNECTED_CHANNELS = "sip_status_actions-14", "sip_status_actions-16"
STATUS_CALL = "1795790444.29"


def items(action_id: str) -> list[Message]:
    """Every list item answering that action (the Complete event included: resync skips it)."""
    return [m for m in SIP_STATUS if m.get("ActionID") == action_id and "Event" in m]


def as_call(item: Message, **changes: str) -> Message:
    return {**item, **changes}


def sip_inbound_answered_connected_channels() -> list[Message]:
    """The -16 CoreShowChannels block, rewritten to be sip_inbound_answered's call in progress."""
    carrier, agent = (m for m in items(CONNECTED_CHANNELS) if m["Event"] == "CoreShowChannel")
    assert carrier["Channel"].startswith("PJSIP/carrier-") and agent["Application"] == "AppQueue"
    return [
        as_call(carrier, Channel="PJSIP/carrier-00000000", Uniqueid="1795790312.0",
                Linkedid="1795790312.0"),
        as_call(agent, Channel="PJSIP/1001-00000003", Uniqueid="1795790312.3",
                Linkedid="1795790312.0"),
    ]  # fmt: skip


def test_resync_of_a_known_call_in_progress_does_not_offer_it_again() -> None:
    msgs, _ = messages("sip_inbound_answered.ami", seed=5)
    half = len(msgs) // 2  # phones rung, 1001 picked up (DialEnd ANSWER), no AgentConnect yet
    tracker = CallTracker()
    before = feed_all(tracker, msgs[:half])
    assert names(by_call(before)["1795790312.0"]) == [
        "CallOffered", "CallQueued", "AgentRinging", "AgentRinging", "AgentRinging"]  # fmt: skip

    now = T0 + half * TICK
    during = tracker.resync(sip_inbound_answered_connected_channels(), items(CONNECTED_STATUS), now)
    assert not of_type(during, CallOffered)
    # only the transition missed while away: the answer by 1001, and the pops it closed
    assert names(by_call(during)["1795790312.0"]) == ["CallAnswered", "AgentRingEnded", "AgentRingEnded"]
    assert one_of(during, CallAnswered).interface == "PJSIP/1001"
    assert {(e.interface, e.outcome) for e in of_type(during, AgentRingEnded)} == {
        ("PJSIP/1002", RingOutcome.ANSWERED_ELSEWHERE), ("PJSIP/1003", RingOutcome.ANSWERED_ELSEWHERE)}  # fmt: skip

    after = feed_all(tracker, msgs[half:], start=half)
    call = by_call(before + during + after)["1795790312.0"]
    assert [names(call).count(k) for k in ("CallOffered", "CallAnswered", "CallEnded")] == [1, 1, 1]
    ended = call[-1]
    assert ended.disposition is Disposition.ANSWERED
    assert (ended.answered_by, ended.wait_seconds, ended.talk_seconds) == ("PJSIP/1001", 2, 3)
    assert len(tracker) == 0 and tracker.legs_held == 0


def one_of(events: list, kind: type):
    found = of_type(events, kind)
    assert len(found) == 1, names(events)
    return found[0]


def test_resync_again_with_the_same_lists_emits_no_call_event() -> None:
    tracker = CallTracker()
    first = tracker.resync(items(CONNECTED_CHANNELS), items(CONNECTED_STATUS), T0)
    assert names(first)[:2] == ["CallOffered", "CallAnswered"]
    second = tracker.resync(items(CONNECTED_CHANNELS), items(CONNECTED_STATUS), T0 + 5)
    assert names(second) == ["AgentStateChanged"] * 3  # members are re-asserted, calls are not


def test_a_queued_call_missing_from_the_resync_list_ends_with_cause_0() -> None:
    msgs, _ = messages("sip_inbound_abandoned.ami")
    join = next(i for i, m in enumerate(msgs) if m.get("Event") == "QueueCallerJoin")
    tracker = CallTracker()
    feed_all(tracker, msgs[: join + 1])
    out = tracker.resync([], [], T0 + 60)
    ended = one_of(out, CallEnded)
    assert (ended.call_id, ended.disposition, ended.hangup_cause) == (
        "1795790323.4", Disposition.ABANDONED, 0)  # fmt: skip
    assert (ended.caller_num, ended.caller_name, ended.queue) == ("+8613912345678", "Li Si", "support")
    assert len(tracker) == 0 and tracker.legs_held == 0


def test_a_ringing_call_missing_from_the_resync_list_closes_its_pops_and_ends() -> None:
    msgs, _ = messages("sip_inbound_answered.ami")
    third_pop = [i for i, m in enumerate(msgs) if m.get("Event") == "AgentCalled"][-1]
    tracker = CallTracker()
    feed_all(tracker, msgs[: third_pop + 1])
    out = tracker.resync([], [], T0 + 60)
    assert names(out) == ["AgentRingEnded"] * 3 + ["CallEnded"]
    assert one_of(out, CallEnded).hangup_cause == 0


def test_an_unknown_waiting_call_in_the_list_is_offered_and_queued() -> None:
    tracker = CallTracker()
    now = T0 + 100
    out = tracker.resync(items(WAITING_CHANNELS), items(WAITING_STATUS), now)
    assert names(out) == ["CallOffered", "CallQueued"] + ["AgentStateChanged"] * 3
    offered, queued = out[0], out[1]
    # CoreShowChannel Duration 00:00:01: the call started a second ago
    assert offered == CallOffered(STATUS_CALL, now - 1, Direction.INBOUND, "+8613800138000",
                                  "Zhang San", "4008001234", "PJSIP/carrier-0000001d", "")  # fmt: skip
    assert queued == CallQueued(STATUS_CALL, now, "support", 1, "+8613800138000", "Zhang San")
    assert [(s.interface, s.paused, s.paused_reason) for s in of_type(out, AgentStateChanged)] == [
        ("PJSIP/1001", True, "Meeting"), ("PJSIP/1002", True, "Meeting"), ("PJSIP/1003", True, "Meeting")]  # fmt: skip
    [snapshot] = tracker.active_calls()
    assert (snapshot.call_id, snapshot.state, snapshot.queue) == (STATUS_CALL, "queued", "support")


def test_an_unknown_connected_call_is_answered_and_then_ends_from_live_events() -> None:
    tracker = CallTracker()
    out = tracker.resync(items(CONNECTED_CHANNELS), items(CONNECTED_STATUS), T0)
    assert names(out) == ["CallOffered", "CallAnswered"] + ["AgentStateChanged"] * 3
    answered = out[1]
    assert (answered.interface, answered.member_name, answered.queue) == ("PJSIP/1001", "Agent 1001", "support")
    states = of_type(out, AgentStateChanged)
    assert [(s.interface, s.status, s.paused, s.in_call) for s in states] == [
        ("PJSIP/1001", 2, False, True), ("PJSIP/1002", 1, True, False), ("PJSIP/1003", 1, True, False)]  # fmt: skip

    complete = next(i for i, m in enumerate(SIP_STATUS)
                    if m.get("Event") == "CoreShowChannelsComplete"
                    and m.get("ActionID") == CONNECTED_CHANNELS)  # fmt: skip
    tail = feed_all(tracker, SIP_STATUS[complete + 1 :], start=complete + 1)
    ended = one_of(tail, CallEnded)
    assert ended.call_id == STATUS_CALL and ended.disposition is Disposition.ANSWERED
    # AgentComplete: HoldTime 4, TalkTime 6
    assert (ended.answered_by, ended.wait_seconds, ended.talk_seconds) == ("PJSIP/1001", 4, 6)
    assert not of_type(tail, CallOffered) and not of_type(tail, CallAnswered)
    assert len(tracker) == 0 and tracker.legs_held == 0
