"""Stopping background tasks for sure.

On Python 3.11 ``asyncio.wait_for`` can swallow a cancellation that arrives just as the awaited thing
completes (gh-86296, fixed in 3.12), and library code may catch ``CancelledError`` once. A task hit
that way goes on, and ``task.cancel(); await task`` then waits for ever: a service that never stops.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task, *, attempts: int = 5, interval: float = 1.0) -> bool:
    """Cancel ``task`` and wait until it is done, cancelling it again every ``interval`` s if a
    cancellation was swallowed. False (logged) when it still runs after ``attempts`` cancellations."""
    for _ in range(attempts):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=interval)
    if not task.done():
        log.error("task %s did not stop after %d cancellations", task.get_name(), attempts)
        return False
    if not task.cancelled() and task.exception() is not None:
        log.debug("task %s ended with %r", task.get_name(), task.exception())
    return True


async def cancel_all(tasks, **kwargs) -> None:
    """:func:`cancel_and_wait` for each of ``tasks`` (None skipped), at the same time."""
    await asyncio.gather(*(cancel_and_wait(t, **kwargs) for t in tasks if t is not None))
