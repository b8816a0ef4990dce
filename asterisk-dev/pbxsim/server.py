"""The AMI TCP server: sessions, login state, event fan-out, failure modes.

Each connection gets the banner, then its actions are handled one at a time
(like Asterisk's one thread per session). Events go to every logged-in
session whose read classes cover them (``permissions``: the user's ``read``,
narrowed by the ``Events`` header or action). For tests the server can drop every connection
abruptly, or go *silent*: sockets stay open but nothing is written (not even
Ping responses) until :meth:`AmiServer.resume`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable

from . import events as ev
from . import permissions
from .actions import ActionHandlers
from .model import Pbx
from .protocol import BANNER, Action, ActionParser, ProtocolError, encode

log = logging.getLogger(__name__)
MAX_WRITE_BUFFER = 16 * 1024 * 1024  # a client this far behind is disconnected
_session_ids = itertools.count(1)


class AmiSession:
    """One AMI client connection."""

    def __init__(self, server: AmiServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader, self.writer = reader, writer
        self.number = next(_session_ids)
        self.session_id = f"0x7f{random.getrandbits(40):010x}"
        self.authenticated = False
        # manager.c mansession_session: the user's classes, copied at login (authenticate), and the
        # event classes this session is sent (0 until authenticated; set_eventmask)
        self.readperm = self.writeperm = self.send_events = 0
        self.username = ""
        self.login_epoch = 0.0
        self.closed = False
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        sock = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        self.remote_address = f"IPV4/TCP/{peer[0]}/{peer[1]}"
        self.local_address = f"IPV4/TCP/{sock[0]}/{sock[1]}"

    # -- output ------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Write bytes unless closed; while the server is silent they are held or dropped."""
        if self.closed or self.writer.is_closing():
            return
        if self.server.silent:
            if self.server.hold_while_silent:
                self.server.held.append((self, data))
            return
        self.writer.write(data)
        transport = self.writer.transport
        if transport is not None and transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            log.warning("AMI client %s too slow, disconnecting", self.remote_address)
            transport.abort()
            self.closed = True

    def send_fields(self, fields: ev.Fields) -> None:
        self.send(encode(fields))

    def send_event(self, event: str, fields: ev.Fields) -> None:
        """An event written straight into this session (FullyBooted: the caller checks the class)."""
        self.send(encode([("Event", event), ("Privilege", ev.privilege(event))] + list(fields)))

    def deliver(self, data: bytes, event: str) -> None:
        if self.authenticated and permissions.can_read(self.send_events, event):
            self.send(data)

    def set_eventmask(self, text: str) -> int:
        """manager.c ``set_eventmask``: ``send_events = readperm & mask`` unless the mask is invalid
        (empty); returns the mask (-1: invalid)."""
        mask = permissions.strings_to_mask(text)
        if mask >= 0:
            self.send_events = self.readperm & mask
        return mask

    # -- lifecycle ------------------------------------------------------------------------
    async def run(self) -> None:
        self.send(BANNER)
        parser = ActionParser()
        try:
            while not self.closed:
                data = await self.reader.read(65536)
                if not data:
                    break
                for action in parser.feed(data):
                    await self.server.handlers.handle(self, action)
                    await self.server.run_hooks(action)
                    if self.closed:
                        break
        except (ConnectionError, ProtocolError, asyncio.IncompleteReadError) as exc:
            log.debug("AMI session %s ended: %s", self.remote_address, exc)
        finally:
            await self.close()

    async def close(self) -> None:
        """Close after flushing what was written (Logoff, failed login)."""
        if self.closed and self.writer.is_closing():
            return
        self.closed = True
        self.server.sessions.discard(self)
        try:
            if not self.server.silent:
                await asyncio.wait_for(self.writer.drain(), timeout=2)
            self.writer.close()
        except (ConnectionError, asyncio.TimeoutError, RuntimeError):
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection at once (RST when possible)."""
        self.closed = True
        self.server.sessions.discard(self)
        transport = self.writer.transport
        if transport is not None:
            transport.abort()


class AmiServer:
    """Listens on host:port, owns the sessions, records every action received."""

    def __init__(self, pbx: Pbx, host: str, port: int, max_actions: int = 10000) -> None:
        self.pbx = pbx
        self.host, self.requested_port = host, port
        self.port = 0
        self.sessions: set[AmiSession] = set()
        self.handlers = ActionHandlers(self)
        self.actions: list[dict] = []
        self.max_actions = max_actions
        self.silent = False
        self.hold_while_silent = False
        self.held: list[tuple[AmiSession, bytes]] = []
        self.hooks: dict[str, list[Callable[[], Awaitable[object]]]] = {}  # action (lower case) -> one-shot hooks
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        pbx.listeners.append(self.broadcast)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.requested_port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.abort()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=1)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        if self.broadcast in self.pbx.listeners:
            self.pbx.listeners.remove(self.broadcast)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AmiSession(self, reader, writer)
        self.sessions.add(session)
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            await session.run()
        except asyncio.CancelledError:  # server stopping: end this connection's task quietly
            session.abort()
        finally:
            self._tasks.discard(task)

    def broadcast(self, data: bytes, event: str) -> None:
        for session in list(self.sessions):
            session.deliver(data, event)

    def record(self, session: AmiSession, action: Action) -> None:
        """Keep the action for the control API (newest ``max_actions``)."""
        entry = action.as_dict()
        entry.update(session=session.number, at=time.time())
        self.actions.append(entry)
        if len(self.actions) > self.max_actions:
            del self.actions[: len(self.actions) - self.max_actions]

    async def run_hooks(self, action: Action) -> None:
        """Await the one-shot hooks waiting for this action, right after it was answered."""
        for hook in self.hooks.pop((action.name or "").lower(), []):
            await hook()

    # -- failure modes ---------------------------------------------------------------------------
    def drop_connections(self) -> int:
        """Abort every AMI connection (calls go on in the PBX)."""
        sessions = list(self.sessions)
        for session in sessions:
            session.abort()
        return len(sessions)

    def go_silent(self, hold: bool = False) -> None:
        """Stop writing anything; with ``hold`` the bytes are delivered on resume (a stall)."""
        self.silent, self.hold_while_silent = True, hold

    def resume(self) -> None:
        self.silent = False
        held, self.held = self.held, []
        for session, data in held:
            session.send(data)

    def connections(self) -> list[dict]:
        return [{"session": s.number, "remote": s.remote_address, "authenticated": s.authenticated}
                for s in self.sessions]
