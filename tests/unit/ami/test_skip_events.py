"""Frames of events the tracker ignores are skipped on the bytes (AmiFramer skip_events/skip_unless)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti.ami.framing import AmiFramer, skip_rules
from cti.ami.protocol import DROPPED_EVENTS, AmiProtocol
from cti.ami.tracker import IGNORED_EVENTS, CallTracker

from .replay import T0, TRACES, random_chunks, trace_bytes
from .test_protocol import MemoryTransport

# List items and completions of the actions this service sends (CoreShowChannels, QueueStatus,
# Status, PJSIP listings of the traces): answers routed to a pending action, never skippable.
LIST_ITEMS = frozenset({
    "CoreShowChannel", "CoreShowChannelsComplete", "QueueParams", "QueueMember", "QueueEntry",
    "QueueStatusComplete", "QueueSummary", "QueueSummaryComplete", "Status", "StatusComplete",
    "EndpointList", "EndpointListComplete", "EndpointDetail", "EndpointDetailComplete", "AorList",
    "AorListComplete", "AorDetail", "AuthDetail", "ContactStatusDetail", "TransportDetail",
})  # fmt: skip
# Events a consumer of the AMI connection reads besides the tracker's handlers.
ALSO_USED = frozenset({"FullyBooted", "OriginateResponse", "UserEvent"})


def skipping_framer(tracker: CallTracker | None = None) -> AmiFramer:
    tracker = tracker or CallTracker()
    return AmiFramer(skip_events=tracker.ignored_events, skip_unless=tracker.skip_unless)


def is_skipped(msg: dict[str, str], var: str = "CTI_ACTION_ID") -> bool:
    """What the rules say, on the parsed message (the frame's first line is ``Event: <name>``)."""
    if next(iter(msg)) != "Event":
        return False
    if msg["Event"] in IGNORED_EVENTS:
        return True
    return msg["Event"] == "VarSet" and not any(var in f"{k}: {v}" for k, v in msg.items())


def fed_in_pieces(framer: AmiFramer, data: bytes, cuts: list[int]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for start, end in pairwise([0, *sorted(set(cuts)), len(data)]):
        out.extend(framer.feed(data[start:end]))
    return out


# -- the skip set ------------------------------------------------------------------------


def test_the_skip_set_and_the_events_the_tracker_handles_are_disjoint() -> None:
    tracker = CallTracker()
    handled = tracker.handled_events
    assert {"Newchannel", "Hangup", "VarSet", "AgentCalled", "QueueMemberStatus"} <= handled
    assert tracker.ignored_events is IGNORED_EVENTS
    assert not IGNORED_EVENTS & handled
    assert not IGNORED_EVENTS & (LIST_ITEMS | ALSO_USED)
    assert not [name for name in IGNORED_EVENTS if name.endswith("Complete")]
    assert DROPPED_EVENTS <= IGNORED_EVENTS
    assert set(tracker.skip_unless) <= handled and not set(tracker.skip_unless) & IGNORED_EVENTS


def test_the_bridge_gives_its_connections_the_trackers_skip_set() -> None:
    from cti.ami.bridge import AmiBridge
    from cti.config import Settings

    async def publish(events: list) -> None:
        pass

    tracker = CallTracker(action_id_var="X_ID")
    bridge = AmiBridge(Settings(), tracker, publish)
    assert bridge._skip_events is IGNORED_EVENTS
    assert bridge._skip_unless == {"VarSet": "X_ID"}


def test_skip_rules_refuse_contradictions() -> None:
    with pytest.raises(ValueError):
        skip_rules({"VarSet"}, {"VarSet": "CTI_ACTION_ID"})
    with pytest.raises(ValueError):
        skip_rules((), {"VarSet": ""})
    assert skip_rules() == {}


# -- the framer ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", TRACES)
def test_skipped_frames_are_counted_not_returned_and_the_rest_is_unchanged(name: str) -> None:
    raw = trace_bytes(name)
    everything = AmiFramer().feed(raw)
    framer = skipping_framer()
    got = framer.feed(raw)
    assert got == [m for m in everything if not is_skipped(m)]
    assert framer.skipped == len(everything) - len(got)
    assert framer.banner == "Asterisk Call Manager/11.0.0" and framer.pending == 0


@pytest.mark.parametrize("name", TRACES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_split_points_give_the_one_shot_non_skipped_messages(name: str, data: st.DataObject) -> None:
    raw = trace_bytes(name)
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=60))
    one_shot = skipping_framer()
    expected = one_shot.feed(raw)
    framer = skipping_framer()
    assert fed_in_pieces(framer, raw, cuts) == expected
    assert framer.skipped == one_shot.skipped


NAME = st.sampled_from(["Newexten", "VarSet", "Hangup", "Cdr", "RTCPSent", "QueueMember", "Newexten2"])
VALUE = st.sampled_from(["s", "", "CTI_ACTION_ID", "_CTI_ACTION_ID", "张三", "a: b", "x\n", "Newexten"])


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    first = draw(st.sampled_from(["Event: ", "Response: ", "Event:", "event: ", "ActionID: 1\r\nEvent: "]))
    lines = [first + draw(NAME) + draw(st.sampled_from(["", "\n", " "]))]
    lines += [f"{draw(st.sampled_from(['Variable', 'Value', 'Exten', 'Event']))}: {draw(VALUE)}"
              for _ in range(draw(st.integers(0, 3)))]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(frames(), min_size=1, max_size=8), data=st.data())
def test_generated_frames_split_anywhere_keep_exactly_the_non_skipped_messages(parts: list[bytes],
                                                                               data: st.DataObject) -> None:
    raw = b"".join(parts)
    kept = [p for p in parts if not raw_rule_skips(p.decode())]
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=20))
    framer = skipping_framer()
    assert fed_in_pieces(framer, raw, cuts) == AmiFramer().feed(b"".join(kept))
    assert framer.skipped == len(parts) - len(kept)


def raw_rule_skips(frame: str) -> bool:
    """The rule, read on one frame's text: first line exactly ``Event: <ignored name>``, or a VarSet
    whose frame does not mention the ActionID variable."""
    first = frame.split("\r\n", 1)[0]
    if not first.startswith("Event: "):
        return False
    return first[7:] in IGNORED_EVENTS or (first[7:] == "VarSet" and "CTI_ACTION_ID" not in frame)


def test_only_the_first_line_names_a_skipped_event() -> None:
    framer = skipping_framer()
    data = (b"Event: Newexten\r\n\r\nEvent: Newexten\r\nExten: s\r\n\r\nResponse: Success\r\nEvent: Newexten\r\n\r\n"
            b"Exten: s\r\nEvent: Newexten\r\n\r\nEvent: Newexten2\r\n\r\nEvent: VarSet\r\nVariable: __CTI_ACTION_ID\r\n"
            b"Value: o-1\r\n\r\nEvent: VarSet\r\nVariable: OTHER\r\n\r\n")
    assert framer.feed(data) == [
        {"Response": "Success", "Event": "Newexten"},
        {"Exten": "s", "Event": "Newexten"},
        {"Event": "Newexten2"},
        {"Event": "VarSet", "Variable": "__CTI_ACTION_ID", "Value": "o-1"},
    ]
    assert framer.skipped == 3


# -- protocol and tracker --------------------------------------------------------------------


async def test_skipped_frames_never_reach_the_sink() -> None:
    events: list[dict[str, str]] = []
    tracker = CallTracker()
    proto = AmiProtocol(events.append, skip_events=tracker.ignored_events, skip_unless=tracker.skip_unless)
    proto.connection_made(MemoryTransport())
    proto.data_received(b"Asterisk Call Manager/11.0.0\r\nEvent: Cdr\r\n\r\nEvent: RTCPSent\r\n\r\n"
                        b"Event: Hangup\r\nUniqueid: 1.1\r\n\r\n")
    assert events == [{"Event": "Hangup", "Uniqueid": "1.1"}]
    assert (proto.framer.skipped, proto.skipped, proto.events) == (2, 2, 1)


@pytest.mark.parametrize("name", TRACES)
def test_the_tracker_gives_the_same_domain_events_with_skipping(name: str) -> None:
    def run(framer: AmiFramer, tracker: CallTracker) -> list:
        out: list = []
        for i, chunk in enumerate(random_chunks(trace_bytes(name), seed=7, max_read=512)):
            for msg in framer.feed(chunk):
                out.extend(tracker.feed(msg, T0 + i * 0.01))  # one clock reading per read, as the bench
        return out

    plain = run(AmiFramer(), CallTracker())
    tracker = CallTracker()
    assert run(skipping_framer(tracker), tracker) == plain
