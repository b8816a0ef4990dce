"""Byte-level AMI framing: the recorded traces, hostile splits, hostile actions."""

from __future__ import annotations

import doctest
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti.ami import channels, framing, tracker
from cti.ami.framing import AmiFramer, FrameTooLarge, encode_action, parse_buffer

from .replay import TRACES, trace_bytes

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def one_shot(data: bytes) -> tuple[list[dict[str, str]], AmiFramer]:
    framer = AmiFramer()
    return framer.feed(data), framer


def fed_in_pieces(data: bytes, cuts: list[int]) -> tuple[list[dict[str, str]], AmiFramer]:
    framer = AmiFramer()
    out: list[dict[str, str]] = []
    bounds = [0, *sorted(set(cuts)), len(data)]
    for start, end in pairwise(bounds):
        out.extend(framer.feed(data[start:end]))
    return out, framer


# -- the recorded traces ---------------------------------------------------------------


@pytest.mark.parametrize("name", TRACES)
def test_every_trace_frames_cleanly_with_the_banner_apart(name: str) -> None:
    data = trace_bytes(name)
    msgs, framer = one_shot(data)
    assert framer.banner == "Asterisk Call Manager/11.0.0"
    assert framer.malformed == 0
    assert framer.duplicates == 0
    assert framer.pending == 0  # every file ends on a message terminator
    assert msgs[0]["Response"] in ("Success", "Error")  # the Login answer, not the banner
    assert len(msgs) == data.count(b"\r\n\r\n")


@pytest.mark.parametrize("name", TRACES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_split_points_of_a_trace_give_the_one_shot_messages(name: str, data: st.DataObject) -> None:
    raw = trace_bytes(name)
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=60))
    expected, _ = one_shot(raw)
    got, framer = fed_in_pieces(raw, cuts)
    assert got == expected
    assert framer.banner == "Asterisk Call Manager/11.0.0"


def test_a_trace_fed_one_byte_at_a_time_gives_the_one_shot_messages() -> None:
    raw = trace_bytes("sip_survey_rated.ami")
    expected, _ = one_shot(raw)
    got, _ = fed_in_pieces(raw, list(range(len(raw))))
    assert got == expected


def test_parse_buffer_agrees_with_the_framer_on_a_trace() -> None:
    raw = trace_bytes("sip_inbound_answered.ami")
    msgs, rest = parse_buffer(raw[len(BANNER) :])
    assert msgs == one_shot(raw)[0]
    assert rest == b""


def test_parse_buffer_returns_the_unterminated_tail() -> None:
    msgs, rest = parse_buffer(b"Event: Ping\r\n\r\nEvent: Hangup\r\nCause: 1")
    assert msgs == [{"Event": "Ping"}]
    assert rest == b"Event: Hangup\r\nCause: 1"


# -- values -----------------------------------------------------------------------------


def test_bare_lf_at_the_end_of_a_value_is_stripped() -> None:
    """sip_status_actions.ami: PJSIPShowContacts answers ``No Contacts found\\n\\r\\n\\r\\n``."""
    raw = trace_bytes("sip_status_actions.ami")
    assert b"Message: No Contacts found\n\r\n\r\n" in raw
    msgs, _ = one_shot(raw)
    answer = next(m for m in msgs if m.get("ActionID") == "sip_status_actions-20")
    assert answer == {"Response": "Error", "ActionID": "sip_status_actions-20", "Message": "No Contacts found"}


def test_empty_values_are_empty_strings() -> None:
    msgs, _ = one_shot(trace_bytes("sip_survey_no_input.ami"))
    survey = next(m for m in msgs if m.get("UserEvent") == "SurveyResult")
    assert survey["Rating"] == ""
    assert survey["AccountCode"] == ""
    assert one_shot(BANNER + b"Event: X\r\nKey:\r\n\r\n")[0] == [{"Event": "X", "Key": ""}]


def test_a_value_keeps_everything_after_the_first_colon_space() -> None:
    msgs, _ = one_shot(BANNER + b"Event: X\r\nMessage: a: b: c\r\nData: http://x:1/y\r\n\r\n")
    assert msgs == [{"Event": "X", "Message": "a: b: c", "Data": "http://x:1/y"}]


def test_utf8_names_from_a_trace_are_decoded() -> None:
    frame = "Event: Newchannel\r\nCallerIDName: 张三 😀\r\nCallerIDNum: +8613800138000\r\n\r\n"
    raw = BANNER + frame.encode()
    got, _ = fed_in_pieces(raw, list(range(len(raw))))
    assert got == [{"Event": "Newchannel", "CallerIDName": "张三 😀", "CallerIDNum": "+8613800138000"}]


NAMES = st.text(
    alphabet=st.sampled_from("张三李四王五赵六 Zhang·é😀🎉📞ñ\u200dÄ"), min_size=0, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=6), data=st.data())
def test_chinese_and_emoji_names_survive_any_split(names: list[str], data: st.DataObject) -> None:
    raw = BANNER + b"".join(
        f"Event: Newchannel\r\nCallerIDName: {name}\r\nUniqueid: 1.{i}\r\n\r\n".encode()
        for i, name in enumerate(names)
    )
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=40))
    got, framer = fed_in_pieces(raw, cuts)
    assert [m["CallerIDName"] for m in got] == [n.rstrip("\n") for n in names]
    assert framer.malformed == 0


def test_invalid_utf8_is_replaced_not_dropped() -> None:
    msgs, _ = one_shot(BANNER + b"Event: X\r\nCallerIDName: a\xffb\r\n\r\n")
    assert msgs == [{"Event": "X", "CallerIDName": "a\ufffdb"}]


# -- malformed input ----------------------------------------------------------------------


def test_lines_without_colon_are_counted_and_the_rest_of_the_frame_kept() -> None:
    msgs, framer = one_shot(BANNER + b"Event: X\r\ngarbage line\r\n: no key\r\nCause: 16\r\n\r\n")
    assert msgs == [{"Event": "X", "Cause": "16"}]
    assert framer.malformed == 2


def test_a_frame_of_garbage_only_is_counted_not_returned() -> None:
    msgs, framer = one_shot(BANNER + b"junk\r\n\r\nEvent: Y\r\n\r\n")
    assert msgs == [{"Event": "Y"}]
    assert framer.malformed == 1


def test_duplicate_keys_keep_the_first_value_and_number_the_others() -> None:
    raw = BANNER + b"Event: X\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nChanVariable: C=3\r\n\r\n"
    msgs, framer = one_shot(raw)
    assert msgs == [
        {"Event": "X", "ChanVariable": "A=1", "ChanVariable#2": "B=2", "ChanVariable#3": "C=3"}
    ]
    assert framer.duplicates == 2


def test_extra_empty_lines_between_messages_are_harmless() -> None:
    msgs, framer = one_shot(BANNER + b"Event: A\r\n\r\n\r\n\r\nEvent: B\r\n\r\n")
    assert msgs == [{"Event": "A"}, {"Event": "B"}]
    assert framer.malformed == 0


def test_no_banner_means_the_first_line_is_a_header() -> None:
    framer = AmiFramer()
    assert framer.feed(b"Event: A\r\n\r\n") == [{"Event": "A"}]
    assert framer.banner is None


def test_an_endless_frame_raises_frame_too_large_and_resets() -> None:
    framer = AmiFramer(max_frame_bytes=1024)
    assert framer.feed(BANNER + b"Event: A\r\n\r\n") == [{"Event": "A"}]
    with pytest.raises(FrameTooLarge) as err:
        for _ in range(100):
            framer.feed(b"Data: " + b"x" * 100)
    assert err.value.limit == 1024
    assert framer.pending == 0
    assert framer.feed(b"Event: B\r\n\r\n")[-1] == {"Event": "B"}


def test_frame_too_large_carries_the_complete_messages_of_the_same_read() -> None:
    framer = AmiFramer(max_frame_bytes=64)
    with pytest.raises(FrameTooLarge) as err:
        framer.feed(BANNER + b"Event: A\r\n\r\nEvent: B\r\nData: " + b"y" * 100)
    assert err.value.messages == [{"Event": "A"}]


def test_an_endless_banner_line_raises_frame_too_large() -> None:
    framer = AmiFramer(max_frame_bytes=100)
    with pytest.raises(FrameTooLarge):
        framer.feed(b"Asterisk" * 20)


# -- the fast path equals the general parser ---------------------------------------------

LINE = st.one_of(
    st.builds(
        lambda k, v: f"{k}: {v}",
        st.sampled_from(["Event", "Channel", "Cause", "ChanVariable", "", "A:B"]),
        st.text(alphabet=st.sampled_from("ab: \n\r张😀"), max_size=6),
    ),
    st.text(alphabet=st.sampled_from("ab:\n张 "), max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(frames=st.lists(st.lists(LINE, min_size=1, max_size=6), min_size=1, max_size=5))
def test_the_fast_parser_gives_what_the_line_parser_gives(frames: list[list[str]]) -> None:
    text = "\r\n\r\n".join("\r\n".join(lines) for lines in frames)
    got, bad, dup, _ = framing._parse_block(text.encode())
    expected = []
    exp_bad = exp_dup = 0
    for frame in text.split("\r\n\r\n"):
        msg, b, d = framing._parse_lines(frame.split("\r\n"))
        exp_bad, exp_dup = exp_bad + b, exp_dup + d
        if msg:
            expected.append(msg)
    assert (got, bad, dup) == (expected, exp_bad, exp_dup)


# -- encode_action ---------------------------------------------------------------------------


def test_encode_action_writes_key_value_lines_and_an_empty_line() -> None:
    raw = encode_action({"Action": "QueuePause", "ActionID": "p-1", "Reason": "午饭 Lunch"})
    assert raw == "Action: QueuePause\r\nActionID: p-1\r\nReason: 午饭 Lunch\r\n\r\n".encode()
    assert parse_buffer(raw) == ([{"Action": "QueuePause", "ActionID": "p-1", "Reason": "午饭 Lunch"}], b"")


def test_encode_action_repeats_a_key_for_a_list_of_values() -> None:
    raw = encode_action({"Action": "Originate", "Variable": ["CB_NUMBER=+8613800138000", "CB_NAME=张三"]})
    assert raw == (
        "Action: Originate\r\nVariable: CB_NUMBER=+8613800138000\r\nVariable: CB_NAME=张三\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("bad", ["\r", "\n", "\r\n", "\x00", "\t", "\x1b", "\x7f"])
def test_encode_action_rejects_control_characters_in_values_naming_the_key(bad: str) -> None:
    with pytest.raises(ValueError, match="CallerID"):
        encode_action({"Action": "Originate", "CallerID": f'"Evil{bad}Action: Hangup" <1>'})


@pytest.mark.parametrize("key", ["", "Caller:ID", "Caller\r\nID", "Caller\x00"])
def test_encode_action_rejects_bad_keys(key: str) -> None:
    with pytest.raises(ValueError):
        encode_action({"Action": "Ping", key: "x"})


def test_encode_action_rejects_non_string_values() -> None:
    with pytest.raises(ValueError, match="Timeout"):
        encode_action({"Action": "Originate", "Timeout": 30000})  # type: ignore[dict-item]


@given(value=st.text(max_size=20))
def test_encode_action_accepts_exactly_the_values_without_control_characters(value: str) -> None:
    has_control = any(ord(c) < 32 or ord(c) == 127 for c in value)
    if has_control:
        with pytest.raises(ValueError):
            encode_action({"Action": "Ping", "ActionID": value})
    else:
        msgs, _ = parse_buffer(encode_action({"Action": "Ping", "ActionID": value}))
        assert msgs[0]["ActionID"] == value


# -- docstring examples ------------------------------------------------------------------------


@pytest.mark.parametrize("module", [framing, channels, tracker])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def test_a_large_frame_in_small_reads_is_framed_once_complete() -> None:
    frame = b"Event: Big\r\nData: " + b"z" * 500_000 + b"\r\n\r\n"
    framer = AmiFramer()
    got = framer.feed(BANNER)
    for start in range(0, len(frame), 1000):
        got += framer.feed(frame[start : start + 1000])
    assert got == [{"Event": "Big", "Data": "z" * 500_000}]
    assert framer.pending == 0
