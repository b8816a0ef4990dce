"""``GET /ws``: the console's push channel (pops and call state), replayed after a reconnect.

The browser connects with ``?last=<id>&epoch=<epoch>`` of the last message it
saw. It receives, in order: ``hello``; what it missed since ``last`` (or a
``reset`` when that cannot be filled: a gap older than the buffer, or another
process); then a ``snapshot`` of what its screen must show now, built from the
service's state rather than the buffer (the calls ringing or answered on the
user's phone, with their cards: ``PopService.live``; for supervisors, managers and
admins also the open escalations they act on, ``TicketPush.open_for``, and the
years a business calendar has no holiday data for); then every new message.
A second tab, a login during a call and every console after a restart so
show the call in progress. Messages are JSON ``{id, epoch, type, data}``
(``id`` is null for the ones meant for this connection only).

Every ``HEARTBEAT`` seconds without traffic the server sends a ``heartbeat``
(the browser reconnects when it hears nothing for a while). The session behind
every open channel is rechecked together every ``RECHECK`` seconds whatever
the traffic (:class:`PushSessions`): a logout elsewhere, a revoked or expired
session or a disabled user closes the channel with ``CLOSE_LOGIN`` (the
browser goes to the login page). When the hub ends the connection (the browser
was too slow, or the service stops) it closes with ``CLOSE_RECONNECT`` and the
browser reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from aiohttp import WSMsgType, web

from cti.http import keys
from cti.http.auth import EVERYONE, SUPERVISORS, allow
from cti.http.security import same_origin
from cti.http.sessions import COOKIE, digest
from cti.http.templating import USER_KEY
from cti.push import Connection
from cti.tasks import cancel_and_wait
from cti.users import service as users
from cti.users.models import User

log = logging.getLogger(__name__)
HEARTBEAT = 25.0
RECHECK = 5.0  # seconds: a revoked session or a disabled user loses its open channels within this
CLOSE_RECONNECT = 4000  # "come back": overflow, shutdown
CLOSE_LOGIN = 4401  # the session ended: log in again


class PushSessions:
    """The session (token digest) behind each open push channel, rechecked together on a timer."""

    def __init__(self, interval: float | None = None) -> None:
        self.interval = RECHECK if interval is None else interval
        self._open: dict[Connection, str] = {}
        self.closed = 0  # channels closed because their login ended

    def add(self, conn: Connection, token: str) -> None:
        self._open[conn] = digest(token)

    def discard(self, conn: Connection) -> None:
        self._open.pop(conn, None)

    async def check(self, app: web.Application) -> int:
        """One query for every open channel; those whose login ended are closed. Returns how many."""
        asked = list(self._open.items())  # channels opened during the query are judged next time
        if not asked:
            return 0
        async with app[keys.DB].session() as s:
            live = await users.live_sessions(s, {session_id for _, session_id in asked})
        ended = [conn for conn, session_id in asked if session_id not in live and conn in self._open]
        for conn in ended:
            conn.end("login")
            self._open.pop(conn, None)
        self.closed += len(ended)
        return len(ended)

    async def run(self, app: web.Application) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check(app)
            except Exception:  # the database is away: keep the channels, try again next time
                log.warning("push: rechecking the sessions of %d channels failed", len(self._open), exc_info=True)

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: the recheck runs as long as the app."""
        task = asyncio.create_task(self.run(app), name="push:sessions")
        yield
        await cancel_and_wait(task)


PUSH_SESSIONS: web.AppKey[PushSessions] = web.AppKey("push_sessions", PushSessions)


@allow(EVERYONE)
async def websocket(request: web.Request) -> web.StreamResponse:
    if not same_origin(request, request.app[keys.SETTINGS], required=True):
        log.warning("WebSocket refused: Origin %r from %s", request.headers.get("Origin"), request.remote)
        return web.json_response({"error": "origin"}, status=403)
    user: User = request[USER_KEY]
    hub = request.app[keys.HUB]
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT * 2, max_msg_size=4096)
    await ws.prepare(request)
    await ws.send_json({"id": None, "epoch": hub.epoch, "type": "hello",
                        "data": {"user": user.display_name, "interface": user.interface}})
    conn = hub.connect(user.id, last_id=_int(request.query.get("last")), epoch=request.query.get("epoch") or None)
    conn.push("snapshot", _snapshot(request, user))  # no await since connect: it matches the stream's position
    watch = request.app[PUSH_SESSIONS]
    watch.add(conn, request.cookies.get(COOKIE, ""))
    sender = asyncio.create_task(_pump(ws, conn, hub.epoch), name=f"ws:{user.id}:{conn.id}")
    try:
        async for msg in ws:  # the browser sends nothing we need; reading keeps control frames flowing
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        watch.discard(conn)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        conn.close()
    return ws


def _snapshot(request: web.Request, user: User) -> dict:
    """What this user's screen must show now, from the service's state (not from the message buffer).

    ``synced``: the PBX link is up and rebuilt, so a pop the browser still shows as ringing or
    answered that is not listed here is over (otherwise its state is unknown)."""
    service = request.app[keys.SERVICE]
    language = user.language or request.app[keys.SETTINGS].language
    pops = service.pops.live(user.interface, language, user.id) if service.pops is not None else []
    synced = service.bridge is not None and service.bridge.synced
    snapshot = {"pops": pops, "synced": synced}
    board = getattr(service, "board", None)
    if user.interface and board is not None:  # the agent's own state on the floor (their bar)
        snapshot["agent"] = {"interface": user.interface, "agent": board.agent_view(user.interface),
                             "now": board.clock()}
        if service.agent_news is not None:
            service.agent_news.seen(user.interface, user.id)
    if user.role in SUPERVISORS:  # the open escalations they act on; a calendar missing this year's holidays
        news, timers = getattr(service, "ticket_push", None), getattr(service, "timers", None)
        snapshot["escalations"] = news.open_for(user.role) if news is not None else []
        snapshot["calendar_missing"] = list(timers.calendar_missing) if timers is not None else []
    return snapshot


async def _pump(ws: web.WebSocketResponse, conn: Connection, epoch: str) -> None:
    try:
        while not ws.closed:
            try:
                async with asyncio.timeout(HEARTBEAT):  # a timer, not a task per message as wait_for makes
                    message = await conn.next()
            except TimeoutError:
                await ws.send_json({"id": None, "epoch": epoch, "type": "heartbeat", "data": {}})
                continue
            if message is None:
                if conn.ended == "login":
                    await ws.close(code=CLOSE_LOGIN, message=b"session ended")
                else:
                    await ws.close(code=CLOSE_RECONNECT, message=b"reconnect")
                return
            # the same text as json.dumps of the whole envelope, with the data serialised once by the hub
            await ws.send_str(f'{{"id": {json.dumps(message.id)}, "epoch": {json.dumps(epoch, ensure_ascii=False)}, '
                              f'"type": {json.dumps(message.type, ensure_ascii=False)}, "data": {message.text}}}')
    except (ConnectionResetError, RuntimeError) as exc:  # the browser went away mid-send
        log.debug("push connection %s ended: %s", conn.id, exc)
        await ws.close()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
