"""The login form needs no stored session: a signed, short-lived CSRF token bound to a nonce cookie.

Before a login nothing is written to ``web_sessions`` — not for the login page, not for
a language switch (a plain cookie) — so no visitor can grow that table. The form's
token is signed with a key kept in the database (the same for every process and after
a restart) and only works with the browser cookie it was issued with.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from web_support import PASSWORD, csrf_from, page_token, web  # noqa: F401

from cti.app import create_app
from cti.http import login_csrf
from cti.store import Database
from cti.store.secrets import AppSecret, shared_secret
from cti.users.models import WebSession

EXPIRED = "表单已过期"


async def session_rows(web) -> int:
    async with web.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(WebSession)))


async def form(client) -> str:
    return csrf_from(await (await client.get("/login")).text())


async def post_login(client, token: str, password: str = PASSWORD):
    data = {"username": "agent1", "password": password, "csrf_token": token}
    return await client.post("/login", data=data, allow_redirects=False)


async def test_visitors_who_do_not_log_in_leave_no_session_rows(web):
    for _ in range(10):
        client = await web.client()  # a new browser every time, as a script growing the table would be
        token = await form(client)
        resp = await client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token},
                                 allow_redirects=False)
        assert resp.status == 302
        assert "cti_session" not in resp.cookies
    assert await session_rows(web) == 0


async def test_a_login_creates_the_first_and_only_session_row(web):
    client = await web.client()
    resp = await post_login(client, await form(client))
    assert resp.status == 302 and resp.headers["Location"] == "/"
    assert await session_rows(web) == 1
    assert (await client.get("/", allow_redirects=False)).status == 200


async def test_the_form_cookie_is_httponly_samesite_strict_and_not_a_session(web):
    resp = await (await web.client()).get("/login")
    cookie = resp.cookies[login_csrf.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"] and not cookie["max-age"]  # cookie_secure is off in tests
    assert "cti_session" not in resp.cookies


async def test_a_token_from_another_browser_is_refused(web):
    theirs = await form(await web.client())
    mine = await web.client()
    await form(mine)  # I have a form cookie of my own, with another nonce
    resp = await post_login(mine, theirs)
    assert resp.status == 403 and EXPIRED in await resp.text()
    assert (await mine.get("/", allow_redirects=False)).status == 302


async def test_a_token_without_its_cookie_is_refused(web):
    client = await web.client()
    token = await form(client)
    client.session.cookie_jar.clear()
    assert (await post_login(client, token)).status == 403


async def test_a_tampered_token_is_refused(web):
    client = await web.client()
    token = await form(client)
    # a changed character inside the signature (the last one may carry only padding bits, which
    # base64 decoding ignores: changing it can leave the signature as it was)
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    for bad in (flipped, token + "x", token.split(".", 1)[1], "x" * 60, "令牌"):
        assert (await post_login(client, bad)).status == 403, bad
    assert (await post_login(client, token)).status == 302


async def test_a_form_left_open_too_long_gets_a_fresh_one_that_works(web):
    forms = web.app[login_csrf.FORMS]
    client = await web.client()
    token = await form(client)
    forms.clock = lambda: time.time() + login_csrf.MAX_AGE + 60  # two hours and a minute later
    resp = await post_login(client, token)
    html = await resp.text()
    assert resp.status == 403 and EXPIRED in html  # the friendly message, on a fresh form
    assert (await post_login(client, csrf_from(html))).status == 302


async def test_the_anonymous_language_choice_is_a_cookie(web):
    client = await web.client()
    resp = await client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": await form(client)},
                             allow_redirects=False)
    assert resp.cookies["cti_lang"].value == "en"
    assert "Sign in" in await (await client.get("/login")).text()
    assert await session_rows(web) == 0


async def test_a_logged_in_form_still_uses_the_session_token(web):
    client = await web.login()
    anonymous = await form(await web.client())
    resp = await client.post("/language", data={"lang": "en", "csrf_token": anonymous}, allow_redirects=False)
    assert resp.status == 403  # a login-form token is no good once logged in
    resp = await client.post("/language", data={"lang": "en", "csrf_token": await page_token(client)},
                             allow_redirects=False)
    assert resp.status == 302


async def test_another_process_on_the_same_database_accepts_the_form(web):
    """Two nodes behind a load balancer (or one restarted): the signing key is the database's."""
    other = TestServer(create_app(web.settings, db=web.db), host="127.0.0.1")
    await other.start_server()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:  # cookies by hand
            async with browser.get(web.server.make_url("/login")) as page:
                token = csrf_from(await page.text())
            nonce = page.cookies[login_csrf.COOKIE].value
            data = {"username": "agent1", "password": PASSWORD, "csrf_token": token}
            async with browser.post(other.make_url("/login"), data=data, allow_redirects=False,
                                    headers={"Cookie": f"{login_csrf.COOKIE}={nonce}"}) as resp:
                assert resp.status == 302
    finally:
        await other.close()


async def test_processes_starting_at_once_end_with_one_key(database_url):
    nodes = [Database(database_url) for _ in range(3)]
    try:
        from cti.store.migrate import upgrade

        await upgrade(nodes[0])
        keys = await asyncio.gather(*(shared_secret(db, "login-form") for db in nodes for _ in range(4)))
        assert len(set(keys)) == 1 and len(keys[0]) >= 40
        async with nodes[0].session() as s:
            assert await s.scalar(select(func.count()).select_from(AppSecret)) == 1
    finally:
        for db in nodes:
            await db.close()


async def test_the_loser_of_a_race_takes_the_winners_key(db, monkeypatch):
    from cti.store import secrets as store_secrets

    first = await shared_secret(db, "login-form")
    real_lookup = store_secrets._lookup
    calls = []

    async def lost_the_race(session, name):  # the first look finds nothing, as if the winner was not done
        calls.append(name)
        return None if len(calls) == 1 else await real_lookup(session, name)

    monkeypatch.setattr(store_secrets, "_lookup", lost_the_race)
    assert await shared_secret(db, "login-form") == first
