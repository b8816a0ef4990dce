"""A minimal AMI server that writes a generated stream to the service over TCP, stamping every ring.

It speaks just enough AMI for :class:`cti.ami.bridge.AmiBridge`: the banner,
``Login`` (accepted), ``Ping``, ``CoreShowChannels`` and ``QueueStatus``
(empty lists), anything else ``Response: Error``. After the login and the
resync it writes the stream's event frames, always whole frames per
``write()``, so an action answer can only fall between two frames.

Every frame that makes an agent's phone ring (the ``AgentCalled`` of a queue
call, the ``DialBegin`` of a direct dial) is stamped in ``stamps``:
``(call id, interface) -> deque of times``, in ring order; the consoles, in
the same process, pop the matching time when the pop arrives. When paced, the
stamp is the ring's *scheduled* time (when the paced stream says the frame is
due), so a pop's latency includes how late this writer was and how long the
bytes waited behind TCP back-pressure; as fast as the service reads there is
no schedule and the stamp is the time of the ``write()`` (no latency is
reported for that run).

What the writer itself did is kept beside: for every paced ``write()`` its
*lag*, how late its earliest frame was against the schedule (``lags``); the
time blocked in ``drain()`` (the service not reading fast enough) and how many
drains blocked; the bytes left in the transport's buffer after each
``write()`` (``buffered``: not yet taken by the kernel). :meth:`writer_stats`
summarises them.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable

from stats import spread
from stream import BANNER, Stream

from cti.ami.framing import AmiFramer

CHUNK = 64 * 1024  # bytes per write() when writing as fast as the service reads
TICK = 0.002  # seconds between two writes when paced


class FakePbx:
    def __init__(self, stream: Stream | None) -> None:
        self.stream = stream
        self.stamps: dict[tuple[str, str], deque[float]] = {}
        self.ready = asyncio.Event()  # logged in and both resync lists answered
        self.actions: dict[str, int] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._server: asyncio.base_events.Server | None = None
        self._resync: set[str] = set()
        self._pop_at = 0  # next entry of stream.pops to stamp
        self.lags: list[float] = []  # paced: per write(), seconds its earliest frame was late vs the schedule
        self.buffered: list[int] = []  # per write(), bytes left in the transport's buffer right after it
        self.drain_wait = 0.0  # seconds blocked in drain(): the service was not reading fast enough
        self.drains = self.drains_blocked = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # -- the AMI session ---------------------------------------------------------------------------

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._writer is not None:  # one client only: a reconnect would replay nothing sensible
            writer.close()
            return
        self._writer = writer
        writer.write(BANNER)
        framer = AmiFramer()
        try:
            while data := await reader.read(65536):
                for action in framer.feed(data):
                    self._answer(writer, action)
        except ConnectionError:
            pass

    def _answer(self, writer: asyncio.StreamWriter, action: dict[str, str]) -> None:
        name, aid = action.get("Action", ""), action.get("ActionID", "")
        self.actions[name] = self.actions.get(name, 0) + 1
        head = f"Response: Success\r\nActionID: {aid}\r\n"
        if name == "Login":
            out = head + "Message: Authentication accepted\r\n\r\n"
        elif name == "Ping":
            out = head + f"Ping: Pong\r\nTimestamp: {time.time():.6f}\r\n\r\n"
        elif name in ("CoreShowChannels", "QueueStatus"):
            what, done = ("Channels", "CoreShowChannelsComplete") if name == "CoreShowChannels" \
                else ("Queue status", "QueueStatusComplete")
            out = (head + f"EventList: start\r\nMessage: {what} will follow\r\n\r\n"
                   f"Event: {done}\r\nActionID: {aid}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n")
            self._resync.add(name)
            if len(self._resync) == 2:
                self.ready.set()
        else:
            out = f"Response: Error\r\nActionID: {aid}\r\nMessage: Invalid/unknown command\r\n\r\n"
        writer.write(out.encode())

    # -- playing the stream ------------------------------------------------------------------------

    def _write(self, start: int, end: int, due: Callable[[int], float] | None = None) -> None:
        """Write frames [start, end) in one write() and stamp the rings among them.

        ``due(i)``: the scheduled time of frame ``i`` (paced); None: stamp the time of this write().
        """
        s = self.stream
        assert s is not None and self._writer is not None
        now = time.perf_counter()
        pops, i = s.pops, self._pop_at
        while i < len(pops) and pops[i][0] < end:
            index, call_id, iface = pops[i]
            self.stamps.setdefault((call_id, iface), deque()).append(due(index) if due else now)
            i += 1
        self._pop_at = i
        if due is not None:
            self.lags.append(now - due(start))
        self._writer.write(s.frame_range(start, end))
        self.buffered.append(self._writer.transport.get_write_buffer_size())

    async def _drain(self) -> None:
        assert self._writer is not None
        transport = self._writer.transport
        self.drains += 1
        # drain() blocks only above the high-water mark (asyncio pauses the writer there)
        if transport.get_write_buffer_size() <= transport.get_write_buffer_limits()[1]:
            await self._writer.drain()
            return
        self.drains_blocked += 1
        started = time.perf_counter()
        await self._writer.drain()
        self.drain_wait += time.perf_counter() - started

    def writer_stats(self) -> dict:
        """Lag vs the schedule (ms; paced only) and back-pressure, for the results."""
        return {"writes": len(self.buffered), "lag_ms": spread(self.lags, 1000) if self.lags else None,
                "drain_wait_s": self.drain_wait, "drains": self.drains, "drains_blocked": self.drains_blocked,
                "buffered_bytes": spread(self.buffered)}

    async def play(self, rate: float | None = None) -> tuple[float, float]:
        """Write every frame: as fast as the service reads (``rate`` None) or at ``rate`` calls/s.

        Returns (first write, last write) as ``time.perf_counter()`` values.
        """
        s, writer = self.stream, self._writer
        assert s is not None and writer is not None
        n = len(s.offsets) - 1
        first = time.perf_counter()
        i = 0
        if rate is None:
            while i < n:
                j = self._chunk_end(i, n)
                self._write(i, j)
                i = j
                await self._drain()
            return first, time.perf_counter()
        t0 = s.times[0]

        def due(frame: int) -> float:
            return first + (s.times[frame] - t0) / rate

        while i < n:
            now = time.perf_counter() - first
            ready = bisect_right(s.times, t0 + now * rate, lo=i)
            if ready > i:
                while i < ready:  # several writes if a tick's worth is large
                    j = self._chunk_end(i, ready)
                    self._write(i, j, due)
                    i = j
                await self._drain()
            if i < n:
                await asyncio.sleep(max(TICK, due(i) - time.perf_counter()))
        return first, time.perf_counter()

    def _chunk_end(self, i: int, limit: int) -> int:
        """The end of the frames from ``i`` that fit in CHUNK bytes (at least one, at most ``limit``)."""
        s = self.stream
        assert s is not None
        return min(limit, max(i + 1, bisect_right(s.offsets, s.offsets[i] + CHUNK, lo=i) - 1))
