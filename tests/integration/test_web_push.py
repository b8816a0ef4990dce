"""The push channel /ws: login and same origin required, JSON messages, replay after a reconnect."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from sqlalchemy import update
from web_support import receive, web, web_running  # noqa: F401

from cti.http import push
from cti.users.models import User, WebSession

HOSTILE = '<img src=x onerror=alert(1)>"><script>'


async def open_ws(web, client, query: str = "", *, replayed: int = 0):
    """A push channel past its ``hello`` and, when it replays nothing, its ``snapshot``."""
    ws = await client.ws_connect("/ws" + query, headers={"Origin": web.origin})
    hello = await receive(ws)
    assert hello["type"] == "hello" and hello["epoch"] == web.hub.epoch
    if not replayed:
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot" and snapshot["id"] is None, snapshot
    return ws


async def test_a_foreign_origin_is_refused(web):
    client = await web.login()
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers=headers)
        assert refused.value.status == 403, headers


async def test_the_configured_public_origin_is_accepted(db):
    async with web_running(db, public_origin="https://cti.example.com") as running:
        client = await running.login()
        ws = await client.ws_connect("/ws", headers={"Origin": "https://cti.example.com"})
        assert (await receive(ws))["type"] == "hello"
        await ws.close()


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
    ws = await open_ws(web, client, f"?last={first['id']}&epoch={first['epoch']}", replayed=2)
    replayed = [await receive(ws), await receive(ws)]
    assert [(m["id"], m["type"], m["data"]["call_id"]) for m in replayed] == [(2, "call", "a"), (3, "pop", "b")]
    assert (await receive(ws))["type"] == "snapshot"  # then the state of now
    web.hub.send(me, "pop", {"call_id": "c"})
    assert (await receive(ws))["id"] == 4  # and live messages follow
    await ws.close()


async def test_a_browser_from_before_a_restart_is_told_to_reset(web):
    client = await web.login("agent1")
    web.hub.send(web.users["agent1"], "pop", {"call_id": "a"})
    ws = await open_ws(web, client, "?last=7&epoch=oldepoch", replayed=1)
    msg = await receive(ws)
    assert msg["type"] == "reset" and msg["epoch"] == web.hub.epoch
    snapshot = await receive(ws)
    now = snapshot["data"]["agent"].pop("now")  # the server's clock: the agent's bar counts its time from it
    assert abs(now - time.time()) < 60
    assert snapshot["type"] == "snapshot" and snapshot["data"] == {  # no PBX here: no call, no queue
        "pops": [], "synced": False, "agent": {"interface": "PJSIP/1001", "agent": None}}
    await ws.close()


async def test_a_closed_hub_connection_closes_the_socket_so_the_browser_reconnects(web):
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    web.hub.close_all()  # what the hub does on overflow or shutdown: the reader gets None
    msg = await asyncio.wait_for(ws.receive(), 3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == push.CLOSE_RECONNECT


async def test_a_heartbeat_comes_when_nothing_else_does(web, monkeypatch):
    monkeypatch.setattr(push, "HEARTBEAT", 0.2)
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    assert (await receive(ws))["type"] == "heartbeat"
    await ws.close()


@pytest.fixture
async def quick_recheck(db, monkeypatch):
    """A console whose push channels recheck their sessions every 0.1 s."""
    monkeypatch.setattr(push, "RECHECK", 0.1)
    async with web_running(db) as running:
        yield running


async def closed_while_pops_flow(web, ws, user_id: int, timeout: float = 3.0):
    """Send a pop every 20 ms until the channel closes; the close frame (None if it never closed)."""
    deadline = asyncio.get_running_loop().time() + timeout
    n = 0
    while asyncio.get_running_loop().time() < deadline:
        n += 1
        web.hub.send(user_id, "pop", {"call_id": f"busy-{n}"})
        try:
            msg = await asyncio.wait_for(ws.receive(), 0.02)
        except TimeoutError:
            continue
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return msg
    return None


async def test_a_revoked_session_loses_its_channel_however_busy_it_is(quick_recheck):
    web = quick_recheck
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    async with web.db.session() as s:
        await s.execute(update(WebSession).values(revoked_at=WebSession.created_at))
        await s.commit()
    msg = await closed_while_pops_flow(web, ws, web.users["agent1"])
    assert msg is not None and msg.data == push.CLOSE_LOGIN
    assert web.app[push.PUSH_SESSIONS].closed == 1


async def test_a_disabled_user_loses_the_channel_even_with_a_live_session(quick_recheck):
    web = quick_recheck
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    other = await open_ws(web, await web.login("agent2"))
    async with web.db.session() as s:
        await s.execute(update(User).where(User.id == web.users["agent1"]).values(active=False))
        await s.commit()
    msg = await closed_while_pops_flow(web, ws, web.users["agent1"])
    assert msg is not None and msg.data == push.CLOSE_LOGIN
    web.hub.send(web.users["agent2"], "pop", {"call_id": "still-here"})
    assert (await receive(other))["data"]["call_id"] == "still-here"  # the others keep theirs
    await other.close()


async def test_status_counts_push_connections(web):
    client = await web.login("agent1")
    ws = await open_ws(web, client)
    body = await (await (await web.login("boss")).get("/status")).json()  # the details are for supervisors
    assert body["components"]["push"]["connections"] == 1
    await ws.close()


async def test_a_console_opened_while_the_sessions_are_being_checked_is_kept(web, monkeypatch):
    """The recheck judges the channels it asked about: one opened meanwhile (a fresh login) is not
    taken for a revoked one."""
    watch = web.app[push.PUSH_SESSIONS]
    asked: list[set] = []
    real = push.users.live_sessions

    async def slow_live_sessions(session, ids):
        asked.append(set(ids))
        await asyncio.sleep(0.2)  # a second console connects meanwhile
        return await real(session, ids)

    monkeypatch.setattr(push.users, "live_sessions", slow_live_sessions)
    first = await open_ws(web, await web.login("agent1"))
    check = asyncio.create_task(watch.check(web.app))
    await asyncio.sleep(0.05)
    second = await open_ws(web, await web.login("agent2"))
    assert await check == 0 and len(asked[0]) == 1
    web.hub.send(web.users["agent2"], "pop", {"call_id": "still-open"})
    assert (await receive(second))["data"]["call_id"] == "still-open"
    await first.close()
    await second.close()
