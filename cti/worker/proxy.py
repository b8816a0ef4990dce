"""The service's side of the writer process: a bus subscriber that hands each batch of call events to
the child and returns when the child has written it (so back-pressure and ``Bus.drain`` mean what
they mean in one process), and publishes on the service's bus what the child's writers publish.

If the child dies, it is started again and the batch it had not finished is sent again: the call
log and the linker take a batch twice without doubling anything (a call offered again updates its
row; a call linked again is left as it is).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from cti.config import Settings
from cti.events import CALL_EVENTS
from cti.worker.channel import ChannelClosed, receive, send

log = logging.getLogger(__name__)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
RETRIES = 3


class WriterProcess:
    def __init__(self, settings: Settings, publish: Callable[[list[Any]], Awaitable[None]]) -> None:
        self._settings = settings
        self._publish = publish
        self._proc: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[dict]] = {}
        self._outbox: asyncio.Queue[list[Any]] = asyncio.Queue()
        self._publisher: asyncio.Task[None] | None = None
        self._seq = 0
        self.starts = 0
        self.writers: dict[str, dict[str, int]] = {}  # the child's bus counters, as of its last answer

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        self._publisher = asyncio.create_task(self._publish_in_order(), name="writers:publish")
        await self._spawn()

    async def _spawn(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cti.worker.child", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=2**26)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        await send(self._proc.stdin, self._settings)
        ready = await asyncio.wait_for(receive(self._proc.stdout), START_TIMEOUT)
        if ready[0] != "ready":
            raise RuntimeError(f"writer process answered {ready[0]!r}")
        self.starts += 1
        self._reader_task = asyncio.create_task(self._read(self._proc.stdout), name="writers:read")
        log.info("writer process %d started", self._proc.pid)

    async def handle_batch(self, events: list[Any]) -> None:
        batch = [e for e in events if isinstance(e, CALL_EVENTS)]  # the tickets' own events stay here
        if not batch:
            return
        for attempt in range(RETRIES + 1):
            try:
                await self._write(batch)
                return
            except ChannelClosed:
                if attempt == RETRIES:
                    raise
                log.warning("writer process gone; starting it again (the batch is sent again)")
                await self._restart()

    async def _write(self, batch: list[Any]) -> None:
        if self._proc is None or self._proc.stdin is None or self._proc.returncode is not None:
            raise ChannelClosed("not running")
        self._seq += 1
        done = self._waiting[self._seq] = asyncio.get_running_loop().create_future()
        try:
            await send(self._proc.stdin, ("events", self._seq, batch))
            self.writers = await done
        finally:
            self._waiting.pop(self._seq, None)

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        try:
            while True:
                message = await receive(stdout)
                if message[0] == "done":
                    future = self._waiting.get(message[1])
                    if future is not None and not future.done():
                        future.set_result(message[2])
                elif message[0] == "publish":
                    self._outbox.put_nowait(message[1])
        except ChannelClosed as exc:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ChannelClosed(str(exc)))

    async def _publish_in_order(self) -> None:
        while True:
            events = await self._outbox.get()
            try:
                await self._publish(events)
            except Exception:
                log.exception("publishing %d events of the writer process failed", len(events))

    async def _restart(self) -> None:
        await self._end_process()
        await self._spawn()

    async def _end_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            try:
                if proc.stdin is not None:
                    await send(proc.stdin, ("stop",))
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
            except (ChannelClosed, TimeoutError):
                proc.kill()
                await proc.wait()
        if self._reader_task is not None:
            await asyncio.gather(self._reader_task, return_exceptions=True)

    async def stop(self) -> None:
        await self._end_process()
        if self._publisher is not None:
            while not self._outbox.empty():
                await asyncio.sleep(0.01)
            self._publisher.cancel()
            await asyncio.gather(self._publisher, return_exceptions=True)

    def status(self) -> dict[str, Any]:
        """For ``/status``: the process, how often it was started, its writers' counters."""
        running = self._proc is not None and self._proc.returncode is None
        return {"ok": running, "state": "running" if running else "down", "pid": self.pid, "starts": self.starts,
                "writers": self.writers}
