"""Shared pieces of the console's web tests: the app over real HTTP, seeded users, logins, CSRF tokens.

The app is the real one (``create_app``) on the ``db`` fixture's database; AMI
points at a closed local port, so the bridge just keeps retrying (no PBX needed).
Test modules import the fixtures they use: ``from web_support import web, agent  # noqa: F401``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from cti.app import create_app
from cti.calls.models import Call
from cti.config import Settings
from cti.customers import service as customers
from cti.http import keys
from cti.phone import normalise
from cti.store import Database
from cti.users import service as users

PASSWORD = "correct-horse-1"
SEED_USERS = (  # username, role, interface, display name
    ("agent1", "agent", "PJSIP/1001", "王芳"),
    ("agent2", "agent", "PJSIP/1002", "李娜"),
    ("boss", "supervisor", None, "Boss"),
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def receive(ws, timeout: float = 3.0) -> dict:
    """The next push message, as JSON (fails on a close or anything not text)."""
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return msg.json()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@dataclass
class Web:
    """A running console and what was seeded into it."""

    db: Database
    server: TestServer
    settings: Settings
    app: Any
    users: dict[str, int] = field(default_factory=dict)
    clients: list[TestClient] = field(default_factory=list)

    @property
    def hub(self):
        return self.app[keys.HUB]

    @property
    def origin(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    async def client(self) -> TestClient:
        client = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return client

    async def login(self, username: str = "agent1", password: str = PASSWORD) -> TestClient:
        client = await self.client()
        resp = await login(client, username, password)
        assert resp.status == 302, await resp.text()
        return client

    async def add_customer(self, name: str, *phones: str, tier: str = "standard", notes: str = "", city: str = "",
                           products: list[customers.NewProduct] | None = None) -> int:
        async with self.db.session() as s:
            new = customers.NewCustomer(name=name, phones=[normalise(p) for p in phones], tier=tier, notes=notes,
                                        city=city, products=products or [])
            return (await customers.create(s, new, actor="test")).id

    async def add_call(self, call_id: str, *, at: dt.datetime, caller: str = "+8613800138000", name: str = "",
                       disposition: str = "answered", agent: str = "PJSIP/1001", customer_id: int | None = None,
                       wait: int | None = 5, talk: int | None = 60) -> None:
        info = normalise(caller)
        async with self.db.session() as s:
            s.add(Call(call_id=call_id, direction="inbound", caller_raw=caller, caller_name=name,
                       caller_e164=info.e164, queue="support", customer_id=customer_id, offered_at=at,
                       answered_at=at if disposition == "answered" else None, ended_at=at + dt.timedelta(minutes=2),
                       wait_seconds=wait, talk_seconds=talk if disposition == "answered" else None,
                       disposition=disposition, answered_by=agent if disposition == "answered" else "",
                       last_agent=agent))
            await s.commit()


async def login(client: TestClient, username: str, password: str, *, next_: str = ""):
    page = await client.get("/login")
    token = csrf_from(await page.text())
    data = {"username": username, "password": password, "csrf_token": token}
    if next_:
        data["next"] = next_
    return await client.post("/login", data=data, allow_redirects=False)


async def page_token(client: TestClient, path: str = "/") -> str:
    resp = await client.get(path)
    assert resp.status == 200, resp.status
    return csrf_from(await resp.text())


def session_cookie(client: TestClient) -> str | None:
    for cookie in client.session.cookie_jar:
        if cookie.key == "cti_session":
            return cookie.value
    return None


def set_session_cookie(client: TestClient, value: str) -> None:
    client.session.cookie_jar.update_cookies({"cti_session": value}, URL(str(client.make_url("/"))))


async def start_web(db: Database, *, seed: bool = True, **overrides: Any) -> Web:
    """The console on ``db``; AMI on a closed port unless ``ami_port`` says otherwise. ``seed=False``:
    the users are already there (a second process on the same database, a restart)."""
    values: dict[str, Any] = {"ami_host": "127.0.0.1", "ami_port": unused_port(), "language": "zh", **overrides}
    settings = Settings(_env_file=None, database_url=db.url.render_as_string(hide_password=False), **values)
    app = create_app(settings, db=db)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    web = Web(db=db, server=server, settings=settings, app=app)
    async with db.session() as s:
        for username, role, iface, name in SEED_USERS:
            if seed:
                await users.create(s, username=username, password=PASSWORD, role=role, interface=iface,
                                   display_name=name)
            web.users[username] = (await users.by_username(s, username)).id
    return web


async def stop_web(web: Web) -> None:
    for client in web.clients:
        await client.session.close()  # TestClient.close() would also stop the shared server
    await web.server.close()


@contextlib.asynccontextmanager
async def web_running(db: Database, **overrides: Any) -> AsyncIterator[Web]:
    """``async with web_running(db, language="en") as web:`` a console with other settings, stopped after."""
    running = await start_web(db, **overrides)
    try:
        yield running
    finally:
        await stop_web(running)


@pytest.fixture
async def web(db):
    async with web_running(db) as running:
        yield running
