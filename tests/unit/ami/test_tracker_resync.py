"""Rebuilding after a reconnect from QueueStatus, then CoreShowChannels, each applied where it completed.

List items are taken from sip_status_actions.ami; calls from the other recorded traces. The live
events of a call are fed between, before and after the two lists, as a reconnect interleaves them.
"""

from __future__ import annotations

from cti.events import (
    AgentRingEnded,
    AgentRinging,
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
    assert names(first) == ["AgentStateChanged"] * 3 + ["CallOffered", "CallAnswered"]
    second = tracker.resync(items(CONNECTED_CHANNELS), items(CONNECTED_STATUS), T0 + 5)
    assert names(second) == ["AgentStateChanged"] * 3  # members are re-asserted, calls are not


def test_a_queued_call_missing_from_the_channel_list_ends_with_cause_0_once_settled() -> None:
    msgs, _ = messages("sip_inbound_abandoned.ami")
    join = next(i for i, m in enumerate(msgs) if m.get("Event") == "QueueCallerJoin")
    tracker = CallTracker()
    feed_all(tracker, msgs[: join + 1])
    now = T0 + 60
    assert tracker.resync_channels([], now) == []  # its own Hangups may still follow the list
    assert tracker.expire(now + 3600) == []  # however long that takes to read
    out = tracker.settle(now + 3601)
    ended = one_of(out, CallEnded)
    assert (ended.call_id, ended.disposition, ended.hangup_cause, ended.at) == (
        "1795790323.4", Disposition.ABANDONED, 0, now)  # fmt: skip
    assert (ended.caller_num, ended.caller_name, ended.queue) == ("+8613912345678", "Li Si", "support")
    assert len(tracker) == 0 and tracker.legs_held == 0


def test_a_ringing_call_missing_from_the_channel_list_closes_its_pops_and_ends() -> None:
    msgs, _ = messages("sip_inbound_answered.ami")
    third_pop = [i for i, m in enumerate(msgs) if m.get("Event") == "AgentCalled"][-1]
    tracker = CallTracker()
    feed_all(tracker, msgs[: third_pop + 1])
    out = tracker.resync([], [], T0 + 60)
    assert names(out) == ["AgentRingEnded"] * 3 + ["CallEnded"]
    assert one_of(out, CallEnded).hangup_cause == 0


def test_a_call_whose_hangups_follow_the_channel_list_ends_with_its_real_cause_and_talk_time() -> None:
    """Asterisk sends the events it had queued for the session after the list: the list no longer
    shows the call, and its Hangups (cause 16) and AgentComplete (TalkTime 3) come right after."""
    msgs, _ = messages("sip_inbound_answered.ami")
    connect = next(i for i, m in enumerate(msgs) if m.get("Event") == "AgentConnect")
    tracker = CallTracker()
    before = feed_all(tracker, msgs[: connect + 1])
    now = T0 + (connect + 1) * TICK
    assert tracker.resync_channels([], now) == []
    late = [(m, now + 5 + i * TICK) for i, m in enumerate(msgs[connect + 1 :])]  # read 5 s later (back-pressure)
    after = [e for m, at in late for e in tracker.feed(m, at)]
    ended = one_of(after, CallEnded)
    assert (ended.disposition, ended.hangup_cause, ended.talk_seconds) == (Disposition.ANSWERED, 16, 3)
    assert names(by_call(before + after)["1795790312.0"]).count("CallEnded") == 1
    assert tracker.settle(now + 10) == [] and len(tracker) == 0


def test_a_call_that_hangs_up_between_the_two_lists_is_not_offered_again() -> None:
    """QueueStatus completes while the call rings; the caller hangs up; CoreShowChannels (taken after)
    no longer lists it. The call ends once, from its own Hangups, and is never offered again."""
    msgs, _ = messages("sip_inbound_answered.ami")
    third_pop = [i for i, m in enumerate(msgs) if m.get("Event") == "AgentCalled"][-1]
    tracker = CallTracker()
    events = feed_all(tracker, msgs[: third_pop + 1])
    events += tracker.resync_queues(items(WAITING_STATUS), T0 + 1)
    events += feed_all(tracker, msgs[third_pop + 1 :], start=third_pop + 1)  # between the lists: to its end
    events += tracker.resync_channels([], T0 + 3)
    events += tracker.settle(T0 + 3.1)
    call = by_call(events)["1795790312.0"]
    assert [names(call).count(k) for k in ("CallOffered", "CallQueued", "CallAnswered", "CallEnded")] == [1, 1, 1, 1]
    assert call[-1].disposition is Disposition.ANSWERED and call[-1].hangup_cause == 16
    assert len(tracker) == 0 and tracker.legs_held == 0


def ringing_channels() -> list[Message]:
    """sip_inbound_answered's call as CoreShowChannels lists it while the three phones ring."""
    carrier, _ = (m for m in items(CONNECTED_CHANNELS) if m["Event"] == "CoreShowChannel")
    customer = as_call(carrier, Channel="PJSIP/carrier-00000000", Uniqueid="1795790312.0", Linkedid="1795790312.0",
                       BridgeId="", Duration="00:00:01")
    agents = [{"Event": "CoreShowChannel", "Channel": f"PJSIP/{phone}-0000000{n}", "ChannelState": "5",
               "ChannelStateDesc": "Ringing", "CallerIDNum": phone, "CallerIDName": f"Agent {phone}",
               "Uniqueid": f"1795790312.{n}", "Linkedid": "1795790312.0", "Application": "AppQueue",
               "ApplicationData": "(Outgoing Line)", "Duration": "00:00:00", "BridgeId": ""}
              for n, phone in ((1, "1003"), (2, "1002"), (3, "1001"))]
    return [customer, *agents]


def test_a_call_that_starts_between_the_two_lists_rings_and_is_answered() -> None:
    """The call starts after QueueStatus completed; CoreShowChannels (taken after) lists it ringing.
    It is offered and popped once, from its live events, and goes on to be answered."""
    msgs, _ = messages("sip_inbound_answered.ami")
    third_pop = [i for i, m in enumerate(msgs) if m.get("Event") == "AgentCalled"][-1]
    tracker = CallTracker()
    events = tracker.resync_queues(items(WAITING_STATUS), T0 - 1)  # the queue's picture: another caller
    events += feed_all(tracker, msgs[: third_pop + 1])
    events += tracker.resync_channels(ringing_channels(), T0 + (third_pop + 1) * TICK)
    events += feed_all(tracker, msgs[third_pop + 1 :], start=third_pop + 1)
    events += tracker.expire(T0 + 60)
    call = by_call(events)["1795790312.0"]
    assert [names(call).count(k) for k in ("CallOffered", "AgentRinging", "CallAnswered", "CallEnded")] == [1, 3, 1, 1]
    assert call[-1].disposition is Disposition.ANSWERED and call[-1].answered_by == "PJSIP/1001"
    assert not of_type(events, CallEnded)[:-1], "nothing else ended"


def test_an_unknown_ringing_call_in_the_channel_list_pops_every_ringing_phone() -> None:
    tracker = CallTracker()
    out = tracker.resync_channels(ringing_channels(), T0)
    assert names(out) == ["CallOffered", "CallQueued"] + ["AgentRinging"] * 3
    pops = of_type(out, AgentRinging)
    assert {(p.interface, p.queue, p.caller_num) for p in pops} == {
        (f"PJSIP/{n}", "support", "+8613800138000") for n in ("1001", "1002", "1003")}  # fmt: skip


def test_a_queue_join_sent_after_the_channel_list_is_not_queued_twice() -> None:
    tracker = CallTracker()
    tracker.resync(items(WAITING_CHANNELS), items(WAITING_STATUS), T0)
    join = {"Event": "QueueCallerJoin", "Channel": "PJSIP/carrier-0000001d", "Uniqueid": STATUS_CALL,
            "Linkedid": STATUS_CALL, "Queue": "support", "Position": "1", "Count": "1"}
    assert tracker.feed(join, T0 + 0.01) == []


def test_an_unknown_waiting_call_in_the_list_is_offered_and_queued() -> None:
    tracker = CallTracker()
    status_at, now = T0 + 98, T0 + 100  # QueueStatus completed two seconds before CoreShowChannels
    states = tracker.resync_queues(items(WAITING_STATUS), status_at)
    assert [(s.interface, s.paused, s.paused_reason) for s in of_type(states, AgentStateChanged)] == [
        ("PJSIP/1001", True, "Meeting"), ("PJSIP/1002", True, "Meeting"), ("PJSIP/1003", True, "Meeting")]  # fmt: skip
    out = tracker.resync_channels(items(WAITING_CHANNELS), now)
    assert names(out) == ["CallOffered", "CallQueued"]
    offered, queued = out
    # CoreShowChannel Duration 00:00:01: the call started a second ago
    assert offered == CallOffered(STATUS_CALL, now - 1, Direction.INBOUND, "+8613800138000",
                                  "Zhang San", "4008001234", "PJSIP/carrier-0000001d", "")  # fmt: skip
    assert queued == CallQueued(STATUS_CALL, now, "support", 1, "+8613800138000", "Zhang San")
    [snapshot] = tracker.active_calls()
    assert (snapshot.call_id, snapshot.state, snapshot.queue) == (STATUS_CALL, "queued", "support")
    # QueueEntry Wait 1 was two seconds old: the caller had waited 3 s, and 1 s more when it vanished
    ended = one_of(tracker.resync_channels([], now + 1) + tracker.settle(now + 1.1), CallEnded)
    assert ended.wait_seconds == 4 and ended.disposition is Disposition.ABANDONED


def test_an_unknown_connected_call_is_answered_and_then_ends_from_live_events() -> None:
    tracker = CallTracker()
    out = tracker.resync(items(CONNECTED_CHANNELS), items(CONNECTED_STATUS), T0)
    assert names(out) == ["AgentStateChanged"] * 3 + ["CallOffered", "CallAnswered"]
    answered = out[-1]
    assert (answered.interface, answered.member_name, answered.queue) == ("PJSIP/1001", "Agent 1001", "support")
    assert (answered.caller_num, answered.caller_name) == ("+8613800138000", "Zhang San")
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


def test_queue_hints_are_used_once_and_not_when_stale() -> None:
    tracker = CallTracker()
    tracker.resync_queues(items(WAITING_STATUS), T0)
    out = tracker.resync_channels(items(WAITING_CHANNELS), T0 + 3600)  # an hour later: not that queue's picture
    assert one_of(out, CallQueued).position == 0


def test_phones_gone_from_the_list_because_another_answered_end_answered_elsewhere() -> None:
    """The three phones ring; the link drops; 1001 answers and Asterisk cancels the others (cause 26).
    The list after the reconnect shows the customer bridged with 1001 only."""
    msgs, _ = messages("sip_inbound_answered.ami")
    third_pop = [i for i, m in enumerate(msgs) if m.get("Event") == "AgentCalled"][-1]
    tracker = CallTracker()
    feed_all(tracker, msgs[: third_pop + 1])
    out = tracker.resync_channels(sip_inbound_answered_connected_channels(), T0 + 30)
    assert names(out) == ["CallAnswered", "AgentRingEnded", "AgentRingEnded"]
    assert one_of(out, CallAnswered).interface == "PJSIP/1001"
    assert {(e.interface, e.outcome) for e in of_type(out, AgentRingEnded)} == {
        ("PJSIP/1002", RingOutcome.ANSWERED_ELSEWHERE), ("PJSIP/1003", RingOutcome.ANSWERED_ELSEWHERE)}  # fmt: skip
