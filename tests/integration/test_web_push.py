"""The push channel /ws: login and same origin required, JSON messages, replay after a reconnect."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import update
from web_support import web  # noqa: F401

from cti.http import push
from cti.users.models import WebSession

HOSTILE = '<img src=x onerror=alert(1)>"><script>'


async def receive(ws, timeout: float = 3.0) -> dict:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return msg.json()


async def open_ws(web, client, query: str = ""):
    ws = await client.ws_connect("/ws" + query, headers={"Origin": web.origin})
    hello = await receive(ws)
    assert hello["type"] == "hello" and hello["epoch"] == web.hub.epoch
    return ws


async def test_a_foreign_origin_is_refused(web):
    client = await web.login()
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers=headers)
        assert refused.value.status == 403, headers


async def test_the_configured_public_origin_is_accepted(db):
    from web_support import start_web

    running = await start_web(db, public_origin="https://cti.example.com")
    try:
        client = await running.login()
        ws = await client.ws_connect("/ws", headers={"Origin": "https://cti.example.com"})
        assert (await receive(ws))["type"] == "hello"
        await ws.close()
    finally:
        for c in running.clients:
            await c.session.close()
        await running.server.close()


async def test_no_login_no_channel(web):
    client = await web.client()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Origin": web.origin})
    assert refused.value.status == 401


async def test_a_pop_arrives_as_json_with_id_and_epoch(web):
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    web.hub.send(web.users["agent2"], "pop", {"call_id": "not-mine"})
    web.hub.send(web.users["agent1"], "pop", {"call_id": "1.1", "caller": {"name": HOSTILE}})
    msg = await receive(ws)
    assert msg == {"id": 1, "epoch": web.hub.epoch, "type": "pop",
                   "data": {"call_id": "1.1", "caller": {"name": HOSTILE}}}
    await ws.close()


async def test_messages_sent_while_disconnected_arrive_after_reconnect(web):
    client = await web.login("agent1")
    me = web.users["agent1"]
    ws = await open_ws(web, client)
    web.hub.send(me, "pop", {"call_id": "a"})
    first = await receive(ws)
    await ws.close()
    await asyncio.sleep(0.05)
    web.hub.send(me, "call", {"call_id": "a", "state": "answered_elsewhere", "by": "李娜"})
    web.hub.send(me, "pop", {"call_id": "b"})
    ws = await open_ws(web, client, f"?last={first['id']}&epoch={first['epoch']}")
    replayed = [await receive(ws), await receive(ws)]
    assert [(m["id"], m["type"], m["data"]["call_id"]) for m in replayed] == [(2, "call", "a"), (3, "pop", "b")]
    web.hub.send(me, "pop", {"call_id": "c"})
    assert (await receive(ws))["id"] == 4  # and live messages follow
    await ws.close()


async def test_a_browser_from_before_a_restart_is_told_to_reset(web):
    client = await web.login("agent1")
    web.hub.send(web.users["agent1"], "pop", {"call_id": "a"})
    ws = await open_ws(web, client, "?last=7&epoch=oldepoch")
    msg = await receive(ws)
    assert msg["type"] == "reset" and msg["epoch"] == web.hub.epoch
    await ws.close()


async def test_a_closed_hub_connection_closes_the_socket_so_the_browser_reconnects(web):
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    web.hub.close_all()  # what the hub does on overflow or shutdown: the reader gets None
    msg = await asyncio.wait_for(ws.receive(), 3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == push.CLOSE_RECONNECT


async def test_heartbeat_and_a_revoked_session_closes_with_login_code(web, monkeypatch):
    monkeypatch.setattr(push, "HEARTBEAT", 0.2)
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    assert (await receive(ws))["type"] == "heartbeat"
    async with web.db.session() as s:
        await s.execute(update(WebSession).values(revoked_at=WebSession.created_at))
        await s.commit()
    msg = await asyncio.wait_for(ws.receive(), 3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == push.CLOSE_LOGIN


async def test_status_counts_push_connections(web):
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    body = await (await (await web.login("boss")).get("/status")).json()  # the details are for supervisors
    assert body["components"]["push"]["connections"] == 1
    await ws.close()
