"""The writer process (``python -m cti.worker.child``), started by :class:`cti.worker.proxy.WriterProcess`.

Its stdin brings the service's settings, then batches of domain events; for each batch it runs the
writers (the call log, the linker) on a bus of its own, waits until they are done and answers
``done`` with their counters. What the linker publishes (a ticket opened for a queue's call) goes
back as ``publish``. stdout carries only these messages; logs go to stderr, as the service's do.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import cti.store.models  # noqa: F401  (every table: the tickets' foreign keys name dispatch's)
from cti.bus import Bus
from cti.store import Database
from cti.worker.channel import ChannelClosed, receive, run_child, send
from cti.worker.writers import subscribe_writers

log = logging.getLogger("cti.worker")


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    settings = await receive(reader)
    db = Database(settings.database_url)
    bus = Bus()
    lock = asyncio.Lock()  # one message at a time on the pipe

    async def publish(events: list[Any]) -> None:
        async with lock:
            await send(writer, ("publish", events))

    desk = subscribe_writers(bus, db, settings, publish, batch_wait=0.0)  # the service has batched already
    await bus.start()
    async with lock:
        await send(writer, ("ready", os.getpid()))
    try:
        while True:
            message = await receive(reader)
            if message[0] == "stop":
                break
            _, seq, events = message
            await bus.publish_many(events)
            await bus.drain()
            await desk.settled()
            async with lock:
                await send(writer, ("done", seq, bus.stats()))
    except ChannelClosed:
        log.warning("writer process: the service went away; stopping")
    finally:
        await bus.stop()
        await db.close()


if __name__ == "__main__":
    run_child(serve)
