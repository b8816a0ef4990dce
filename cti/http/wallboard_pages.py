"""The wallboard: ``GET /wallboard`` (the page) and ``GET /wallboard/ws`` (its live figures).

The channel sends a ``snapshot`` of everything the screen shows, then an ``update`` with what changed,
at once on a quiet floor and at most every 0.15 s on a busy one (:mod:`cti.supervision.board` coalesces), and a ``heartbeat`` when the
floor is quiet. A reconnect starts again from a snapshot: the wallboard shows the present, it has no
history to replay. The session behind the channel is rechecked with the consoles' (``PushSessions``).
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import WSMsgType, web

from cti.http import keys
from cti.http.auth import SUPERVISORS, allow
from cti.http.org_support import scope_of
from cti.http.push import CLOSE_LOGIN, CLOSE_RECONNECT, HEARTBEAT, PUSH_SESSIONS
from cti.http.security import same_origin
from cti.http.sessions import COOKIE
from cti.http.templating import render
from cti.supervision.board import Board, Screen
from cti.tasks import cancel_and_wait

log = logging.getLogger(__name__)


@allow(SUPERVISORS)
async def wallboard(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    hours = settings.wallboard_window_hours
    return await render(request, "wallboard.html", {"nav": "wallboard", "window_hours": hours,
                                                    "wide": request.query.get("wall") == "1",
                                                    "pause_reasons": json.dumps(list(settings.pause_reasons))})


@allow(SUPERVISORS)
async def wallboard_ws(request: web.Request) -> web.StreamResponse:
    if not same_origin(request, request.app[keys.SETTINGS], required=True):
        log.warning("wallboard WebSocket refused: Origin %r from %s", request.headers.get("Origin"), request.remote)
        return web.json_response({"error": "origin"}, status=403)
    board: Board | None = request.app[keys.SERVICE].board
    if board is None:
        raise web.HTTPServiceUnavailable()
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT * 2, max_msg_size=4096)
    await ws.prepare(request)
    screen, snapshot = board.watch(await scope_of(request))
    sessions = request.app[PUSH_SESSIONS]
    sessions.add(screen, request.cookies.get(COOKIE, ""))  # type: ignore[arg-type]
    sender = asyncio.create_task(_pump(ws, screen, snapshot), name="wallboard:ws")
    try:
        async for msg in ws:  # nothing to read; reading keeps the control frames flowing
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        sessions.discard(screen)  # type: ignore[arg-type]
        board.unwatch(screen)
        await cancel_and_wait(sender)
    return ws


async def _pump(ws: web.WebSocketResponse, screen: Screen, snapshot: dict) -> None:
    try:
        await ws.send_str(_message("snapshot", snapshot))
        while not ws.closed:
            try:
                async with asyncio.timeout(HEARTBEAT):
                    update = await screen.next()
            except TimeoutError:
                await ws.send_str(_message("heartbeat", {}))
                continue
            if update is None:
                await ws.close(code=CLOSE_LOGIN if screen.ended == "login" else CLOSE_RECONNECT,
                               message=b"session ended" if screen.ended == "login" else b"reconnect")
                return
            await ws.send_str(_message("update", update))
    except (ConnectionResetError, RuntimeError) as exc:  # the browser went away mid-send
        log.debug("wallboard channel ended: %s", exc)
        await ws.close()


def _message(type_: str, data: dict) -> str:
    return json.dumps({"type": type_, "data": data}, ensure_ascii=False, separators=(",", ":"))
