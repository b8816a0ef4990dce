"""Messages between the service and its worker processes (the writers, the AMI side): length-prefixed
pickles over a pipe.

Both ends are our own code (a child started with our interpreter), so pickle is safe here; nothing
from outside ever travels this way.

>>> import asyncio
>>> async def demo():
...     reader = asyncio.StreamReader()
...     reader.feed_data(frame(("events", 1, ["ringing"])))
...     return await receive(reader)
>>> asyncio.run(demo())
('events', 1, ['ringing'])
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import struct
import sys
from collections.abc import Awaitable, Callable
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024


class ChannelClosed(Exception):
    """The other end went away (its process ended, or the pipe was closed)."""


def frame(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(body) > MAX_FRAME:
        raise ValueError(f"message of {len(body)} bytes is over {MAX_FRAME}")
    return HEADER.pack(len(body)) + body


async def send(writer: asyncio.StreamWriter, message: Any) -> None:
    try:
        writer.write(frame(message))
        await writer.drain()
    except (ConnectionError, BrokenPipeError) as exc:
        raise ChannelClosed(str(exc)) from exc


async def receive(reader: asyncio.StreamReader) -> Any:
    try:
        (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
        if size > MAX_FRAME:
            raise ChannelClosed(f"frame of {size} bytes announced")
        return pickle.loads(await reader.readexactly(size))
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise ChannelClosed(str(exc)) from exc


async def pipes() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """This process's stdin and stdout as asyncio streams (the channel to the service)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", 0))
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(1, "wb", 0))
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)


def run_child(serve: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]) -> None:
    """A worker process's ``__main__``: logs to stderr (as the service's), its stdin and stdout as the
    channel, ``serve`` until the service says stop or goes away."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        reader, writer = await pipes()
        await serve(reader, writer)

    asyncio.run(run())
