"""Hostile input, bounded memory, event orders the traces do not show, and the small helpers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti.ami.channels import canonical_interface, device_of, dial_target, is_unknown, local_pair
from cti.events import (
    AgentRinging,
    CallAnswered,
    CallEnded,
    CallerIdentified,
    CallOffered,
    Direction,
    Disposition,
    OriginateFailed,
    RingOutcome,
)
from cti.ami.tracker import CallTracker, TrackerError
from cti.ami.tracker_queue import survey_rating

from .replay import T0, feed_all, messages, names, of_type

DOMAIN_EVENTS = (CallOffered, CallEnded, CallAnswered, AgentRinging, OriginateFailed)


# -- synthetic messages ---------------------------------------------------------------------


def newchannel(uid: str, lid: str, channel: str, state: str = "4", num: str = "+8613800138000",
               name: str = "Zhang San", exten: str = "4008001234") -> dict[str, str]:  # fmt: skip
    return {"Event": "Newchannel", "Channel": channel, "ChannelState": state, "CallerIDNum": num,
            "CallerIDName": name, "Exten": exten, "Uniqueid": uid, "Linkedid": lid}  # fmt: skip


def hangup(uid: str, lid: str, channel: str, cause: str = "16") -> dict[str, str]:
    return {"Event": "Hangup", "Channel": channel, "Uniqueid": uid, "Linkedid": lid, "Cause": cause}


def dial_begin(lid: str, dest_uid: str, dest: str, src_uid: str = "", dial: str = "") -> dict[str, str]:
    msg = {"Event": "DialBegin", "DestChannel": dest, "DestUniqueid": dest_uid, "DestLinkedid": lid,
           "DialString": dial, "DestCallerIDNum": "4008001234", "DestCallerIDName": "Customer Care"}  # fmt: skip
    if src_uid:
        msg |= {"Uniqueid": src_uid, "Linkedid": lid, "Channel": "PJSIP/carrier-00000001"}
    return msg


def dial_end(lid: str, dest_uid: str, status: str, src_uid: str = "") -> dict[str, str]:
    msg = {"Event": "DialEnd", "DestUniqueid": dest_uid, "DestLinkedid": lid, "DialStatus": status}
    if src_uid:
        msg |= {"Uniqueid": src_uid, "Linkedid": lid}
    return msg


def feed(tracker: CallTracker, msgs: list[dict[str, str]], times: list[float]) -> list:
    out: list = []
    for msg, now in zip(msgs, times, strict=True):
        out.extend(tracker.feed(msg, now))
    return out


def failed_busy_call(response_at: int) -> list[dict[str, str]]:
    """A SIP Originate to a busy number; the OriginateResponse inserted at ``response_at``."""
    msgs = [
        newchannel("9.1", "9.1", "PJSIP/carrier-00000042", state="0", num="<unknown>", exten="s"),
        dial_begin("9.1", "9.1", "PJSIP/carrier-00000042", dial="+8613700000001@carrier"),
        dial_end("9.1", "9.1", "BUSY"),
        hangup("9.1", "9.1", "PJSIP/carrier-00000042", cause="17"),
    ]
    response = {"Event": "OriginateResponse", "Response": "Failure", "ActionID": "cb-42",
                "Channel": "PJSIP/+8613700000001@carrier", "Uniqueid": "<unknown>", "Reason": "0"}  # fmt: skip
    msgs.insert(response_at, response)
    return msgs


# -- orders the traces do not show ----------------------------------------------------------


@pytest.mark.parametrize("response_at", [2, 3, 4])
def test_originate_response_before_or_after_the_hangup_gives_one_failure_with_the_cause(
    response_at: int,
) -> None:
    tracker = CallTracker()
    msgs = failed_busy_call(response_at)
    msgs.append(dict(msgs[response_at]))  # a duplicate response changes nothing
    out = feed(tracker, msgs, [T0 + i for i in range(len(msgs))])
    [failed] = of_type(out, OriginateFailed)
    assert (failed.action_id, failed.dial_string, failed.cause, failed.reason) == (
        "cb-42", "PJSIP/+8613700000001@carrier", 17, 0)  # fmt: skip
    assert one(out, CallEnded).disposition is Disposition.FAILED
    assert len(tracker) == 0 and tracker.legs_held == 0


def test_an_attempt_id_channel_variable_reaches_the_offer() -> None:
    tracker = CallTracker()
    msgs = [
        newchannel("7.1", "7.1", "PJSIP/carrier-00000070", state="0", num="<unknown>", exten="s"),
        {"Event": "VarSet", "Uniqueid": "7.1", "Linkedid": "7.1", "Variable": "__CTI_ACTION_ID",
         "Value": "callback-T7"},
        dial_begin("7.1", "7.1", "PJSIP/carrier-00000070", dial="+8613800138000@carrier"),
    ]
    [offered] = feed(tracker, msgs, [T0, T0 + 1, T0 + 2])
    assert (offered.direction, offered.caller_num, offered.action_id) == (
        Direction.OUTBOUND, "+8613800138000", "callback-T7")  # fmt: skip


def test_a_local_inbound_caller_id_arriving_after_the_offer_is_identified() -> None:
    tracker = CallTracker()
    leg = "Local/s@customer-sim-00000099;1"
    msgs = [
        newchannel("5.0", "5.0", leg, state="0", num="<unknown>", name="<unknown>", exten="s"),
        dial_begin("5.0", "5.0", leg, dial="s@customer-sim") | {"DestCallerIDNum": "<unknown>",
                                                                "DestCallerIDName": "<unknown>"},
        {"Event": "NewCallerid", "Uniqueid": "5.0", "Linkedid": "5.0", "Channel": leg,
         "CallerIDNum": "+8613912345678", "CallerIDName": "李四"},
    ]  # fmt: skip
    out = feed(tracker, msgs, [T0, T0 + 1, T0 + 2])
    assert names(out) == ["CallOffered", "CallerIdentified"]
    assert (out[0].direction, out[0].caller_num) == (Direction.INBOUND, "<unknown>")
    assert out[1] == CallerIdentified("5.0", T0 + 2, "+8613912345678", "李四")


def test_a_direct_dial_pops_the_customer_and_its_talk_time_comes_from_the_clock() -> None:
    tracker = CallTracker()
    msgs = [
        newchannel("1.0", "1.0", "PJSIP/carrier-00000001"),
        newchannel("1.1", "1.0", "PJSIP/1002-00000002", state="0", num="1002", name="Agent 1002"),
        dial_begin("1.0", "1.1", "PJSIP/1002-00000002", src_uid="1.0", dial="1002"),
        dial_end("1.0", "1.1", "ANSWER", src_uid="1.0"),
        hangup("1.1", "1.0", "PJSIP/1002-00000002"),
        hangup("1.0", "1.0", "PJSIP/carrier-00000001"),
    ]
    out = feed(tracker, msgs, [T0, T0 + 1, T0 + 1, T0 + 4, T0 + 16, T0 + 16])
    assert names(out) == ["CallOffered", "AgentRinging", "CallAnswered", "CallEnded"]
    pop = out[1]
    assert (pop.interface, pop.member_name, pop.queue, pop.caller_num) == (
        "PJSIP/1002", "PJSIP/1002", "", "+8613800138000")  # fmt: skip
    assert (out[2].ring_seconds, out[2].wait_seconds) == (3, 0)
    ended = out[3]
    assert (ended.disposition, ended.talk_seconds, ended.answered_by) == (
        Disposition.ANSWERED, 12, "PJSIP/1002")  # fmt: skip


def test_a_direct_dial_nobody_answers_is_a_no_answer_ring() -> None:
    tracker = CallTracker()
    msgs = [
        newchannel("1.0", "1.0", "PJSIP/carrier-00000001"),
        newchannel("1.1", "1.0", "PJSIP/1002-00000002", state="0"),
        dial_begin("1.0", "1.1", "PJSIP/1002-00000002", src_uid="1.0", dial="1002"),
        dial_end("1.0", "1.1", "NOANSWER", src_uid="1.0"),
    ]
    out = feed(tracker, msgs, [T0, T0, T0, T0 + 20])
    assert (out[-1].interface, out[-1].outcome, out[-1].ring_seconds) == (
        "PJSIP/1002", RingOutcome.NO_ANSWER, 20.0)  # fmt: skip


# -- bounded memory -----------------------------------------------------------------------------


def synthetic_calls(count: int):
    """Calls of four kinds: answered and hung up, left hanging in a queue (leak), a
    forgotten agent leg (leak), a failed Originate whose response never comes."""
    for i in range(count):
        cid, agent = f"{i}.0", f"{i}.1"
        trunk, phone = f"PJSIP/carrier-{i:08x}", f"PJSIP/1001-{i:08x}"
        kind = i % 4
        if kind == 3:
            yield newchannel(cid, cid, trunk, state="0", num="<unknown>", exten="s")
            yield dial_begin(cid, cid, trunk, dial=f"+86137{i:08d}@carrier")
            yield hangup(cid, cid, trunk, cause="17")
            continue
        yield newchannel(cid, cid, trunk)
        yield {"Event": "QueueCallerJoin", "Uniqueid": cid, "Linkedid": cid, "Queue": "support",
               "Position": "1"}  # fmt: skip
        if kind == 1:
            continue
        yield newchannel(agent, cid, phone, state="0", num="1001", name="Agent 1001")
        yield {"Event": "AgentCalled", "Uniqueid": cid, "Linkedid": cid, "DestUniqueid": agent,
               "DestChannel": phone, "Queue": "support", "Interface": "PJSIP/1001",
               "MemberName": "Agent 1001"}  # fmt: skip
        yield {"Event": "AgentConnect", "Uniqueid": cid, "Linkedid": cid, "DestUniqueid": agent,
               "Queue": "support", "Interface": "PJSIP/1001", "HoldTime": "3", "RingTime": "2"}  # fmt: skip
        if kind == 0:
            yield hangup(agent, cid, phone)
        yield hangup(cid, cid, trunk)


def test_memory_stays_bounded_after_100k_calls_and_every_offer_ends() -> None:
    tracker = CallTracker(max_calls=500, stale_after=300)
    offered = ended = 0
    now = T0
    for n, msg in enumerate(synthetic_calls(100_000)):
        now += 0.25
        for event in tracker.feed(msg, now):
            offered += isinstance(event, CallOffered)
            ended += isinstance(event, CallEnded)
        if n % 5000 == 0:
            assert len(tracker) <= 500 and tracker.legs_held <= 1000
            assert len(tracker._unclaimed) <= 1000 and len(tracker._originating) <= 500
    for event in tracker.expire(now + 301):
        ended += isinstance(event, CallEnded)
    assert offered == 100_000
    assert ended == offered
    assert len(tracker) == 0 and tracker.legs_held == 0 and not tracker._originating
    assert tracker.evicted == 50_000  # the two leaking kinds
    assert tracker.ignored == 0


def test_a_stale_call_is_evicted_with_a_call_ended() -> None:
    tracker = CallTracker(stale_after=60)
    assert names(tracker.feed(newchannel("1.0", "1.0", "PJSIP/carrier-00000001"), T0)) == ["CallOffered"]
    assert tracker.feed({"Event": "QueueCallerJoin", "Linkedid": "1.0", "Queue": "q"}, T0 + 59)
    out = tracker.feed(newchannel("2.0", "2.0", "PJSIP/carrier-00000002"), T0 + 59 + 61)
    assert names(out) == ["CallEnded", "CallOffered"]
    assert (out[0].call_id, out[0].hangup_cause, out[0].disposition) == ("1.0", 0, Disposition.ABANDONED)
    assert tracker.evicted == 1 and len(tracker) == 1 and tracker.legs_held == 1


def test_the_max_calls_cap_evicts_the_least_recently_active_call() -> None:
    tracker = CallTracker(max_calls=3)
    for i in range(3):
        tracker.feed(newchannel(f"{i}.0", f"{i}.0", f"PJSIP/carrier-{i:08x}"), T0 + i)
    tracker.feed({"Event": "QueueCallerJoin", "Linkedid": "0.0", "Queue": "q"}, T0 + 3)  # 0.0 active
    out = tracker.feed(newchannel("3.0", "3.0", "PJSIP/carrier-00000003"), T0 + 4)
    assert [(type(e).__name__, e.call_id) for e in out] == [("CallEnded", "1.0"), ("CallOffered", "3.0")]
    assert len(tracker) == 3


# -- hostile input ------------------------------------------------------------------------------

HANDLED = ["Newchannel", "NewCallerid", "Newstate", "HangupRequest", "Hangup", "DialBegin", "DialEnd",
           "BridgeEnter", "BlindTransfer", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
           "AgentCalled", "AgentRingNoAnswer", "AgentConnect", "AgentComplete", "QueueMemberStatus",
           "QueueMemberPause", "QueueMemberAdded", "QueueMemberRemoved", "UserEvent",
           "OriginateResponse", "VarSet"]  # fmt: skip
FIELDS = ["Uniqueid", "Linkedid", "Channel", "ChannelState", "DestUniqueid", "DestChannel", "DialString",
          "DialStatus", "Queue", "Interface", "MemberName", "HoldTime", "RingTime", "TalkTime", "Cause",
          "Position", "Response", "Message", "ActionID", "Reason", "Variable", "Value", "UserEvent",
          "Rating", "Result", "TransfererLinkedid", "TransfereeLinkedid", "Status", "Paused", "Exten",
          "CallerIDNum", "CallerIDName"]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(["1.0", "1.1", "1.2", "2.0", "", "0", "4", "6", "16", "-3", "ANSWER", "CANCEL",
                     "Success", "Failure", "Error", "Originate failed", "SurveyResult", "s",
                     "Local/s@customer-sim-00000001;1", "PJSIP/1001-00000001", "PJSIP/1001",
                     "Local/1001@agents/n", "<unknown>", "abc", "1e9", "\u00e9\u5f20"]),
    st.text(max_size=6),
)  # fmt: skip
HOSTILE = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=10).flatmap(
    lambda d: st.sampled_from([*HANDLED, "RTCPSent", "Bogus", ""]).map(lambda e: {**d, "Event": e})
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(HOSTILE, min_size=1, max_size=40))
def test_random_messages_never_raise_and_never_leak(batch: list[dict[str, str]]) -> None:
    tracker = CallTracker(stale_after=100)
    out = []
    for i, msg in enumerate(batch):
        out.extend(tracker.feed(msg, T0 + i))
    out.extend(tracker.resync(batch, batch, T0 + len(batch)))
    out.extend(tracker.expire(T0 + len(batch) + 101))
    assert len(tracker) == 0 and tracker.legs_held == 0
    offered = {e.call_id for e in out if isinstance(e, CallOffered)}
    assert offered == {e.call_id for e in out if isinstance(e, CallEnded)}


@settings(max_examples=100, deadline=None)
@given(batch=st.lists(st.dictionaries(st.sampled_from(["Event", *FIELDS]),
                                      st.one_of(st.none(), st.integers(), st.lists(st.text()),
                                                st.sampled_from(HANDLED))), max_size=20))  # fmt: skip
def test_values_that_are_not_strings_are_reported_and_the_tracker_goes_on(batch: list[dict]) -> None:
    """The framer only makes strings: anything else is the caller's bug, reported as TrackerError (with
    what happened before it), never swallowed; the tracker goes on with the next message."""
    tracker = CallTracker(stale_after=100)
    failures = 0
    for i, msg in enumerate(batch):
        try:
            tracker.feed(msg, T0 + i)
        except TrackerError as exc:
            failures += 1
            assert exc.__cause__ is not None and isinstance(exc.events, list)
    with pytest.raises(TrackerError):
        tracker.feed(None, T0 + len(batch))  # type: ignore[arg-type]
    tracker.expire(T0 + len(batch) + 101)
    assert len(tracker) == 0 and tracker.legs_held == 0
    msgs, _ = messages("sip_inbound_answered.ami")
    ended = one(feed_all(tracker, msgs), CallEnded)  # a real call is still followed from start to end
    assert (ended.disposition, ended.answered_by, ended.talk_seconds) == (Disposition.ANSWERED, "PJSIP/1001", 3)


def test_a_bug_in_a_handler_is_reported_with_the_calls_it_ended_on_the_way() -> None:
    """A bug must reach the bridge (logged and counted there), not vanish in ``ignored``; and the
    CallEnded of a stale call the same message expired is not lost with it."""
    tracker = CallTracker(stale_after=60)
    tracker.feed({"Event": "Newchannel", "Channel": "PJSIP/carrier-1", "ChannelState": "4", "CallerIDNum": "1",
                  "CallerIDName": "", "Exten": "400", "Uniqueid": "1.1", "Linkedid": "1.1"}, T0)

    def broken(msg, now, out) -> None:
        raise ZeroDivisionError("a bug")

    tracker._handlers["Hangup"] = broken
    with pytest.raises(TrackerError) as failed:
        tracker.feed({"Event": "Hangup", "Uniqueid": "9.9"}, T0 + 61)
    assert isinstance(failed.value.__cause__, ZeroDivisionError)
    assert names(failed.value.events) == ["CallEnded"] and tracker.ignored == 0 and len(tracker) == 0


@pytest.mark.parametrize("event", HANDLED)
def test_a_handled_event_without_any_field_is_ignored(event: str) -> None:
    tracker = CallTracker()
    assert tracker.feed({"Event": event}, T0) == []


def test_a_non_numeric_hold_time_is_counted_and_the_call_still_ends() -> None:
    msgs, _ = messages("sip_inbound_answered.ami")
    msgs = [m | {"HoldTime": "two", "RingTime": ""} if m.get("Event") == "AgentConnect" else m
            for m in msgs]  # fmt: skip
    tracker = CallTracker()
    out = feed_all(tracker, msgs)
    assert (one(out, CallAnswered).wait_seconds, one(out, CallAnswered).ring_seconds) == (0, 0)
    assert one(out, CallEnded).disposition is Disposition.ANSWERED
    assert tracker.ignored == 2


# -- live view ------------------------------------------------------------------------------------


def test_active_calls_follow_a_ringall_call() -> None:
    msgs, _ = messages("sip_inbound_answered.ami")
    tracker = CallTracker()
    last_pop = [i for i, m in enumerate(msgs) if m.get("Event") == "AgentCalled"][-1]
    connect = next(i for i, m in enumerate(msgs) if m.get("Event") == "AgentConnect")
    feed_all(tracker, msgs[: last_pop + 1])
    [ringing] = tracker.active_calls()
    assert (ringing.call_id, ringing.state, ringing.caller_num, ringing.queue) == (
        "1795790312.0", "ringing", "+8613800138000", "support")  # fmt: skip
    assert ringing.ringing == ("PJSIP/1003", "PJSIP/1002", "PJSIP/1001")
    feed_all(tracker, msgs[last_pop + 1 : connect + 1], start=last_pop + 1)
    [talking] = tracker.active_calls()
    assert (talking.state, talking.ringing, talking.answered) == ("answered", (), ("PJSIP/1001",))
    feed_all(tracker, msgs[connect + 1 :], start=connect + 1)
    assert tracker.active_calls() == []


# -- helpers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "device"),
    [
        ("PJSIP/1001-0000000f", "PJSIP/1001"),
        ("PJSIP/carrier-00000000", "PJSIP/carrier"),
        ("Local/1001@agents-0000001a;1", "Local/1001@agents"),
        ("Local/s@customer-sim-00000000;2", "Local/s@customer-sim"),
        ("Local/+8613800138000@customer-sim-00000014;1", "Local/+8613800138000@customer-sim"),
        ("PJSIP/1001", "PJSIP/1001"),
        ("PJSIP/+8613800138000@carrier", "PJSIP/+8613800138000@carrier"),
        ("", ""),
    ],
)
def test_device_of(channel: str, device: str) -> None:
    assert device_of(channel) == device


@pytest.mark.parametrize(
    ("interface", "canonical"),
    [("Local/1001@agents/n", "Local/1001@agents"), ("Local/1004@agents", "Local/1004@agents"),
     ("PJSIP/1001", "PJSIP/1001"), ("", "")],
)  # fmt: skip
def test_canonical_interface(interface: str, canonical: str) -> None:
    assert canonical_interface(interface) == canonical


def test_is_unknown_and_other_helpers() -> None:
    assert [is_unknown(v) for v in ("<unknown>", "", " ", None, "anonymous", "+8613800138000")] == [
        True, True, True, True, False, False]  # fmt: skip
    assert dial_target("+8613800138000@carrier") == "+8613800138000"
    assert dial_target("s@customer-sim") == "s"
    assert local_pair("Local/1001@agents-00000003;2") == "Local/1001@agents-00000003"
    assert local_pair("PJSIP/1001-00000003") == ""


@pytest.mark.parametrize(
    ("rating", "expected"),
    [("", None), ("1", 1), ("4", 4), ("5", 5), ("0", None), ("6", None), ("44", None),
     ("x", None), (" 4", None), (None, None)],
)  # fmt: skip
def test_survey_rating(rating: str | None, expected: int | None) -> None:
    assert survey_rating(rating) == expected


def one(events: list, kind: type):
    found = of_type(events, kind)
    assert len(found) == 1, names(events)
    return found[0]


def test_an_originate_refusal_tagged_by_the_caller_is_reported_once() -> None:
    tracker = CallTracker()
    refusal = {"Response": "Error", "ActionID": "cb-9", "Message": "Channel not specified"}
    assert tracker.feed(refusal, T0) == []  # shared by other actions: not an Originate by itself
    [failed] = tracker.feed(refusal | {"Action": "Originate"}, T0 + 1)
    assert (failed.action_id, failed.cause, failed.cause_text, failed.dial_string) == (
        "cb-9", 0, "Channel not specified", "")  # fmt: skip
    assert tracker.feed(refusal | {"Action": "Originate"}, T0 + 2) == []
