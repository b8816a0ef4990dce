"""Messages between the service and its writer process: length-prefixed pickles over a pipe.

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
import pickle
import struct
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
