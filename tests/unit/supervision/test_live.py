"""The floor's reducer from event sequences: agents' states and how long they have held them, calls
waiting and the longest wait, a pause made on the phone, a resync after a reconnect, logging out."""

from __future__ import annotations

from cti.events import (AgentRingEnded, AgentRinging, AgentStateChanged, CallAnswered, CallEnded, CallQueued,
                        Direction, Disposition, RingOutcome)
from cti.supervision.live import CALLS, WRAP_UP_REASON, Floor


def member(at, interface="PJSIP/1001", *, queue="support", status=1, paused=False, reason="", in_call=False,
           removed=False):
    return AgentStateChanged(at, queue, interface, {"PJSIP/1001": "王芳", "PJSIP/1002": "李娜"}.get(interface, ""),
                             status, paused, reason, in_call, "dynamic", removed)


def ended(call_id, at, disposition=Disposition.ANSWERED):
    return CallEnded(call_id, at, disposition, Direction.INBOUND, "+8613800138000", "张三", "4008001234", "support",
                     offered_at=at - 60, answered_at=None, wait_seconds=0, talk_seconds=0, answered_by="",
                     last_agent="", agents=(), hangup_cause=16)


def states(floor):
    return {i: (a.state, a.since) for i, a in floor.agents.items()}


def test_a_queued_call_rings_an_agent_is_answered_and_ends():
    floor = Floor()
    floor.apply(member(0, "PJSIP/1001"))
    floor.apply(member(0, "PJSIP/1002"))
    assert floor.apply(CallQueued("c1", 10, "support", 1, "+8613800138000", "张三")) == {"queue:support", CALLS}
    floor.apply(CallQueued("c2", 12, "support", 2, "+8613900139000", "李四"))
    assert (floor.waiting("support"), floor.longest_wait("support", now=40)) == (2, 30)
    assert floor.apply(AgentRinging("c1", 14, "PJSIP/1001", "王芳", "PJSIP/1001-01", "support", "+86138", "张三")) == {
        "agent:PJSIP/1001"}
    assert states(floor)["PJSIP/1001"] == ("ringing", 14)
    assert floor.apply(CallAnswered("c1", 18, "PJSIP/1001", "王芳", "support", 8, 4)) == {"queue:support",
                                                                                          "agent:PJSIP/1001", CALLS}
    c1 = floor.calls["c1"]
    assert (c1.caller_num, c1.since, c1.answered_at, c1.agent, c1.wait) == ("+8613800138000", 10, 18, "PJSIP/1001", 8)
    assert (floor.waiting("support"), floor.longest_wait("support", now=40)) == (1, 28)  # c2 still waits
    assert states(floor) == {"PJSIP/1001": ("on_call", 18), "PJSIP/1002": ("available", 0)}
    floor.apply(ended("c2", 30, Disposition.ABANDONED))  # c2 gives up
    assert floor.waiting("support") == 0 and floor.longest_wait("support", now=40) is None
    assert floor.apply(ended("c1", 200)) == {"agent:PJSIP/1001", CALLS}
    assert floor.calls == {}
    assert states(floor)["PJSIP/1001"] == ("available", 200)


def test_a_phone_that_rang_unanswered_goes_back_to_available():
    floor = Floor()
    floor.apply(member(0))
    floor.apply(AgentRinging("c1", 5, "PJSIP/1001", "王芳", "PJSIP/1001-01", "support", "+86138", "张三"))
    floor.apply(AgentRingEnded("other", 9, "PJSIP/1001", RingOutcome.NO_ANSWER, 4))  # not the call ringing it
    assert states(floor)["PJSIP/1001"] == ("ringing", 5)
    floor.apply(AgentRingEnded("c1", 20, "PJSIP/1001", RingOutcome.NO_ANSWER, 15))
    assert states(floor)["PJSIP/1001"] == ("available", 20)


def test_a_pause_made_on_the_phone_shows_with_its_reason_and_the_time_it_began():
    floor = Floor()
    floor.apply(member(0))
    floor.apply(member(100, paused=True, reason="午餐"))
    agent = floor.agents["PJSIP/1001"]
    assert (agent.state, agent.reason, agent.since) == ("paused", "午餐", 100)
    floor.apply(member(130, paused=True, reason="午餐"))  # the same state again: the time in state goes on
    assert agent.since == 100
    floor.apply(member(160, paused=True, reason=WRAP_UP_REASON))
    assert (agent.state, agent.since) == ("wrap_up", 160)
    floor.apply(member(190))
    assert (agent.state, agent.reason, agent.since) == ("available", "", 190)


def test_a_paused_agent_on_a_call_is_on_a_call_until_it_ends_then_paused():
    floor = Floor()
    floor.apply(member(0))
    floor.apply(CallAnswered("c1", 10, "PJSIP/1001", "王芳", "support", 3, 2))
    floor.apply(member(20, paused=True, reason="培训", status=2, in_call=True))
    assert states(floor)["PJSIP/1001"] == ("on_call", 10)
    floor.apply(ended("c1", 60))
    floor.apply(member(60, paused=True, reason="培训", status=1))
    assert states(floor)["PJSIP/1001"] == ("paused", 60)


def test_after_a_reconnect_the_queue_status_list_rebuilds_agents_in_calls_the_tracker_did_not_see_begin():
    floor = Floor()
    floor.apply(member(500, "PJSIP/1001", status=2, in_call=True))  # QueueStatus: in a call
    floor.apply(member(500, "PJSIP/1002", status=5))  # the phone is not registered
    assert states(floor) == {"PJSIP/1001": ("on_call", 500), "PJSIP/1002": ("unavailable", 500)}
    floor.apply(member(530, "PJSIP/1001", status=1, in_call=False))  # that call ended
    assert states(floor)["PJSIP/1001"] == ("available", 530)


def test_an_agent_in_two_queues_logs_out_of_one_then_the_other():
    floor = Floor()
    floor.apply(member(0, queue="support"))
    floor.apply(member(0, queue="sales"))
    assert floor.agents["PJSIP/1001"].queues == {"support", "sales"}
    assert [a.interface for a in floor.in_queue("sales")] == ["PJSIP/1001"]
    assert floor.apply(member(10, queue="sales", removed=True)) == {"agent:PJSIP/1001", "queue:sales"}
    assert floor.in_queue("sales") == [] and floor.agents["PJSIP/1001"].queues == {"support"}
    floor.apply(member(20, queue="support", removed=True))
    assert floor.agents == {}
    assert floor.apply(member(30, queue="support", removed=True)) == set()  # again: nothing to change


def test_events_for_someone_not_in_a_queue_change_nothing():
    floor = Floor()
    assert floor.apply(AgentRinging("c1", 5, "PJSIP/2001", "", "PJSIP/2001-01", "", "+86138", "")) == set()
    assert floor.apply(CallAnswered("c1", 6, "PJSIP/2001", "", "", 0, 1)) == set()
    assert floor.agents == {}


def test_after_call_work_is_measured_from_the_pause_to_its_end_and_counts_for_the_queue_of_the_last_call():
    floor = Floor()
    floor.apply(member(0))
    floor.apply(CallAnswered("c1", 10, "PJSIP/1001", "王芳", "support", 3, 2))
    floor.apply(ended("c1", 100))
    floor.apply(member(101, paused=True, reason=WRAP_UP_REASON))
    assert states(floor)["PJSIP/1001"] == ("wrap_up", 101) and floor.wraps == []
    floor.apply(member(131))  # unpaused 30 s later
    assert floor.wraps == [("PJSIP/1001", "support", 30.0)]
    floor.wraps.clear()
    floor.apply(member(200, paused=True, reason="lunch"))
    floor.apply(member(260))
    assert floor.wraps == []  # a lunch is not after-call work


def test_after_call_work_after_a_call_outside_any_queue_is_not_a_queues():
    floor = Floor()
    floor.apply(member(0))
    floor.apply(CallAnswered("q1", 10, "PJSIP/1001", "王芳", "support", 3, 2))
    floor.apply(ended("q1", 50))
    floor.apply(CallAnswered("d1", 60, "PJSIP/1001", "王芳", "", 0, 1))  # the agent's own call, no queue
    floor.apply(ended("d1", 100))
    floor.apply(member(101, paused=True, reason=WRAP_UP_REASON))
    floor.apply(member(131))
    assert floor.wraps == []  # not added to support's handling time
