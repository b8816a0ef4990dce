"""The AMI process (``python -m cti.worker.ami_child``), started by :class:`cti.worker.ami_proxy.AmiProcess`.

It runs what :class:`~cti.ami.bridge.AmiBridge` runs in the service's own process: the connection
to the PBX, the framer and the call tracker, on a core of its own. Its stdin brings the service's
settings, then ``stop``; its stdout carries, in order:

* ``("ready", pid)`` once the bridge started (it connects in the background, as in one process);
* ``("events", [domain events], synced)``: each batch the tracker made, with the bridge's
  ``synced`` at that point; the next batch waits until the service took this one (the pipe's own
  back-pressure: a slow service stops the reading of the PBX's socket, as in one process);
* ``("status", {…}, synced)`` every ``STATUS_SECONDS`` and after a stop: the bridge's ``/status``;
* ``("reply", seq, Reply)`` or ``("refused", seq, exception)`` for each ``("request", seq, fields,
  as_list, to_stream)`` the service sent (an action of its :class:`~cti.ami.actions.AmiGateway`, run
  on the child's connection exactly as in one process: never re-sent);
* ``("stopped",)`` when the bridge stopped and its last events were sent.

Logs go to stderr, as the service's do.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from cti.ami.bridge import AmiBridge
from cti.ami.tracker import CallTracker
from cti.worker.channel import ChannelClosed, receive, run_child, send

log = logging.getLogger("cti.worker.ami")
STATUS_SECONDS = 1.0


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    settings = await receive(reader)
    lock = asyncio.Lock()  # one message at a time on the pipe
    bridge: AmiBridge | None = None

    async def say(*message: Any) -> None:
        async with lock:
            await send(writer, message)

    async def publish(events: list[Any]) -> None:
        await say("events", events, bridge.synced if bridge is not None else False)

    async def report() -> None:
        while True:
            await asyncio.sleep(STATUS_SECONDS)
            assert bridge is not None
            await say("status", bridge.status(), bridge.synced)

    bridge = AmiBridge(settings, CallTracker(), publish)
    await bridge.start()
    await say("ready", os.getpid())
    reporter = asyncio.create_task(report(), name="ami:report")
    running: set[asyncio.Task[None]] = set()

    async def answer(seq: int, fields: dict[str, Any], as_list: bool, to_stream: bool) -> None:
        try:
            reply = await bridge._request(fields, as_list=as_list, to_stream=to_stream)
        except Exception as exc:  # AmiNotConnected, AmiTimeout, AmiDisconnected, an unsafe value…
            await say("refused", seq, exc)
        else:
            await say("reply", seq, reply)

    try:
        while (message := await receive(reader))[0] != "stop":
            if message[0] == "request":
                task = asyncio.create_task(answer(*message[1:]), name=f"ami:request:{message[1]}")
                running.add(task)
                task.add_done_callback(running.discard)
    except ChannelClosed:
        log.warning("AMI process: the service went away; stopping")
    finally:
        reporter.cancel()
        await asyncio.gather(reporter, *running, return_exceptions=True)
        await bridge.stop()
        try:
            await say("status", bridge.status(), False)
            await say("stopped")
        except ChannelClosed:
            pass


if __name__ == "__main__":
    run_child(serve)
