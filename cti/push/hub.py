"""Pushes to browsers: per-user numbered messages, bounded per connection, replayed after a reconnect.

Every message to a user gets the next number of that user's stream and is kept
in a short replay buffer. A browser that reconnects says the last number it
saw and receives what it missed. A connection whose queue is full (a stalled
browser) is closed rather than allowed to stall the others; the browser
reconnects and catches up from the buffer, so nothing is lost silently. If the
gap is older than the buffer, the browser is told to reload its state.

>>> import asyncio
>>> async def demo():
...     hub = Hub()
...     hub.send(7, "pop", {"call_id": "1.1"})
...     conn = hub.connect(7, last_id=0)
...     return [(m.id, m.type) for m in conn.pending()]
>>> asyncio.run(demo())
[(1, 'pop')]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

REPLAY_MESSAGES = 200
REPLAY_SECONDS = 600.0
CONNECTION_QUEUE = 256


@dataclass(frozen=True, slots=True)
class Message:
    id: int | None  # None: for one connection only, not in the user's numbered stream (a snapshot)
    type: str
    text: str  # the data as JSON, serialised once for every connection and replay
    at: float

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.text)


@dataclass
class _Stream:
    next_id: int = 1
    buffer: deque[Message] = field(default_factory=lambda: deque(maxlen=REPLAY_MESSAGES))
    connections: set[Connection] = field(default_factory=set)


class Connection:
    """One browser tab's push channel: a bounded queue the WebSocket handler reads."""

    _ids = itertools.count(1)

    def __init__(self, hub: Hub, user_id: int) -> None:
        self.id = next(self._ids)
        self.user_id = user_id
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue(CONNECTION_QUEUE)
        self.overflowed = False
        self.ended: str | None = None  # why the hub ended it: "overflow", "shutdown", "login" (log in again)
        self._hub = hub

    def offer(self, message: Message) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True  # the reader closes the socket; the browser reconnects and replays
            self.end("overflow")

    def push(self, type_: str, data: dict[str, Any]) -> None:
        """A message for this connection only, unnumbered (e.g. the state a new console starts from)."""
        self.offer(Message(None, type_, json.dumps(data, ensure_ascii=False), self._hub.clock()))

    def end(self, reason: str) -> None:
        """Make the reader close this channel (``next()`` gives None) and say why in :attr:`ended`."""
        if self.ended is None:
            self.ended = reason
        self._drop_and_wake()

    def _drop_and_wake(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def pending(self) -> list[Message]:
        out = []
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if item is not None:
                out.append(item)
        return out

    async def next(self) -> Message | None:
        """The next message, or None when this connection must close (overflow or hub shutdown)."""
        return await self.queue.get()

    def close(self) -> None:
        self._hub.disconnect(self)


class Hub:
    def __init__(self, clock=time.monotonic) -> None:
        self._streams: dict[int, _Stream] = {}
        self.clock = clock
        self.sent = 0
        self.epoch = secrets.token_hex(4)  # numbers restart with the process: a browser must name the epoch

    def send(self, user_id: int, type_: str, data: dict[str, Any]) -> Message:
        return self._append(user_id, type_, json.dumps(data, ensure_ascii=False))

    def send_many(self, user_ids: Iterable[int], type_: str, data: dict[str, Any]) -> None:
        """The same message to several users, serialised once."""
        text = json.dumps(data, ensure_ascii=False)
        for uid in set(user_ids):
            self._append(uid, type_, text)

    def _append(self, user_id: int, type_: str, text: str) -> Message:
        stream = self._streams.setdefault(user_id, _Stream())
        # As text, the replay buffers (200 messages per user) hold no dicts: the garbage collector's
        # full passes do not walk them (they made the longest event-loop stalls, docs/PERFORMANCE.md).
        message = Message(stream.next_id, type_, text, self.clock())
        stream.next_id += 1
        stream.buffer.append(message)
        for conn in tuple(stream.connections):
            conn.offer(message)
        self.sent += 1
        return message

    def connect(self, user_id: int, last_id: int | None = None, epoch: str | None = None) -> Connection:
        """Open a channel; with ``last_id`` (of this ``epoch``) it first receives what came after it."""
        stream = self._streams.setdefault(user_id, _Stream())
        conn = Connection(self, user_id)
        if last_id is not None:
            missed = self._missed(stream, last_id) if epoch in (None, self.epoch) else [self._reset(stream)]
            for message in missed:
                conn.offer(message)
        stream.connections.add(conn)
        return conn

    def disconnect(self, conn: Connection) -> None:
        stream = self._streams.get(conn.user_id)
        if stream:
            stream.connections.discard(conn)

    def close_all(self) -> None:
        for stream in self._streams.values():
            for conn in tuple(stream.connections):
                conn.end("shutdown")
            stream.connections.clear()

    def end_user(self, user_id: int, reason: str = "login") -> int:
        """End every open channel of a user at once (disabled, logged out everywhere); returns how many."""
        stream = self._streams.get(user_id)
        if stream is None:
            return 0
        conns = tuple(stream.connections)
        for conn in conns:
            conn.end(reason)
        stream.connections.clear()
        return len(conns)

    def position(self, user_id: int) -> int:
        """The id of the newest message sent to this user (0: none yet): where a new console starts."""
        stream = self._streams.get(user_id)
        return stream.next_id - 1 if stream else 0

    def connection_count(self) -> int:
        return sum(len(s.connections) for s in self._streams.values())

    def _missed(self, stream: _Stream, last_id: int) -> list[Message]:
        if last_id >= stream.next_id:  # the browser knows a stream older than this process
            return [self._reset(stream)]
        horizon = self.clock() - REPLAY_SECONDS
        kept = [m for m in stream.buffer if m.id > last_id and m.at >= horizon]
        oldest_needed = last_id + 1
        if oldest_needed < stream.next_id and (not kept or kept[0].id != oldest_needed):
            return [self._reset(stream)]
        return kept

    def _reset(self, stream: _Stream) -> Message:
        """Tell the browser its gap cannot be filled: reload state (not buffered, not numbered anew)."""
        return Message(stream.next_id - 1, "reset", "{}", self.clock())
