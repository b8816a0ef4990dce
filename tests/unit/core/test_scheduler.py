"""The service's scheduler: jobs run on the loop, a failing job is counted and runs again, and stopping
lets a running job finish rather than cancelling it mid-transaction."""

from __future__ import annotations

import asyncio

from cti.scheduler import Scheduler


async def until(predicate, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_job_runs_every_interval_and_a_failure_is_counted_not_fatal():
    calls = []

    async def flaky():
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("the database is away")

    scheduler = Scheduler()
    scheduler.every("flaky", 0.05, flaky)
    scheduler.every("flaky", 0.05, flaky)  # the same id replaces the job: one job, not two
    await scheduler.start()
    try:
        await until(lambda: len(calls) >= 3)
    finally:
        await scheduler.stop()
    status = scheduler.status()
    assert list(status["jobs"]) == ["flaky"] and status["state"] == "stopped" and status["ok"] is False
    assert status["jobs"]["flaky"]["failures"] == 1 and status["jobs"]["flaky"]["runs"] >= 2


async def test_stopping_waits_for_the_running_job():
    events = []

    async def slow():
        events.append("started")
        await asyncio.sleep(0.3)
        events.append("finished")

    scheduler = Scheduler()
    scheduler.every("slow", 0.05, slow)
    await scheduler.start()
    assert scheduler.status()["ok"] is True
    await until(lambda: events)
    await scheduler.stop()
    assert events == ["started", "finished"]
    await asyncio.sleep(0.15)
    assert events == ["started", "finished"]  # nothing runs after the stop


async def test_a_job_still_running_after_the_wait_is_cancelled_and_the_stop_returns(caplog):
    events = []

    async def stuck():
        events.append("started")
        try:
            await asyncio.sleep(3600)  # e.g. a query on a server that no longer answers
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    scheduler = Scheduler(stop_wait=0.1)
    scheduler.every("stuck", 0.05, stuck)
    await scheduler.start()
    await until(lambda: events)
    await asyncio.wait_for(scheduler.stop(), 5)
    assert events == ["started", "cancelled"]
    assert "stopping with 1 scheduled jobs still running: cancelled" in caplog.text
