"""A task that swallows a cancellation still stops (cti.tasks.cancel_and_wait)."""

from __future__ import annotations

import asyncio

from cti.tasks import cancel_and_wait


async def test_a_task_that_swallowed_one_cancellation_is_cancelled_again_and_stops():
    cleaned = []

    async def stubborn():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # what a swallowed cancellation looks like: it goes on waiting
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.append(True)

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    assert await cancel_and_wait(task, interval=0.05)
    assert task.cancelled() and cleaned == [True]


async def test_a_task_that_never_stops_is_reported_not_waited_for_forever(caplog):
    async def deaf():
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass

    task = asyncio.create_task(deaf(), name="deaf")
    await asyncio.sleep(0)
    assert not await cancel_and_wait(task, attempts=3, interval=0.02)
    assert "task deaf did not stop after 3 cancellations" in caplog.text
    task.get_coro().close()  # the test's own clean-up: the coroutine is dropped without running again


async def test_a_finished_task_is_left_as_it_is():
    task = asyncio.create_task(asyncio.sleep(0, result=7))
    await task
    assert await cancel_and_wait(task) and task.result() == 7
