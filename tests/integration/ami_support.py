"""Shared pieces of the AMI bridge tests: the simulator, bridge settings, a TCP relay, leak checks.

The PBX is always the simulator over real TCP on 127.0.0.1. The :class:`Relay`
is a piece of *network* between the bridge and the simulator (it never
invents AMI): it can cut the line, keep the PBX unreachable for a while, or
deliver the PBX's bytes in small pieces split inside UTF-8 characters.
Test modules import the fixtures they use:
``from ami_support import sim, relay, published, make_bridge, no_leaks  # noqa: F401``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from cti.ami.bridge import AmiBridge
from cti.ami.tracker import CallTracker
from cti.config import Settings
from pbxsim import SimConfig, Simulator, documented_classes

TIME_SCALE = 0.01  # a 3 s call takes 30 ms
PING = 0.2
TICK = 0.05  # the bridge's expire timer: calls gone from a resync's list end within ~1 s


def ami_settings(port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ami_host": "127.0.0.1",
        "ami_port": port,
        "ami_ping_interval": PING,
        "ami_action_timeout": 1.0,
        "ami_reconnect_max": 0.2,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


async def eventually(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy; fail the test with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


async def watched_service(db: Any, port: int, **overrides: Any) -> Any:
    """The whole service on ``db`` against the PBX on ``port``, started; every event of its bus is kept
    in ``service.seen`` (a subscriber of its own)."""
    from cti.app import Service

    url = db.url.render_as_string(hide_password=False)
    service = Service(settings=ami_settings(port, database_url=url, **overrides), db=db)
    service.wire()
    seen: list = []

    async def watch(event: Any) -> None:
        seen.append(event)

    service.bus.subscribe("watch", watch)
    service.seen = seen
    await service.start()
    return service


def of_type(events: list, name: str, call_id: str | None = None) -> list:
    return [e for e in events if type(e).__name__ == name and (call_id is None or e.call_id == call_id)]


class Relay:
    """TCP relay client ⇄ relay ⇄ simulator. Counts how often it split a UTF-8 character."""

    def __init__(self, target_port: int, *, split_utf8: bool = False) -> None:
        self.target_port = target_port
        self.split_utf8 = split_utf8
        self.blocked = False  # the PBX is unreachable: connections are closed at once
        self.splits = 0
        self.connections = 0
        self._server: asyncio.base_events.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> Relay:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        if self._server is not None:
            await self._server.wait_closed()

    def cut(self) -> int:
        """Abort every relayed connection (both sides)."""
        pairs = list(self._pairs)
        for client, upstream in pairs:
            client.transport.abort()
            upstream.transport.abort()
        self._pairs.clear()
        return len(pairs)

    def inject(self, data: bytes) -> None:
        """Write bytes to every client as if they came down the line (a corrupted stream)."""
        for client, _ in self._pairs:
            client.write(data)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if self.blocked:
                writer.transport.abort()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            self.connections += 1
            pair = (writer, up_writer)
            self._pairs.add(pair)
            try:
                await asyncio.gather(self._pump(reader, up_writer, False), self._pump(up_reader, writer, True))
            finally:
                self._pairs.discard(pair)
                writer.transport.abort()
                up_writer.transport.abort()
        except (ConnectionError, OSError, asyncio.CancelledError):
            writer.transport.abort()  # a refused upstream, or the loop shutting down: just drop the client
        finally:
            self._tasks.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, down: bool) -> None:
        try:
            while data := await reader.read(65536):
                if down and self.split_utf8:
                    await self._write_split(data, writer)
                else:
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    async def _write_split(self, data: bytes, writer: asyncio.StreamWriter) -> None:
        start = 0
        for i, byte in enumerate(data):
            if byte >= 0xC0:  # a UTF-8 lead byte: end this write right after it, mid-character
                writer.write(data[start : i + 1])
                await writer.drain()
                await asyncio.sleep(0)  # let the reader see it as a read of its own
                self.splits += 1
                start = i + 1
        writer.write(data[start:])
        await writer.drain()


def _sockets() -> set[str]:
    """Open socket file descriptors of this process (Linux), as ``fd:socket:[inode]``."""
    out = set()
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:"):
                out.add(f"{fd}:{target}")
    except FileNotFoundError:  # not Linux: only the task and ResourceWarning checks run
        pass
    return out


@pytest.fixture
async def no_leaks():
    """Fail a test that leaves tasks running, sockets open or transports unclosed after its teardown.

    Request it first (``pytestmark = pytest.mark.usefixtures("no_leaks")``) so that it is torn
    down last, after the database and the simulator.
    """
    before = _sockets()
    yield
    current = asyncio.current_task()
    left: list[asyncio.Task[Any]] = []
    for _ in range(50):
        left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not left:
            break
        await asyncio.sleep(0.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert not left, f"tasks left running: {[t.get_name() for t in left]}"
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not unclosed, f"resources left open: {unclosed}"
    opened = _sockets() - before
    assert not opened, f"sockets left open: {sorted(opened)}"


@pytest.fixture
async def sim(no_leaks):
    """The PBX with the AMI account the project documents (asterisk-dev/manager.conf: its read and write
    classes), as the acceptance runs the service."""
    simulator = Simulator(SimConfig(port=0, time_scale=TIME_SCALE, **documented_classes()))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def relay(sim):
    r = Relay(sim.port)
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
def published() -> list:
    """Every domain event the bridge published, in order."""
    return []


@pytest.fixture
async def make_bridge(sim, published):
    """``await make_bridge(port=..., **settings)`` → a started bridge; every one is stopped after the test."""
    bridges: list[AmiBridge] = []

    async def publish(events: list) -> None:
        published.extend(events)

    async def make(port: int | None = None, *, publish_fn=None, connected: bool = True, queue_size: int = 10_000,
                   tick_interval: float = TICK, **overrides: Any) -> AmiBridge:
        settings = ami_settings(port or sim.port, **overrides)
        bridge = AmiBridge(settings, CallTracker(), publish_fn or publish, queue_size=queue_size,
                           tick_interval=tick_interval)
        bridges.append(bridge)
        await bridge.start()
        if connected:
            await eventually(lambda: bridge.state == "connected" and bridge.resyncs >= 1, what="login and resync")
            await eventually(lambda: bridge.status()["queue_depth"] == 0, what="resync handled")
        return bridge

    yield make
    for bridge in bridges:
        await bridge.stop()
