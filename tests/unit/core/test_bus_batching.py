"""The bus hands a batch subscriber what gathered while it waited (``batch_wait``), in order."""

from __future__ import annotations

import asyncio

from cti.bus import BatchPartlyFailed, Bus


async def test_a_trickle_of_events_is_written_in_one_batch_when_the_subscriber_waits():
    bus, batches = Bus(), []

    async def write(events):
        batches.append(list(events))

    bus.subscribe("calls", write, batch_max=100, batch_wait=0.05)
    await bus.start()
    for n in range(5):
        await bus.publish(n)
        await asyncio.sleep(0.005)  # events arrive one by one, faster than the wait
    await bus.drain()
    await bus.stop()
    assert batches == [[0, 1, 2, 3, 4]]


async def test_without_a_wait_each_event_is_handled_as_it_comes():
    bus, batches = Bus(), []

    async def write(events):
        batches.append(list(events))

    bus.subscribe("calls", write, batch_max=100)
    await bus.start()
    for n in range(3):
        await bus.publish(n)
        await asyncio.sleep(0.01)
    await bus.drain()
    await bus.stop()
    assert batches == [[0], [1], [2]]


async def test_a_batch_that_partly_failed_counts_only_the_lost_events_and_the_bus_goes_on():
    bus, seen = Bus(), []

    async def write(events):
        seen.extend(events)
        if len(seen) == 5:  # the first batch: two of its five events could not be handled
            raise BatchPartlyFailed(2, 5)

    bus.subscribe("calls", write, batch_max=100)
    await bus.start()
    await bus.publish_many([0, 1, 2, 3, 4])
    await bus.drain()
    await bus.publish(5)
    await bus.drain()
    await bus.stop()
    assert seen == [0, 1, 2, 3, 4, 5]
    assert bus.stats()["calls"] == {"depth": 0, "handled": 4, "failed": 2}
