"""``GET /status``: health for anyone (monitors read the status code), the details only for supervisors.

Without a login, or for an agent, the body is ``{"ok": true}`` or ``{"ok": false}`` and
nothing else: no PBX host or port, no error text from the PBX, no version, no internal
names. Supervisors and administrators see each component on its own.
"""

from __future__ import annotations

import json

import pytest
from web_support import web  # noqa: F401

from cti.http import keys

# What a PBX in trouble puts in the AMI component: none of it is for the public.
LEAKY_AMI = {"state": "login_failed", "host": "pbx-7.internal.example", "port": 5038,
             "last_error": "Authentication failed for user cti from 10.9.8.7"}


@pytest.fixture
def pbx_in_trouble(web, monkeypatch):
    monkeypatch.setattr(web.app[keys.SERVICE].bridge, "status", lambda: dict(LEAKY_AMI))


async def admin_client(web):
    from cti.users import service as users

    async with web.db.session() as s:
        await users.create(s, username="root", password="correct-horse-1", role="admin")
    return await web.login("root")


async def test_without_a_login_status_says_only_whether_all_is_well(web, pbx_in_trouble):
    resp = await (await web.client()).get("/status")
    text = await resp.text()
    assert resp.status == 503 and json.loads(text) == {"ok": False}
    for secret in ("pbx-7", "5038", "Authentication", "10.9.8.7", "login_failed", "version", "ami", "sqlite"):
        assert secret not in text, secret


async def test_an_agent_gets_the_same_bare_answer(web, pbx_in_trouble):
    agent = await web.login("agent1")
    resp = await agent.get("/status")
    assert resp.status == 503 and await resp.json() == {"ok": False}


async def test_anonymous_health_is_200_when_every_component_is_ok(web, monkeypatch):
    monkeypatch.setattr(web.app[keys.SERVICE].bridge, "status", lambda: {"state": "connected", "host": "pbx-7"})
    resp = await (await web.client()).get("/status")
    assert resp.status == 200 and await resp.json() == {"ok": True}


@pytest.mark.parametrize("who", ["supervisor", "admin"])
async def test_supervisors_and_administrators_see_each_component(web, pbx_in_trouble, who):
    client = await web.login("boss") if who == "supervisor" else await admin_client(web)
    resp = await client.get("/status")
    body = await resp.json()
    assert resp.status == 503 and body["ok"] is False and body["version"]
    assert set(body["components"]) == {"database", "ami", "bus", "push", "scheduler", "calendar"}
    assert body["components"]["database"]["ok"] is True
    assert body["components"]["ami"] == dict(LEAKY_AMI, ok=False)  # whatever the component reports


async def test_status_reports_the_real_bridge_to_a_supervisor(web):
    resp = await (await web.login("boss")).get("/status")
    body = await resp.json()
    assert body["components"]["ami"]["ok"] is False  # nothing listens on the AMI port
    assert body["components"]["ami"]["state"] in ("connecting", "disconnected")
    assert resp.status == 503 and body["ok"] is False
    assert "secret" not in json.dumps(body).lower()


async def test_status_is_200_when_every_component_is_ok(web, monkeypatch):
    monkeypatch.setattr(web.app[keys.SERVICE].bridge, "status", lambda: {"state": "connected", "host": "127.0.0.1"})
    resp = await (await web.login("boss")).get("/status")
    body = await resp.json()
    assert resp.status == 200 and body["ok"] is True
    assert body["components"]["ami"] == {"state": "connected", "host": "127.0.0.1", "ok": True}


async def test_status_survives_a_broken_component(web, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(web.app[keys.SERVICE].bridge, "status", broken)
    resp = await (await web.login("boss")).get("/status")
    body = await resp.json()
    assert resp.status == 503 and body["components"]["ami"] == {"ok": False, "state": "error", "error": "RuntimeError"}
    assert body["components"]["database"]["ok"] is True
