"""Console logins: passwords, throttling, server-side sessions, cookie flags, logout, roles, headers."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update
from web_support import PASSWORD, csrf_from, login, page_token, session_cookie, set_session_cookie, web, web_running  # noqa: F401

from cti.http.security import CSP
from cti.http.sessions import digest
from cti.users.models import User, WebSession


async def test_login_with_the_right_password_opens_the_console(web):
    client = await web.client()
    resp = await login(client, "agent1", PASSWORD)
    assert resp.status == 302 and resp.headers["Location"] == "/"
    page = await client.get("/")
    html = await page.text()
    assert page.status == 200
    assert 'data-testid="pops"' in html and "王芳" in html


async def test_wrong_password_is_refused_without_a_user_session(web):
    client = await web.client()
    resp = await login(client, "agent1", "not-the-password")
    assert resp.status == 401
    assert "用户名或密码错误" in await resp.text()
    assert (await client.get("/", allow_redirects=False)).status == 302
    async with web.db.session() as s:
        rows = list(await s.scalars(select(WebSession).where(WebSession.user_id.is_not(None))))
    assert rows == []


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(web):
    client = await web.client()
    resp = await login(client, "nobody", PASSWORD)
    assert resp.status == 401
    assert "用户名或密码错误" in await resp.text()


async def test_repeated_failures_throttle_that_user_from_that_address(web):
    client = await web.client()
    for _ in range(5):
        assert (await login(client, "agent1", "wrong-password")).status == 401
    blocked = await login(client, "agent1", PASSWORD)  # even the right password waits now
    assert blocked.status == 429
    assert "登录失败次数过多" in await blocked.text()
    other = await login(await web.client(), "agent2", PASSWORD)  # another user is not affected
    assert other.status == 302


async def test_session_cookie_is_httponly_samesite_and_renewed_at_every_login(web):
    client = await web.client()
    assert "cti_session" not in (await client.get("/login")).cookies  # no session before a login
    first = await login(client, "agent1", PASSWORD)
    cookie = first.cookies["cti_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]  # cookie_secure is off in tests; on behind HTTPS
    data = {"username": "agent1", "password": PASSWORD, "csrf_token": await page_token(client)}
    again = await client.post("/login", data=data, allow_redirects=False)  # a login over a live session
    renewed = again.cookies["cti_session"]
    assert renewed.value != cookie.value
    async with web.db.session() as s:
        old = await s.get(WebSession, digest(cookie.value))
        new = await s.get(WebSession, digest(renewed.value))
        stored_ids = list(await s.scalars(select(WebSession.id)))
    assert old.revoked_at is not None  # the session the browser had is discarded
    assert new.user_id == web.users["agent1"] and new.revoked_at is None
    assert cookie.value not in stored_ids and renewed.value not in stored_ids  # only hashes are stored


async def test_secure_cookie_when_configured(db):
    async with web_running(db, cookie_secure=True) as running:
        client = await running.client()
        page = await client.get("/login")
        nonce = page.cookies["cti_login"]
        assert nonce["secure"]  # the client will not send it back over plain HTTP: the test does
        data = {"username": "agent1", "password": PASSWORD, "csrf_token": csrf_from(await page.text())}
        resp = await client.post("/login", data=data, headers={"Cookie": f"cti_login={nonce.value}"},
                                 allow_redirects=False)
        assert resp.status == 302 and resp.cookies["cti_session"]["secure"]


async def test_logout_revokes_the_session_on_the_server(web):
    client = await web.login()
    stolen = session_cookie(client)
    token = await page_token(client)
    resp = await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/login"
    async with web.db.session() as s:
        row = await s.get(WebSession, digest(stolen))
    assert row.revoked_at is not None
    replay = await web.client()
    set_session_cookie(replay, stolen)
    again = await replay.get("/", allow_redirects=False)
    assert again.status == 302 and again.headers["Location"].startswith("/login")


async def test_expired_session_needs_a_new_login(web):
    client = await web.login()
    async with web.db.session() as s:
        await s.execute(update(WebSession).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        await s.commit()
    resp = await client.get("/customers?q=1", allow_redirects=False)
    assert resp.status == 302
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == ["/customers?q=1"]


async def test_deactivated_user_is_logged_out(web):
    client = await web.login()
    async with web.db.session() as s:
        await s.execute(update(User).where(User.username == "agent1").values(active=False))
        await s.commit()
    assert (await client.get("/", allow_redirects=False)).status == 302


async def test_every_page_but_login_static_and_status_needs_a_login(web):
    client = await web.client()
    for path in ("/", "/customers", "/customers/new", "/customers/1", "/calls", "/calls/export.csv"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 302, path
        assert resp.headers["Location"].startswith("/login?next="), path
    assert (await client.get("/api/me")).status == 401
    assert (await client.get("/login")).status == 200
    assert (await client.get("/static/css/app.css")).status == 200
    assert (await client.get("/status")).status in (200, 503)


async def test_login_returns_to_the_page_asked_for_but_never_off_site(web):
    resp = await login(await web.client(), "agent1", PASSWORD, next_="/calls?disposition=missed")
    assert resp.headers["Location"] == "/calls?disposition=missed"
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        resp = await login(await web.client(), "agent1", PASSWORD, next_=evil)
        assert resp.headers["Location"] == "/", evil


async def test_roles_are_checked_per_route(web):
    agent = await web.login("agent1")
    boss = await web.login("boss")
    for client in (agent, boss):
        assert (await client.get("/calls")).status == 200
        me = await (await client.get("/api/me")).json()
        assert me["role"] in ("agent", "supervisor")


async def test_security_headers_on_pages_static_files_and_errors(web):
    client = await web.login()
    for path in ("/", "/login", "/customers", "/calls", "/static/js/console.js", "/no-such-page", "/status"):
        resp = await client.get(path)
        assert resp.headers["Content-Security-Policy"] == CSP, path
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["Referrer-Policy"] == "same-origin", path
        assert resp.headers["X-Frame-Options"] == "DENY", path
    for path in ("/", "/customers?q=138", "/calls"):
        assert (await client.get(path)).headers["Cache-Control"] == "no-store", path
    assert "unsafe-inline" not in CSP


async def test_language_choice_is_kept_per_user(web):
    client = await web.login("agent1")
    token = await page_token(client)
    resp = await client.post("/language", data={"lang": "en", "next": "/calls", "csrf_token": token},
                             allow_redirects=False)
    assert resp.headers["Location"] == "/calls"
    assert "Call log" in await (await client.get("/calls")).text()
    async with web.db.session() as s:
        assert (await s.scalar(select(User.language).where(User.username == "agent1"))) == "en"
    other = await web.login("agent2")  # the default (zh) for everyone else
    assert "通话记录" in await (await other.get("/calls")).text()


async def test_a_form_posted_after_the_session_ended_goes_to_the_login_page(web):
    client = await web.client()
    resp = await client.post("/customers/new", data={"name": "x"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login"
    api = await client.post("/customers/new", data={"name": "x"}, headers={"Accept": "application/json"})
    assert api.status == 401
