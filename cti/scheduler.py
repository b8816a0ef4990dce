"""The service's scheduler: APScheduler 3's ``AsyncIOScheduler`` driving time, and nothing else.

What is due lives in our tables (SLA clocks, escalations, webhook deliveries, later campaign
attempts); a job only looks at them. So a job may be late, skipped or run twice without harm:
each job has an explicit id (``replace_existing``), runs one instance at a time, and missed runs
are coalesced into one (``misfire_grace_time`` says how late a run may still start).

:meth:`Scheduler.stop` lets a job that is running finish (bounded) before shutting APScheduler
down: its executor would cancel it mid-transaction, and the events that job was about to publish
would be lost (the state itself is committed or rolled back as a whole either way).
``status()`` is the ``scheduler`` component of ``/status``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from cti.tasks import cancel_all

log = logging.getLogger(__name__)
STOP_WAIT = 10.0  # seconds a running job is given to finish at shutdown

# APScheduler logs two INFO lines per run ("Running job…", "…executed successfully"): every 30 s, noise.
logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)


class Scheduler:
    def __init__(self, *, stop_wait: float = STOP_WAIT) -> None:
        self.stop_wait = stop_wait
        self._aps = AsyncIOScheduler(timezone=dt.UTC)
        self._running: set[asyncio.Task[Any]] = set()
        self.runs: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        self.last_ms: dict[str, float] = {}
        self.started = False

    def every(self, job_id: str, seconds: float, fn: Callable[[], Awaitable[Any]], *, grace: float | None = None) -> None:
        """Run ``fn`` every ``seconds`` (one at a time; late runs coalesced; a run later than ``grace``
        seconds, by default one interval, is skipped: the next one does its work)."""
        self.runs.setdefault(job_id, 0)
        self.failures.setdefault(job_id, 0)
        self._aps.add_job(self._wrap(job_id, fn), "interval", seconds=seconds, id=job_id, name=job_id,
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=max(1, round(grace if grace is not None else seconds)))

    def _wrap(self, job_id: str, fn: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            started = time.perf_counter()
            try:
                await fn()
                self.runs[job_id] += 1
            except Exception:  # logged and counted; the next run tries again
                self.failures[job_id] += 1
                log.exception("scheduled job %s failed", job_id)
            finally:
                self.last_ms[job_id] = round((time.perf_counter() - started) * 1000, 1)
                self._running.discard(task)

        return run

    async def start(self) -> None:
        self._aps.start()
        self.started = True

    async def stop(self) -> None:
        """No new runs; the running ones finish (given ``stop_wait`` s, then cancelled); then APScheduler stops."""
        if not self.started:
            return
        self.started = False
        self._aps.pause()
        if self._running:
            done, pending = await asyncio.wait(set(self._running), timeout=self.stop_wait)
            if pending:
                log.warning("stopping with %d scheduled jobs still running: cancelled", len(pending))
                await cancel_all(pending)
        self._aps.shutdown(wait=False)
        for _ in range(3):  # AsyncIOScheduler shuts down on the loop's next turn (call_soon_threadsafe)
            await asyncio.sleep(0)

    def status(self) -> dict[str, Any]:
        next_runs = {job.id: job.next_run_time for job in self._aps.get_jobs()} if self.started else {}
        jobs = {}
        for job_id, runs in self.runs.items():
            at = next_runs.get(job_id)
            jobs[job_id] = {"next": at.isoformat() if at else None, "runs": runs,
                            "failures": self.failures.get(job_id, 0), "last_ms": self.last_ms.get(job_id)}
        return {"ok": self.started, "state": "running" if self.started else "stopped", "jobs": jobs}
