"""Replay every recorded trace (random-sized reads) through AmiFramer → CallTracker.

The expected values below were written by reading the traces (and the traces'
README), not computed by the tracker.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest

from cti.events import (
    AgentRingEnded,
    AgentRinging,
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallerIdentified,
    CallOffered,
    CallQueued,
    CallTransferred,
    Direction,
    Disposition,
    OriginateFailed,
    RingOutcome,
    SurveyKeyed,
)

from cti.ami.tracker import CallTracker

from .replay import T0, TICK, TRACES, by_call, messages, names, of_type, replay

ANSWERED_ELSEWHERE = RingOutcome.ANSWERED_ELSEWHERE
ZHANG_SAN = ("+8613800138000", "Zhang San")
RINGALL_ANSWERED = [
    "CallOffered",
    "CallQueued",
    "AgentRinging",
    "AgentRinging",
    "AgentRinging",
    "CallAnswered",
    "AgentRingEnded",
    "AgentRingEnded",
    "CallEnded",
]


def local(n: int) -> str:
    return f"Local/{n}@agents"


def sip(n: int) -> str:
    return f"PJSIP/{n}"


def number(interface: str) -> str:
    """PJSIP/1001 or Local/1001@agents → 1001 (the queue MemberName is "Agent 1001")."""
    return "".join(c for c in interface if c.isdigit())


def call_events(name: str, call_id: str) -> list:
    events, _, _ = replay(name, seed=7)
    return by_call(events)[call_id]


def one(events: list, kind: type):
    found = of_type(events, kind)
    assert len(found) == 1, names(events)
    return found[0]


# -- every file -------------------------------------------------------------------------------


def test_all_21_recorded_traces_are_replayed() -> None:
    assert len(TRACES) == 21
    assert sum(name.startswith("sip_") for name in TRACES) == 9


@pytest.mark.parametrize("name", TRACES)
def test_every_trace_replays_completely_and_leaves_nothing_in_memory(name: str) -> None:
    events, tracker, framer = replay(name, seed=1)
    assert framer.malformed == 0
    assert tracker.ignored == 0
    assert len(tracker) == 0 and tracker.legs_held == 0
    for call_id, evs in by_call(events).items():
        kinds = Counter(names(evs))
        if kinds["CallOffered"]:
            assert kinds["CallOffered"] == 1 and kinds["CallEnded"] == 1, (call_id, kinds)
            assert names(evs)[0] == "CallOffered" and names(evs)[-1] == "CallEnded"
        # every pop is closed: answered or ended
        assert kinds["AgentRinging"] == kinds["CallAnswered"] + kinds["AgentRingEnded"], kinds


@pytest.mark.parametrize("name", TRACES)
def test_the_read_sizes_do_not_change_the_domain_events(name: str) -> None:
    first, _, _ = replay(name, seed=1)
    for seed in (2, 3):
        assert replay(name, seed=seed)[0] == first


@pytest.mark.parametrize("name", ["sip_status_actions.ami", "status_actions.ami"])
def test_status_traces_replay_with_each_list_applied_where_it_completed(name: str) -> None:
    """As the bridge does after a login: the QueueStatus and CoreShowChannels answers recorded in the
    trace are applied at their ...Complete events, between the live events around them."""
    msgs, _ = messages(name)
    tracker, events, lists = CallTracker(), [], defaultdict(list)
    for i, msg in enumerate(msgs):
        now = T0 + i * TICK
        event = msg.get("Event", "")
        if event in ("QueueParams", "QueueMember", "QueueEntry", "CoreShowChannel"):
            lists[msg["ActionID"]].append(msg)
        elif event == "QueueStatusComplete":
            events += tracker.resync_queues(lists.pop(msg["ActionID"], []), now)
        elif event == "CoreShowChannelsComplete":
            events += tracker.resync_channels(lists.pop(msg["ActionID"], []), now)
        else:
            events += tracker.feed(msg, now)
    events += tracker.expire(T0 + len(msgs) * TICK + 10)
    assert tracker.ignored == 0 and len(tracker) == 0 and tracker.legs_held == 0
    calls = {call_id: Counter(names(evs)) for call_id, evs in by_call(events).items()}
    assert calls and all(k["CallOffered"] == 1 and k["CallEnded"] == 1 for k in calls.values()), calls
    assert of_type(events, AgentStateChanged)


def test_non_state_events_are_dropped_before_any_work() -> None:
    _, tracker, _ = replay("sip_inbound_transferred.ami")
    assert tracker.ignored == 0
    rtcp = {"Event": "RTCPSent", "Linkedid": "x", "Uniqueid": "y"}
    assert tracker.feed(rtcp, 0.0) == [] and tracker.ignored == 0


# -- answered through the queue (ring-all) ----------------------------------------------------


@dataclass(frozen=True)
class Answered:
    file: str
    call_id: str
    direction: Direction
    caller: tuple[str, str]
    dnis: str
    rung: tuple[str, ...]  # in AgentCalled order
    by: str
    wait: int
    talk: int
    action_id: str


ANSWERED_CALLS = [
    Answered("inbound_answered.ami", "1795787927.0", Direction.INBOUND, ZHANG_SAN, "4008001234",
             (local(1003), local(1002), local(1001)), local(1001), 2, 4, "inbound_answered-02"),
    Answered("sip_inbound_answered.ami", "1795790312.0", Direction.INBOUND, ZHANG_SAN, "4008001234",
             (sip(1003), sip(1002), sip(1001)), sip(1001), 2, 3, ""),
    Answered("callback_answered.ami", "1795787998.40", Direction.OUTBOUND, ZHANG_SAN, "",
             (local(1003), local(1002), local(1001)), local(1001), 2, 3, "callback-T20260001"),
    Answered("sip_callback_answered.ami", "1795790383.17", Direction.OUTBOUND, ZHANG_SAN, "",
             (sip(1003), sip(1002), sip(1001)), sip(1001), 2, 3, "callback-T20260001"),
    Answered("inbound_anonymous.ami", "1795787978.24", Direction.INBOUND, ("<unknown>", "<unknown>"),
             "4008001234", (local(1003), local(1002), local(1001)), local(1001), 2, 3,
             "inbound_anonymous-02"),
    Answered("inbound_anonymous.ami", "1795787986.32", Direction.INBOUND, ("anonymous", "Anonymous"),
             "4008001234", (local(1003), local(1002), local(1001)), local(1001), 2, 4,
             "inbound_anonymous-03"),
    Answered("status_actions.ami", "1795788081.72", Direction.INBOUND, ZHANG_SAN, "4008001234",
             (local(1001),), local(1001), 5, 6, "status_actions-09"),
    Answered("sip_status_actions.ami", "1795790444.29", Direction.INBOUND, ZHANG_SAN, "4008001234",
             (sip(1001),), sip(1001), 4, 6, ""),
]  # fmt: skip


@pytest.mark.parametrize("case", ANSWERED_CALLS, ids=lambda c: f"{c.file}:{c.call_id}")
def test_queue_call_answered_by_1001_summary(case: Answered) -> None:
    evs = call_events(case.file, case.call_id)
    ended = one(evs, CallEnded)
    assert ended.disposition is Disposition.ANSWERED
    assert ended.direction is case.direction
    assert (ended.caller_num, ended.caller_name) == case.caller
    assert ended.dnis == case.dnis
    assert ended.queue == "support"
    assert (ended.wait_seconds, ended.talk_seconds) == (case.wait, case.talk)
    assert ended.answered_by == ended.last_agent == case.by
    assert ended.hangup_cause == 16
    assert ended.action_id == case.action_id
    assert ended.answered_at is not None and ended.answered_at > ended.offered_at
    rung = of_type(evs, AgentRinging)
    assert tuple(r.interface for r in rung) == case.rung
    assert {(r.caller_num, r.caller_name) for r in rung} == {case.caller}  # the customer, always
    assert {r.queue for r in rung} == {"support"}
    assert [r.member_name for r in rung] == [f"Agent {number(i)}" for i in case.rung]
    answered = one(evs, CallAnswered)
    assert (answered.interface, answered.queue, answered.wait_seconds, answered.ring_seconds) == (
        case.by, "support", case.wait, 2)
    outcomes = {leg.interface: leg.outcome for leg in ended.agents}
    assert outcomes == {i: (RingOutcome.ANSWERED if i == case.by else ANSWERED_ELSEWHERE)
                        for i in case.rung}  # fmt: skip


def test_ringall_answer_by_1001_cancels_the_other_two_pops() -> None:
    evs = call_events("sip_inbound_answered.ami", "1795790312.0")
    assert names(evs) == RINGALL_ANSWERED
    ends = of_type(evs, AgentRingEnded)
    assert [(e.interface, e.outcome) for e in ends] == [
        (sip(1003), ANSWERED_ELSEWHERE), (sip(1002), ANSWERED_ELSEWHERE)]  # fmt: skip
    # Asterisk hangs up 1002 (Cause 26) before AgentConnect: still reported after CallAnswered
    assert evs.index(one(evs, CallAnswered)) < evs.index(ends[0])


def test_sip_pop_carries_the_customer_not_the_phones_own_caller_id() -> None:
    """AgentCalled.DestCallerIDNum is 1001/1002/1003 (the phone's own caller ID) in the SIP trace."""
    for pop in of_type(call_events("sip_inbound_answered.ami", "1795790312.0"), AgentRinging):
        assert (pop.caller_num, pop.caller_name) == ZHANG_SAN
        assert pop.agent_channel.startswith(pop.interface + "-")


def test_local_pop_carries_the_customer_not_the_dnis() -> None:
    """AgentCalled.DestCallerIDNum is the DNIS 4008001234 with Local agent channels."""
    pops = of_type(call_events("inbound_answered.ami", "1795787927.0"), AgentRinging)
    assert [(p.caller_num, p.agent_channel) for p in pops] == [
        ("+8613800138000", "Local/1003@agents-00000001;1"),
        ("+8613800138000", "Local/1002@agents-00000002;1"),
        ("+8613800138000", "Local/1001@agents-00000003;1"),
    ]


def test_sip_inbound_is_offered_at_the_trunk_newchannel_with_caller_and_dnis() -> None:
    offered = call_events("sip_inbound_answered.ami", "1795790312.0")[0]
    assert offered == CallOffered("1795790312.0", offered.at, Direction.INBOUND, "+8613800138000",
                                  "Zhang San", "4008001234", "PJSIP/carrier-00000000", "")  # fmt: skip


def test_local_simulated_inbound_takes_the_caller_from_newcallerid() -> None:
    """Local/s@customer-sim;1 is created with <unknown>; NewCallerid gives Zhang San before DialBegin."""
    evs = call_events("inbound_answered.ami", "1795787927.0")
    offered = evs[0]
    assert isinstance(offered, CallOffered)
    assert offered.direction is Direction.INBOUND
    assert (offered.caller_num, offered.caller_name) == ZHANG_SAN
    assert offered.channel == "Local/s@customer-sim-00000000;1"
    assert offered.dnis == ""  # the leg only enters from-pstn/4008001234 after it is answered
    assert one(evs, CallEnded).dnis == "4008001234"
    assert names(evs) == RINGALL_ANSWERED


def test_anonymous_callers_are_passed_raw() -> None:
    events, _, _ = replay("inbound_anonymous.ami")
    offers = of_type(events, CallOffered)
    assert [(o.caller_num, o.caller_name) for o in offers] == [
        ("<unknown>", "<unknown>"), ("anonymous", "Anonymous")]  # fmt: skip
    pops = of_type(events, AgentRinging)
    assert [p.caller_num for p in pops] == ["<unknown>"] * 3 + ["anonymous"] * 3


# -- callbacks (outbound) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "call_id", "channel"),
    [
        ("sip_callback_answered.ami", "1795790383.17", "PJSIP/carrier-00000011"),
        ("callback_answered.ami", "1795787998.40", "Local/+8613800138000@customer-sim-00000014;1"),
    ],
)
def test_callback_is_outbound_to_the_dialled_number_then_identified(
    file: str, call_id: str, channel: str
) -> None:
    """The leg shows our own caller ID (4008001234 "Customer Care") until the callback
    context sets the customer's: only that change is a CallerIdentified."""
    evs = call_events(file, call_id)
    assert names(evs) == [*RINGALL_ANSWERED[:1], "CallerIdentified", *RINGALL_ANSWERED[1:]]
    offered = evs[0]
    assert offered == CallOffered(call_id, offered.at, Direction.OUTBOUND, "+8613800138000", "", "",
                                  channel, "")  # fmt: skip
    identified = one(evs, CallerIdentified)
    assert (identified.caller_num, identified.caller_name) == ZHANG_SAN
    assert one(evs, CallQueued).caller_name == "Zhang San"
    assert {(p.caller_num, p.caller_name) for p in of_type(evs, AgentRinging)} == {ZHANG_SAN}
    assert one(evs, CallEnded).action_id == "callback-T20260001"  # OriginateResponse came later


# -- abandoned, missed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "call_id", "caller", "wait"),
    [
        ("inbound_abandoned.ami", "1795787939.8", ("+8613912345678", "Li Si"), 5),
        ("sip_inbound_abandoned.ami", "1795790323.4", ("+8613912345678", "Li Si"), 5),
        ("member_actions.ami", "1795788099.76", ("+8613312345678", "Zhao Liu"), 2),
    ],
)
def test_caller_hanging_up_in_a_paused_queue_is_abandoned(
    file: str, call_id: str, caller: tuple[str, str], wait: int
) -> None:
    evs = call_events(file, call_id)
    assert names(evs) == ["CallOffered", "CallQueued", "CallEnded"]
    ended = evs[-1]
    assert ended.disposition is Disposition.ABANDONED
    assert (ended.caller_num, ended.caller_name) == caller
    assert (ended.wait_seconds, ended.talk_seconds, ended.agents) == (wait, 0, ())
    assert (ended.answered_by, ended.answered_at, ended.hangup_cause) == ("", None, 16)


@pytest.mark.parametrize(
    ("file", "call_id", "tech"),
    [("inbound_ring_noanswer.ami", "1795787951.10", local),
     ("sip_inbound_ring_noanswer.ami", "1795790333.5", sip)],
)  # fmt: skip
def test_nobody_answers_two_rounds_then_the_caller_leaves_missed(file: str, call_id: str, tech) -> None:
    evs = call_events(file, call_id)
    rung = [tech(1003), tech(1002), tech(1001)]
    assert names(evs) == (["CallOffered", "CallQueued"] + ["AgentRinging"] * 3 + ["AgentRingEnded"] * 3
                          + ["AgentRinging"] * 3 + ["AgentRingEnded"] * 3 + ["CallEnded"])  # fmt: skip
    ends = of_type(evs, AgentRingEnded)
    assert [(e.interface, e.outcome, e.ring_seconds) for e in ends[:3]] == [
        (i, RingOutcome.NO_ANSWER, 15.0) for i in rung]  # RingTime 15000 ms  # fmt: skip
    assert [(e.interface, e.outcome) for e in ends[3:]] == [(i, RingOutcome.CALLER_LEFT) for i in rung]
    ended = evs[-1]
    assert ended.disposition is Disposition.MISSED
    assert (ended.caller_num, ended.caller_name) == ("+8618612345678", "Wang Wu")
    assert (ended.wait_seconds, ended.talk_seconds, ended.hangup_cause) == (20, 0, 16)
    assert [(a.interface, a.outcome) for a in ended.agents] == (
        [(i, RingOutcome.NO_ANSWER) for i in rung] + [(i, RingOutcome.CALLER_LEFT) for i in rung])
    assert ended.answered_by == "" and ended.answered_at is None


# -- transfers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "call_id", "tech", "target_channel"),
    [("inbound_transferred.ami", "1795788056.62", local, "Local/1002@agents-00000023;1"),
     ("sip_inbound_transferred.ami", "1795790359.12", sip, "PJSIP/1002-00000010")],
)  # fmt: skip
def test_blind_transfer_pops_1002_with_the_same_customer(
    file: str, call_id: str, tech, target_channel: str
) -> None:
    evs = call_events(file, call_id)
    assert names(evs) == [*RINGALL_ANSWERED[:-1], "CallTransferred", "AgentRinging", "CallAnswered",
                          "CallEnded"]  # fmt: skip
    transferred = one(evs, CallTransferred)
    assert (transferred.from_interface, transferred.target, transferred.kind) == (
        tech(1001), "transfer,1002", "blind")
    pop = of_type(evs, AgentRinging)[-1]
    assert (pop.interface, pop.agent_channel, pop.queue) == (tech(1002), target_channel, "")
    assert (pop.caller_num, pop.caller_name) == ZHANG_SAN
    direct = of_type(evs, CallAnswered)[-1]
    assert (direct.interface, direct.queue, direct.wait_seconds) == (tech(1002), "", 0)
    ended = evs[-1]
    assert ended.disposition is Disposition.TRANSFERRED
    assert (ended.answered_by, ended.last_agent) == (tech(1001), tech(1002))
    # AgentComplete TalkTime 2 (Reason transfer); the direct leg to 1002 has no AgentComplete:
    # its talk time comes from the clock, here a few 10 ms ticks, so 0 s.
    assert (ended.wait_seconds, ended.talk_seconds, ended.hangup_cause) == (2, 2, 16)
    assert [(a.interface, a.outcome) for a in ended.agents] == [
        (tech(1003), ANSWERED_ELSEWHERE), (tech(1002), ANSWERED_ELSEWHERE),
        (tech(1001), RingOutcome.ANSWERED), (tech(1002), RingOutcome.ANSWERED)]  # fmt: skip


# -- originate failures ----------------------------------------------------------------------


SIP_FAILURES = {
    # ActionID: (requested dial string, real cause, OriginateResponse Reason)
    "orig-fail-busy": ("PJSIP/+8613700000001@carrier", 17, 0),
    "orig-fail-congested": ("PJSIP/+8613700000002@carrier", 34, 0),
    "orig-fail-noanswer": ("PJSIP/+8613700000003@carrier", 19, 3),
    "orig-fail-rejected": ("PJSIP/+8613700000004@carrier", 21, 0),
    "orig-fail-unallocated": ("PJSIP/+8613700000005@carrier", 1, 0),  # response after the Hangup
    "orig-fail-bogus-endpoint": ("PJSIP/+8613800138000@no-such-trunk", 0, 0),  # no channel at all
    "orig-fail-sync-busy": ("", 0, 0),  # Response: Error, cannot be tied to its channel
}
LOCAL_FAILURES = {
    # the Local ;1 leg hangs up with Cause 0: the cause is its ;2 half's
    "orig-fail-busy": ("Local/busy@customer-sim", 17, 5),
    "orig-fail-congested": ("Local/congested@customer-sim", 34, 8),
    "orig-fail-noanswer": ("Local/noanswer@customer-sim", 19, 3),
    "orig-fail-bogus-exten": ("Local/99999@no-such-context", 0, 0),
    "orig-fail-sync-busy": ("", 0, 0),
}


@pytest.mark.parametrize(
    ("file", "expected"),
    [("sip_originate_failed.ami", SIP_FAILURES), ("originate_failed.ami", LOCAL_FAILURES)],
)
def test_each_failed_originate_reports_the_real_hangup_cause_once(
    file: str, expected: dict[str, tuple[str, int, int]]
) -> None:
    events, _, _ = replay(file)
    failed = of_type(events, OriginateFailed)
    assert {f.action_id: (f.dial_string, f.cause, f.reason) for f in failed} == expected
    assert len(failed) == len(expected)  # exactly one per ActionID
    texts = {f.action_id: f.cause_text for f in failed}
    assert texts["orig-fail-busy"] == "User busy"
    assert texts["orig-fail-congested"] == "Circuit/channel congestion"


@pytest.mark.parametrize(
    ("file", "numbers"),
    [("sip_originate_failed.ami",
      ["+8613700000001", "+8613700000002", "+8613700000003", "+8613700000004", "+8613700000005",
       "+8613700000001"]),
     ("originate_failed.ami", ["busy", "congested", "noanswer", "busy"])],
)  # fmt: skip
def test_failed_originates_are_outbound_calls_that_fail(file: str, numbers: list[str]) -> None:
    events, _, _ = replay(file)
    ended = of_type(events, CallEnded)
    assert [e.caller_num for e in ended] == numbers
    assert {(e.direction, e.disposition, e.answered_at) for e in ended} == {
        (Direction.OUTBOUND, Disposition.FAILED, None)}  # fmt: skip
    assert [o.direction for o in of_type(events, CallOffered)] == [Direction.OUTBOUND] * len(numbers)


def test_a_success_reason_4_ends_nothing() -> None:
    evs = call_events("sip_callback_answered.ami", "1795790383.17")
    assert not of_type(evs, OriginateFailed)
    assert one(evs, CallEnded).disposition is Disposition.ANSWERED


# -- surveys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "call_id", "number", "rating", "action_id"),
    [
        ("sip_survey_rated.ami", "1795790416.27", "+8613800138000", 4, "survey-csat-2026-08-0001"),
        ("survey_rated.ami", "1795788028.58", "+8613800138000", 4, "survey-csat-2026-08-0001"),
        ("sip_survey_no_input.ami", "1795790426.28", "+8613912345678", None, "survey-csat-2026-08-0002"),
        ("survey_no_input.ami", "1795788038.60", "+8613912345678", None, "survey-csat-2026-08-0002"),
    ],
)
def test_survey_rating_is_keyed_once(
    file: str, call_id: str, number: str, rating: int | None, action_id: str
) -> None:
    evs = call_events(file, call_id)
    assert names(evs) == ["CallOffered", "SurveyKeyed", "CallEnded"]
    # the recorded [survey] context reports no Attempt: the call's Originate (its response came first) names it
    key = str(rating) if rating else ""
    assert evs[1] == SurveyKeyed(call_id, evs[1].at, "csat-2026-08", number, rating, action_id, key)
    ended = evs[2]
    assert (ended.direction, ended.caller_num, ended.action_id) == (Direction.OUTBOUND, number, action_id)
    # the customer picked up; no agent, no queue
    assert ended.disposition is Disposition.ANSWERED and ended.answered_by == ""
    assert ended.answered_at is not None and ended.hangup_cause == 16


# -- agent states -------------------------------------------------------------------------------


def states(file: str) -> list[tuple]:
    events, _, _ = replay(file)
    return [(e.interface, e.status, e.paused, e.paused_reason, e.membership, e.removed)
            for e in of_type(events, AgentStateChanged)]  # fmt: skip


@pytest.mark.parametrize(("file", "tech"), [("sip_inbound_abandoned.ami", sip),
                                            ("inbound_abandoned.ami", local)])  # fmt: skip
def test_lunch_pause_and_unpause_of_the_three_agents(file: str, tech) -> None:
    agents = [tech(1001), tech(1002), tech(1003)]
    assert states(file) == ([(a, 1, True, "Lunch", "static", False) for a in agents]
                            + [(a, 1, False, "", "static", False) for a in agents])  # fmt: skip


def test_meeting_pause_then_1001_takes_a_call() -> None:
    assert states("sip_status_actions.ami") == [
        (sip(1001), 1, True, "Meeting", "static", False),
        (sip(1002), 1, True, "Meeting", "static", False),
        (sip(1003), 1, True, "Meeting", "static", False),
        (sip(1001), 1, False, "", "static", False),
        (sip(1001), 6, False, "", "static", False),  # ringing
        (sip(1001), 2, False, "", "static", False),  # in use
        (sip(1001), 1, False, "", "static", False),
        (sip(1002), 1, False, "", "static", False),
        (sip(1003), 1, False, "", "static", False),
    ]


def test_dynamic_member_added_paused_for_training_then_removed() -> None:
    assert states("member_actions.ami")[:3] == [
        (local(1004), 1, False, "", "dynamic", False),
        (local(1004), 1, True, "Training", "dynamic", False),
        (local(1004), 1, True, "Training", "dynamic", True),
    ]
