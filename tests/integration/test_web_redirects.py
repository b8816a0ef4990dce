"""No open redirect: after a login or a language switch the browser stays on this console.

The three places that follow a ``next`` target — ``GET /login?next=`` for someone already
logged in, the ``next`` field of ``POST /login`` and of ``POST /language`` — all answer
``Location: /`` for a target that could leave the console, and keep a local one as it is.
"""

from __future__ import annotations

import pytest
from web_support import PASSWORD, csrf_from, login, page_token, web  # noqa: F401

EVIL = [
    "//evil.example/",
    "/\\evil.example",
    "/\t/evil.example/",
    "\\/\\/evil",
    "https://evil.example",
    "http:/evil",
    "/ /evil",
    " //evil",
    "/\x00/evil",
    "javascript:alert(1)",
    "//evil.example/%2F..",
    "/\u3000/evil",
    "/\u200b/evil",
]
LOCAL = ["/customers?q=%E5%BC%A0", "/calls?since=2026-11-01#x"]


@pytest.mark.parametrize("target", EVIL, ids=ascii)
async def test_logged_in_visit_to_the_login_page_never_leaves_the_console(web, target):
    client = await web.login()
    resp = await client.get("/login", params={"next": target}, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/"


async def test_a_tab_written_as_percent_09_in_the_link_is_refused(web):
    client = await web.login()
    resp = await client.get("/login?next=/%09/evil.example/", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", EVIL, ids=ascii)
async def test_login_form_never_sends_the_browser_off_site(web, target):
    resp = await login(await web.client(), "agent1", PASSWORD, next_=target)
    assert resp.status == 302 and resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", EVIL, ids=ascii)
async def test_language_switch_never_sends_the_browser_off_site(web, target):
    client = await web.login()
    data = {"lang": "en", "next": target, "csrf_token": await page_token(client)}
    resp = await client.post("/language", data=data, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/"


async def test_language_switch_before_login_never_sends_the_browser_off_site(web):
    client = await web.client()
    for target in EVIL:
        token = csrf_from(await (await client.get("/login")).text())
        data = {"lang": "en", "next": target, "csrf_token": token}
        resp = await client.post("/language", data=data, allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"] == "/", ascii(target)


@pytest.mark.parametrize("target", LOCAL)
async def test_local_targets_are_followed_everywhere(web, target):
    resp = await login(await web.client(), "agent1", PASSWORD, next_=target)
    assert resp.headers["Location"] == target
    client = await web.login()
    again = await client.get("/login", params={"next": target}, allow_redirects=False)
    assert again.headers["Location"] == target
    data = {"lang": "en", "next": target, "csrf_token": await page_token(client)}
    switched = await client.post("/language", data=data, allow_redirects=False)
    assert switched.headers["Location"] == target
