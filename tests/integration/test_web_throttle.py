"""The login throttle over HTTP, behind a trusted reverse proxy and without one.

Behind the proxy every connection comes from the proxy's address; the throttle must
tell the clients apart by ``X-Forwarded-For`` — but only when the proxy is one the
operator listed in ``CTI_TRUSTED_PROXIES``, never on a client's word.
"""

from __future__ import annotations

import logging

import pytest
from web_support import PASSWORD, csrf_from, web, web_running  # noqa: F401

from cti.http.throttle import ADDRESS_LIMIT


@pytest.fixture
async def proxied(db):
    """The console behind a reverse proxy on 127.0.0.1 (where the test client connects from)."""
    async with web_running(db, trusted_proxies="127.0.0.1") as running:
        yield running


async def attempt(client, username: str, password: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = csrf_from(await (await client.get("/login", headers=headers)).text())
    data = {"username": username, "password": password, "csrf_token": token}
    return await client.post("/login", data=data, headers=headers, allow_redirects=False)


async def test_behind_a_trusted_proxy_two_clients_are_throttled_apart(proxied):
    client = await proxied.client()
    for _ in range(5):
        assert (await attempt(client, "agent1", "wrong-password", "198.51.100.1")).status == 401
    assert (await attempt(client, "agent1", PASSWORD, "198.51.100.1")).status == 429
    assert (await attempt(await proxied.client(), "agent1", PASSWORD, "198.51.100.2")).status == 302


async def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(web):
    client = await web.client()
    for i in range(5):  # a new "address" every time: all of them are really 127.0.0.1
        assert (await attempt(client, "agent1", "wrong-password", f"198.51.100.{i}")).status == 401
    assert (await attempt(client, "agent1", PASSWORD, "198.51.100.99")).status == 429


async def test_spraying_usernames_from_one_address_is_stopped(proxied):
    client = await proxied.client()
    for i in range(ADDRESS_LIMIT):
        assert (await attempt(client, f"user{i}", "Winter2026!", "198.51.100.1")).status == 401
    blocked = await attempt(client, "agent2", PASSWORD, "198.51.100.1")
    assert blocked.status == 429
    assert "您的地址登录失败次数过多" in await blocked.text()
    assert (await attempt(await proxied.client(), "agent2", PASSWORD, "198.51.100.2")).status == 302


async def test_the_log_names_the_client_not_the_proxy(proxied, caplog):
    caplog.set_level(logging.INFO, logger="cti.http.auth")
    await attempt(await proxied.client(), "agent1", "wrong-password", "198.51.100.7")
    assert "login failed: user 'agent1' from 198.51.100.7" in caplog.text


async def test_behind_a_trusted_proxy_the_console_and_its_push_channel_work(proxied):
    client = await proxied.client()
    resp = await attempt(client, "agent1", PASSWORD, "198.51.100.1")
    assert resp.status == 302
    headers = {"X-Forwarded-For": "198.51.100.1"}
    assert (await client.get("/", headers=headers)).status == 200
    ws = await client.ws_connect("/ws", headers=dict(headers, Origin=proxied.origin))
    hello = await ws.receive_json(timeout=5)
    assert hello["type"] == "hello"
    await ws.close()
