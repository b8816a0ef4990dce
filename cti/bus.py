"""In-process event bus: one ordered stream of domain events, many independent subscribers.

Each subscriber has its own bounded queue and its own consumer task, so events
reach every subscriber in publish order (hence in order per call), a slow
subscriber slows the publisher down (back-pressure) instead of losing events,
and a subscriber that raises is logged and counted but keeps receiving.

>>> import asyncio
>>> async def demo():
...     bus, seen = Bus(), []
...     async def keep(event): seen.append(event)
...     bus.subscribe("keep", keep)
...     await bus.start()
...     await bus.publish("ringing")
...     await bus.drain()
...     await bus.stop()
...     return seen
>>> asyncio.run(demo())
['ringing']
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cti.tasks import cancel_all

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]


class BatchPartlyFailed(Exception):
    """Raised by a batch handler that handled what it could: ``failed`` events of the batch were lost
    (the handler has logged which); the bus counts them as failed and the rest as handled."""

    def __init__(self, failed: int, of: int) -> None:
        super().__init__(f"{failed} of {of} events failed")
        self.failed = failed


@dataclass
class _Subscriber:
    name: str
    handler: Handler
    queue: asyncio.Queue[Any]
    batch_max: int = 1
    batch_wait: float = 0.0
    handled: int = 0
    failed: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Bus:
    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self.published = 0

    def subscribe(self, name: str, handler: Handler, *, maxsize: int = 10_000, batch_max: int = 1,
                  batch_wait: float = 0.0) -> None:
        """Register before start(); ``handler`` is awaited once per event, in order.

        With ``batch_max > 1`` the handler receives a list: every event already
        waiting (up to ``batch_max``), so a database writer can use one transaction.
        With ``batch_wait`` it first waits that many seconds after the first event
        of a batch, so that under a steady trickle it writes fewer, larger batches.
        """
        self._subscribers.append(_Subscriber(name, handler, asyncio.Queue(maxsize), batch_max, batch_wait))

    async def start(self) -> None:
        for sub in self._subscribers:
            if sub.task is None:
                sub.task = asyncio.create_task(self._consume(sub), name=f"bus:{sub.name}")

    async def publish(self, event: Any) -> None:
        """Hand the event to every subscriber; waits while a subscriber's queue is full."""
        self.published += 1
        for sub in self._subscribers:
            await sub.queue.put(event)

    async def publish_many(self, events: list[Any]) -> None:
        """``publish`` each event in order; a queue with room takes it without a coroutine per put."""
        subscribers = self._subscribers
        for event in events:
            self.published += 1
            for sub in subscribers:
                queue = sub.queue
                if queue.full():
                    await queue.put(event)
                else:
                    queue.put_nowait(event)

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything published so far."""
        await asyncio.gather(*(sub.queue.join() for sub in self._subscribers))

    async def stop(self) -> None:
        await cancel_all(sub.task for sub in self._subscribers)
        for sub in self._subscribers:
            sub.task = None

    def stats(self) -> dict[str, dict[str, int]]:
        """Queue depth, handled and failed counts per subscriber (for /status)."""
        return {
            s.name: {"depth": s.queue.qsize(), "handled": s.handled, "failed": s.failed}
            for s in self._subscribers
        }

    async def _consume(self, sub: _Subscriber) -> None:
        while True:
            items = [await sub.queue.get()]
            if sub.batch_wait > 0 and sub.queue.qsize() < sub.batch_max - 1:
                await asyncio.sleep(sub.batch_wait)
            while len(items) < sub.batch_max and not sub.queue.empty():
                items.append(sub.queue.get_nowait())
            try:
                await sub.handler(items if sub.batch_max > 1 else items[0])
                sub.handled += len(items)
            except asyncio.CancelledError:
                raise
            except BatchPartlyFailed as exc:
                lost = min(exc.failed, len(items))
                sub.failed += lost
                sub.handled += len(items) - lost
            except Exception:
                sub.failed += len(items)
                log.exception("bus subscriber %s failed on %s", sub.name, type(items[0]).__name__)
            finally:
                for _ in items:
                    sub.queue.task_done()
