"""``GET /ws``: the console's push channel (pops and call state), replayed after a reconnect.

The browser connects with ``?last=<id>&epoch=<epoch>`` of the last message it
saw and first receives what it missed. Messages are JSON ``{id, epoch, type,
data}``. Every ``HEARTBEAT`` seconds without traffic the server sends a
``heartbeat`` (the browser reconnects when it hears nothing for a while) and
checks that the login is still valid. When the hub ends the connection (the
browser was too slow, or the service stops) the socket closes with
``CLOSE_RECONNECT`` and the browser reconnects; ``CLOSE_LOGIN`` sends it to the
login page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp import WSMsgType, web

from cti.http import keys
from cti.http.auth import EVERYONE, allow
from cti.http.security import same_origin
from cti.http.sessions import COOKIE, STORAGE
from cti.http.templating import USER_KEY
from cti.push import Connection
from cti.users.models import User

log = logging.getLogger(__name__)
HEARTBEAT = 25.0
CLOSE_RECONNECT = 4000  # "come back": overflow, shutdown
CLOSE_LOGIN = 4401  # the session ended: log in again


@allow(EVERYONE)
async def websocket(request: web.Request) -> web.StreamResponse:
    if not same_origin(request, request.app[keys.SETTINGS], required=True):
        log.warning("WebSocket refused: Origin %r from %s", request.headers.get("Origin"), request.remote)
        return web.json_response({"error": "origin"}, status=403)
    user: User = request[USER_KEY]
    hub = request.app[keys.HUB]
    last = _int(request.query.get("last"))
    epoch = request.query.get("epoch") or None
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT * 2, max_msg_size=4096)
    await ws.prepare(request)
    conn = hub.connect(user.id, last_id=last, epoch=epoch)
    sender = asyncio.create_task(_pump(request, ws, conn, hub.epoch), name=f"ws:{user.id}:{conn.id}")
    try:
        await ws.send_json({"id": None, "epoch": hub.epoch, "type": "hello",
                            "data": {"user": user.display_name, "interface": user.interface}})
        async for msg in ws:  # the browser sends nothing we need; reading keeps control frames flowing
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        conn.close()
    return ws


async def _pump(request: web.Request, ws: web.WebSocketResponse, conn: Connection, epoch: str) -> None:
    token = request.cookies.get(COOKIE, "")
    storage = request.app[STORAGE]
    try:
        while not ws.closed:
            try:
                message = await asyncio.wait_for(conn.next(), HEARTBEAT)
            except TimeoutError:
                if await storage.live_row(token) is None:
                    await ws.close(code=CLOSE_LOGIN, message=b"session ended")
                    return
                await ws.send_json({"id": None, "epoch": epoch, "type": "heartbeat", "data": {}})
                continue
            if message is None:
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
