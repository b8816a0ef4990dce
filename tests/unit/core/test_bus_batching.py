"""The bus hands a batch subscriber what gathered while it waited (``batch_wait``), in order."""

from __future__ import annotations

import asyncio

from cti.bus import Bus


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
