"""The bridge's consumer: every message queued at a wake-up is fed in order, then published once."""

from __future__ import annotations

import asyncio

from cti.ami.bridge import BATCH_MAX, AmiBridge, _Resync
from cti.config import Settings


class FakeTracker:
    def feed(self, msg: dict[str, str], now: float) -> list:
        if msg.get("Event") == "Boom":
            raise RuntimeError("tracker bug")
        return [("feed", msg["n"], now)] if msg.get("Event") != "Quiet" else []

    def resync(self, channels: list, queue_status: list, now: float) -> list:
        return [("resync", len(channels), now)]


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


async def test_queued_messages_and_the_resync_marker_are_published_once_in_order() -> None:
    items = [({"Event": "X", "n": "1"}, 1.0), _Resync([{}, {}], [], 2.0), ({"Event": "Quiet"}, 3.0),
             ({"Event": "X", "n": "2"}, 4.0)]
    bridge, calls = await consumed(items)
    assert calls == [[("feed", "1", 1.0), ("resync", 2, 2.0), ("feed", "2", 4.0)]]
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
    assert bridge.handler_errors == 1
    bridge, calls = await consumed(items[:1], publish_fail=True)
    assert bridge.handler_errors == 1 and bridge.status()["queue_depth"] == 0


async def test_status_counts_skipped_noise() -> None:
    async def publish(events: list) -> None:
        pass

    bridge = AmiBridge(Settings(), FakeTracker(), publish)  # type: ignore[arg-type]
    assert bridge.status()["events_skipped"] == 0
    assert bridge._skip_events == frozenset() and bridge._skip_unless == {}  # a tracker that names none
