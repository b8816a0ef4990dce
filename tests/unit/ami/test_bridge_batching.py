"""The bridge's consumer: every message and marker queued at a wake-up is applied in order, then published once."""

from __future__ import annotations

import asyncio
import logging

from cti.ami.bridge import BATCH_MAX, AmiBridge, ChannelList, QueueList, Settled, Tick
from cti.ami.tracker import CallTracker, TrackerError
from cti.config import Settings


class FakeTracker:
    ignored = evicted = legs_held = 0

    def __len__(self) -> int:
        return 0

    def feed(self, msg: dict[str, str], now: float) -> list:
        if msg.get("Event") == "Boom":
            raise RuntimeError("tracker bug\r\nforged: line")
        if msg.get("Event") == "BoomAfter":  # what the real tracker raises: the events before the bug kept
            try:
                raise KeyError("internal")
            except KeyError as exc:
                raise TrackerError([("expired", now)]) from exc
        return [("feed", msg["n"], now)] if msg.get("Event") != "Quiet" else []

    def resync_queues(self, queue_status: list, now: float) -> list:
        return [("queues", len(queue_status), now)]

    def resync_channels(self, channels: list, now: float) -> list:
        return [("channels", len(channels), now)]

    def expire(self, now: float) -> list:
        return [("expire", now)]

    def settle(self, now: float) -> list:
        return [("settle", now)]


async def consumed(items: list, publish_fail: bool = False) -> tuple[AmiBridge, list[list]]:
    calls: list[list] = []

    async def publish(events: list) -> None:
        calls.append(list(events))
        if publish_fail:
            raise RuntimeError("subscriber bug")

    bridge = AmiBridge(Settings(), FakeTracker(), publish)  # type: ignore[arg-type]
    for item in items:
        bridge._enqueue(None, item)  # type: ignore[arg-type]  # the queue never fills here
    bridge._consumer = asyncio.create_task(bridge._consume())
    await asyncio.wait_for(bridge._queue.join(), 5)
    bridge._consumer.cancel()
    await asyncio.gather(bridge._consumer, return_exceptions=True)
    return bridge, calls


async def test_queued_messages_and_the_markers_are_applied_in_order_and_published_once() -> None:
    items = [({"Event": "X", "n": "1"}, 1.0), QueueList([{}], 1.5), ({"Event": "X", "n": "2"}, 1.7),
             ChannelList([{}, {}], 2.0), ({"Event": "Quiet"}, 3.0), Settled(3.2), Tick(3.5),
             ({"Event": "X", "n": "3"}, 4.0)]
    bridge, calls = await consumed(items)
    assert calls == [[("feed", "1", 1.0), ("queues", 1, 1.5), ("feed", "2", 1.7), ("channels", 2, 2.0),
                      ("settle", 3.2), ("expire", 3.5), ("feed", "3", 4.0)]]
    assert bridge.handler_errors == 0


async def test_a_batch_is_at_most_batch_max_messages() -> None:
    items = [({"Event": "X", "n": str(i)}, float(i)) for i in range(BATCH_MAX + 3)]
    _, calls = await consumed(items)
    assert [len(c) for c in calls] == [BATCH_MAX, 3]
    assert [e[1] for c in calls for e in c] == [str(i) for i in range(BATCH_MAX + 3)]


async def test_nothing_queued_gives_no_publish_and_errors_are_counted_once() -> None:
    _, calls = await consumed([({"Event": "Quiet"}, 1.0)])
    assert calls == []
    items = [({"Event": "X", "n": "1"}, 1.0), ({"Event": "Boom"}, 2.0), ({"Event": "X", "n": "3"}, 3.0)]
    bridge, calls = await consumed(items)
    assert calls == [[("feed", "1", 1.0), ("feed", "3", 3.0)]]  # a tracker bug loses only its message
    assert (bridge.handler_errors, bridge.status()["tracker"]["errors"]) == (1, 1)
    bridge, calls = await consumed(items[:1], publish_fail=True)
    assert bridge.handler_errors == 1 and bridge.status()["queue_depth"] == 0
    assert bridge.status()["tracker"]["errors"] == 0  # the subscriber failed, not the tracker


async def test_the_events_made_before_a_tracker_bug_are_still_published() -> None:
    bridge, calls = await consumed([({"Event": "BoomAfter"}, 7.0), ({"Event": "X", "n": "2"}, 8.0)])
    assert calls == [[("expired", 7.0), ("feed", "2", 8.0)]]
    assert bridge.status()["tracker"]["errors"] == 1


async def test_a_tracker_bug_is_logged_as_one_clean_line_and_a_flood_is_held_back(caplog) -> None:
    caplog.set_level(logging.ERROR, logger="cti.ami.bridge")
    bridge, _ = await consumed([({"Event": "Boom"}, float(i)) for i in range(50)])
    assert bridge.tracker_errors == 50
    (line,) = [r.getMessage() for r in caplog.records]
    assert "AMI Boom: the call tracker failed: RuntimeError: tracker bug forged: line at " in line
    assert "test_bridge_batching.py:" in line and "\n" not in line and not caplog.records[0].exc_info


async def test_the_timer_ends_a_stale_call_on_a_quiet_pbx() -> None:
    published: list = []

    async def publish(events: list) -> None:
        published.extend(events)

    clock = [1000.0]
    tracker = CallTracker(stale_after=60)
    tracker.feed({"Event": "Newchannel", "Channel": "PJSIP/carrier-00000001", "ChannelState": "4",
                  "CallerIDNum": "+8613800138000", "CallerIDName": "", "Exten": "4008001234",
                  "Uniqueid": "1.1", "Linkedid": "1.1"}, clock[0])
    bridge = AmiBridge(Settings(_env_file=None), tracker, publish, clock=lambda: clock[0], tick_interval=0.01)
    await bridge.start()  # no PBX listens: it keeps reconnecting, the timer ticks anyway
    try:
        await asyncio.sleep(0.05)
        assert published == [] and len(tracker) == 1
        clock[0] += 61
        for _ in range(100):
            if published:
                break
            await asyncio.sleep(0.01)
    finally:
        await bridge.stop()
    assert [type(e).__name__ for e in published] == ["CallEnded"]
    assert bridge.status()["tracker"] == {"calls": 0, "legs": 0, "ignored": 0, "evicted": 1, "errors": 0}


async def test_status_counts_skipped_noise() -> None:
    async def publish(events: list) -> None:
        pass

    bridge = AmiBridge(Settings(), FakeTracker(), publish)  # type: ignore[arg-type]
    assert bridge.status()["events_skipped"] == 0
    assert bridge._skip_events == frozenset() and bridge._skip_unless == {}  # a tracker that names none
