"""Administrators disable and enable logins from the console: sessions and open consoles end at once."""

from __future__ import annotations

import asyncio

import aiohttp
from sqlalchemy import select
from web_support import PASSWORD, login, page_token, receive, web  # noqa: F401

from cti.audit.models import AuditEntry
from cti.users import service as users


async def admin_client(web):
    async with web.db.session() as s:
        admin = await users.create(s, username="root", password=PASSWORD, role="admin", display_name="管理员甲")
    web.users["root"] = admin.id
    return await web.login("root")


async def open_console(web, client):
    ws = await client.ws_connect("/ws", headers={"Origin": web.origin})
    assert (await receive(ws))["type"] == "hello"
    assert (await receive(ws))["type"] == "snapshot"
    return ws


async def test_only_administrators_see_the_users_page(web):
    for name in ("agent1", "boss"):
        client = await web.login(name)
        assert (await client.get("/admin/users")).status == 403
        token = await page_token(client)
        refused = await client.post(f"/admin/users/{web.users['agent2']}/active",
                                    data={"active": "0", "csrf_token": token}, allow_redirects=False)
        assert refused.status == 403
        assert 'data-testid="nav-admin"' not in await (await client.get("/")).text()
    root = await admin_client(web)
    page = await (await root.get("/admin/users")).text()
    assert 'data-testid="nav-admin"' in page
    for name in ("agent1", "agent2", "boss", "root"):
        assert f'data-username="{name}"' in page


async def test_disabling_an_agent_ends_their_sessions_and_open_consoles_at_once(web):
    agent = await web.login("agent1")
    ws = await open_console(web, agent)
    root = await admin_client(web)
    token = await page_token(root, "/admin/users")
    started = asyncio.get_running_loop().time()
    done = await root.post(f"/admin/users/{web.users['agent1']}/active", data={"active": "0", "csrf_token": token},
                           allow_redirects=False)
    assert done.status == 303
    closed = await asyncio.wait_for(ws.receive(), 2)
    assert (closed.type, closed.data) == (aiohttp.WSMsgType.CLOSE, 4401)
    assert asyncio.get_running_loop().time() - started < 2  # not at the next recheck: now
    again = await agent.get("/", allow_redirects=False)
    assert again.status == 302 and again.headers["Location"].startswith("/login")
    assert (await login(await web.client(), "agent1", PASSWORD)).status == 401  # a disabled login cannot log in

    assert done.headers["Location"] == "/admin/users"
    page = await (await root.get("/admin/users")).text()
    assert "已停用 agent1，结束 1 个会话。" in page
    assert "已停用 agent1" not in await (await root.get("/admin/users")).text()  # said once
    async with web.db.session() as s:
        audit = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "disable"))).one()
    assert (audit.actor, audit.entity_id, audit.after) == ("root", str(web.users["agent1"]),
                                                           {"active": False, "sessions_ended": 1})

    token = await page_token(root, "/admin/users")
    await root.post(f"/admin/users/{web.users['agent1']}/active", data={"active": "1", "csrf_token": token})
    assert (await login(await web.client(), "agent1", PASSWORD)).status == 302


async def test_an_administrator_cannot_disable_their_own_login(web):
    root = await admin_client(web)
    token = await page_token(root, "/admin/users")
    refused = await root.post(f"/admin/users/{web.users['root']}/active", data={"active": "0", "csrf_token": token},
                              allow_redirects=False)
    assert refused.status == 400
    assert (await root.get("/admin/users")).status == 200  # still logged in
    missing = await root.post("/admin/users/99999/active", data={"active": "0", "csrf_token": token})
    assert missing.status == 404
    for odd in ({}, {"active": "no"}, {"active": "true"}):  # neither 0 nor 1: nothing is changed
        refused = await root.post(f"/admin/users/{web.users['agent1']}/active", data={**odd, "csrf_token": token})
        assert refused.status == 400, odd
    assert (await login(await web.client(), "agent1", PASSWORD)).status == 302
