"""AmiProtocol routing: which bytes become events, which answer an action, what is never re-sent.

A bytes-in/bytes-out check of the protocol object with an in-memory transport
(the TCP behaviour is covered by tests/integration/test_bridge.py).
"""

from __future__ import annotations

import asyncio

import pytest

from cti.ami.protocol import AmiDisconnected, AmiProtocol, AmiTimeout, MAX_FRAME_BYTES


class MemoryTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closing = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = self.aborted = True


def wire(*fields: tuple[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in fields).encode() + b"\r\n"


@pytest.fixture
async def conn():
    events: list[dict[str, str]] = []
    proto = AmiProtocol(events.append)
    transport = MemoryTransport()
    proto.connection_made(transport)
    proto.data_received(b"Asterisk Call Manager/11.0.0\r\n")
    return proto, transport, events


async def answer(proto: AmiProtocol, *frames: bytes) -> None:
    await asyncio.sleep(0)  # let the request write its action
    for frame in frames:
        proto.data_received(frame)


def sent_action_id(transport: MemoryTransport) -> str:
    last = transport.written.decode().split("\r\n\r\n")[-2]
    return dict(line.split(": ", 1) for line in last.split("\r\n"))["ActionID"]


async def test_originate_response_event_goes_to_the_stream_not_to_the_action(conn):
    proto, transport, events = conn
    pending = asyncio.create_task(proto.request({"Action": "Originate", "ActionID": "cb-1", "Async": "true"},
                                                timeout=1))
    await answer(proto,
                 wire(("Event", "OriginateResponse"), ("ActionID", "cb-1"), ("Response", "Failure"), ("Reason", "0")),
                 wire(("Response", "Success"), ("ActionID", "cb-1"), ("Message", "Originate successfully queued")))
    reply = await pending
    assert reply.ok and reply.message == "Originate successfully queued"
    assert [e["Event"] for e in events] == ["OriginateResponse"]


async def test_list_action_collects_its_items_apart_from_the_event_stream(conn):
    proto, transport, events = conn
    pending = asyncio.create_task(proto.request({"Action": "CoreShowChannels"}, as_list=True, timeout=1))
    await asyncio.sleep(0)
    aid = sent_action_id(transport)
    await answer(proto,
                 wire(("Response", "Success"), ("ActionID", aid), ("EventList", "start"),
                      ("Message", "Channels will follow")),
                 wire(("Event", "Newchannel"), ("Uniqueid", "1.1")),
                 wire(("Event", "CoreShowChannel"), ("ActionID", aid), ("Channel", "PJSIP/1001-00000001")),
                 wire(("Event", "CoreShowChannelsComplete"), ("ActionID", aid), ("ListItems", "1")))
    reply = await pending
    assert [i["Channel"] for i in reply.items] == ["PJSIP/1001-00000001"]
    assert [e["Event"] for e in events] == ["Newchannel"]


async def test_refused_list_action_completes_at_once(conn):
    proto, transport, events = conn
    pending = asyncio.create_task(proto.request({"Action": "QueueStatus"}, as_list=True, timeout=1))
    await asyncio.sleep(0)
    await answer(proto, wire(("Response", "Error"), ("ActionID", sent_action_id(transport)),
                             ("Message", "Permission denied")))
    reply = await pending
    assert not reply.ok and reply.items == [] and reply.message == "Permission denied"


async def test_pending_actions_fail_at_a_disconnect_and_are_never_queued_again(conn):
    proto, transport, events = conn
    pending = asyncio.create_task(proto.request({"Action": "Originate", "ActionID": "cb-2"}, timeout=1))
    await asyncio.sleep(0)
    proto.connection_lost(ConnectionResetError("reset by peer"))
    with pytest.raises(AmiDisconnected, match="not re-sent"):
        await pending
    assert proto.responses == {} and proto.factory is None  # nothing panoramisk could re-send
    assert proto.lost.result() == "connection lost: reset by peer"


async def test_an_unanswered_action_times_out_and_its_late_answer_is_dropped(conn):
    proto, transport, events = conn
    with pytest.raises(AmiTimeout, match=r"AMI Ping \(ActionID p-1\) got no answer from the PBX within 0\.01s"):
        await proto.request({"Action": "Ping", "ActionID": "p-1"}, timeout=0.01)
    proto.data_received(wire(("Response", "Success"), ("ActionID", "p-1"), ("Ping", "Pong")))
    assert events == [] and proto.stray == 1


async def test_unsafe_value_is_refused_before_anything_is_written(conn):
    proto, transport, events = conn
    written = transport.written
    with pytest.raises(ValueError, match="'Reason'"):
        await proto.request({"Action": "QueuePause", "Reason": "x\r\nAction: Hangup"}, timeout=1)
    assert transport.written == written and proto.responses == {}


async def test_rtcp_reports_are_dropped_before_the_queue(conn):
    proto, transport, events = conn
    proto.data_received(wire(("Event", "RTCPSent"), ("Linkedid", "1.1")) + wire(("Event", "Hangup"), ("Cause", "16")))
    assert [e["Event"] for e in events] == ["Hangup"] and proto.dropped == 1


async def test_an_oversized_frame_aborts_the_connection_after_delivering_what_came_before(conn):
    proto, transport, events = conn
    proto.data_received(wire(("Event", "Hangup"), ("Cause", "16")) + b"Event: Junk\r\nData: "
                        + b"x" * (MAX_FRAME_BYTES + 1))
    assert [e["Event"] for e in events] == ["Hangup"]
    assert transport.aborted and proto.reason.startswith("frame too large")


async def test_a_name_split_inside_a_character_arrives_intact(conn):
    proto, transport, events = conn
    frame = wire(("Event", "Newchannel"), ("CallerIDName", "刘洋 🙂"))
    cut = frame.index("🙂".encode()) + 2
    proto.data_received(frame[:cut])
    proto.data_received(frame[cut:])
    assert events == [{"Event": "Newchannel", "CallerIDName": "刘洋 🙂"}]
