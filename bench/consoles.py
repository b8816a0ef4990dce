"""Agent consoles for the benchmark: real logins over HTTP, real WebSockets on ``/ws``, pop latency.

Each console logs in once (``GET /login`` for the CSRF token, ``POST /login``),
keeps its session cookie, and opens ``/ws`` with the console's Origin like a
browser. A closed socket with code 4000 (the hub dropped a slow connection) is
reopened with ``?last=&epoch=`` so the missed messages are replayed, as the
console script does. On every ``pop`` the receive time minus the ring's stamp
from the fake PBX (``stamps``: its scheduled time in a paced run) is one
latency sample.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque

import aiohttp

PASSWORD = "bench-console-1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLOSE_RECONNECT = 4000


async def login(base: str, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; return the session cookie's value."""
    jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1: cookies of an IP host
    async with aiohttp.ClientSession(base, cookie_jar=jar) as http:
        async with http.get("/login") as page:
            match = _CSRF.search(await page.text())
            if not match:
                raise RuntimeError(f"no CSRF token on /login ({page.status})")
        form = {"username": username, "password": password, "csrf_token": match.group(1)}
        async with http.post("/login", data=form, allow_redirects=False) as resp:
            if resp.status != 302:
                raise RuntimeError(f"login of {username} failed: HTTP {resp.status}")
        for cookie in jar:
            if cookie.key == "cti_session":
                return cookie.value
    raise RuntimeError(f"login of {username}: no session cookie")


class Consoles:
    """``tokens`` logged-in sessions, one WebSocket each, sharing one client session."""

    def __init__(self, tokens: list[str], stamps: dict[tuple[str, str], deque[float]]) -> None:
        self.tokens = tokens
        self.stamps = stamps
        self.latencies: list[float] = []
        self.messages = 0
        self.pops = 0
        self.unmatched = 0  # pops with no stamped ring (should stay 0)
        self.reconnects = 0
        self.errors: list[str] = []
        self.last_at = 0.0  # perf_counter of the last message received
        self._stopping = False
        self._http: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._open: set[aiohttp.ClientWebSocketResponse] = set()

    async def connect(self, base: str) -> None:
        """Open every WebSocket and wait for every ``hello``."""
        self._http = aiohttp.ClientSession(base, cookie_jar=aiohttp.DummyCookieJar(),
                                           connector=aiohttp.TCPConnector(limit=0))
        ready = [asyncio.get_running_loop().create_future() for _ in self.tokens]
        self._tasks = [asyncio.create_task(self._run(base, t, r)) for t, r in zip(self.tokens, ready, strict=True)]
        await asyncio.wait_for(asyncio.gather(*ready), 60)

    def reset(self) -> None:
        self.latencies.clear()
        self.messages = self.pops = self.unmatched = self.reconnects = 0

    async def close(self) -> None:
        self._stopping = True
        await asyncio.gather(*(ws.close() for ws in tuple(self._open)), return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            await asyncio.sleep(0.25)  # let the transports close (aiohttp's advice)

    async def _run(self, base: str, token: str, ready: asyncio.Future[None]) -> None:
        assert self._http is not None
        headers = {"Origin": base, "Cookie": f"cti_session={token}"}
        last: int | None = None
        epoch = ""
        stamps, latencies = self.stamps, self.latencies
        while not self._stopping:
            query = f"?last={last}&epoch={epoch}" if last is not None else ""
            try:
                ws = await self._http.ws_connect("/ws" + query, headers=headers, max_msg_size=0)
            except aiohttp.ClientError as exc:
                if not ready.done():
                    ready.set_exception(exc)
                    return
                self.errors.append(repr(exc))
                await asyncio.sleep(0.1)
                continue
            self._open.add(ws)
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                now = time.perf_counter()
                data = json.loads(msg.data)
                kind = data["type"]
                if kind == "hello":
                    epoch = data["epoch"]
                    if not ready.done():
                        ready.set_result(None)
                    continue
                self.messages += 1
                self.last_at = now
                if data["id"] is not None:
                    last = data["id"]
                if kind == "pop":
                    self.pops += 1
                    body = data["data"]
                    queue = stamps.get((body["call_id"], body["interface"]))
                    if queue:
                        latencies.append(now - queue.popleft())
                    else:
                        self.unmatched += 1
            self._open.discard(ws)
            if ws.close_code == CLOSE_RECONNECT and not self._stopping:
                self.reconnects += 1
                continue
            if not self._stopping:
                self.errors.append(f"socket closed: {ws.close_code}")
            return
