"""Every state-changing request carries the session's CSRF token; without it nothing changes."""

from __future__ import annotations

from sqlalchemy import func, select
from web_support import PASSWORD, csrf_from, page_token, web  # noqa: F401

from cti.customers.models import Customer

NEW = {"name": "钱七", "phones": "13700137000", "tier": "standard", "city": "", "address": "", "notes": ""}


async def customer_count(web) -> int:
    async with web.db.session() as s:
        return int(await s.scalar(select(func.count(Customer.id))))


async def test_form_post_without_a_token_is_refused_and_changes_nothing(web):
    client = await web.login()
    resp = await client.post("/customers/new", data=NEW, allow_redirects=False)
    assert resp.status == 403
    assert "表单已过期" in await resp.text()
    assert await customer_count(web) == 0


async def test_form_post_with_a_wrong_token_is_refused(web):
    client = await web.login()
    await page_token(client)
    resp = await client.post("/customers/new", data=dict(NEW, csrf_token="x" * 43), allow_redirects=False)
    assert resp.status == 403
    resp = await client.post("/customers/new", data=dict(NEW, csrf_token="令牌"), allow_redirects=False)
    assert resp.status == 403
    assert await customer_count(web) == 0


async def test_another_sessions_token_does_not_work(web):
    mine = await web.login("agent1")
    theirs = await web.login("agent2")
    foreign = await page_token(theirs)
    resp = await mine.post("/customers/new", data=dict(NEW, csrf_token=foreign), allow_redirects=False)
    assert resp.status == 403
    assert await customer_count(web) == 0


async def test_script_requests_carry_the_token_in_a_header(web):
    client = await web.login()
    token = await page_token(client)
    headers = {"Accept": "application/json"}
    refused = await client.post("/customers/new", data=NEW, headers=headers)
    assert refused.status == 403 and (await refused.json()) == {"error": "csrf"}
    ok = await client.post("/customers/new", data=NEW, headers=dict(headers, **{"X-CSRF-Token": token}))
    assert ok.status == 201
    assert (await ok.json())["customer"]["name"] == "钱七"
    assert await customer_count(web) == 1


async def test_logout_and_language_need_the_token_too(web):
    client = await web.login()
    assert (await client.post("/logout", allow_redirects=False)).status == 403
    assert (await client.get("/", allow_redirects=False)).status == 200  # still logged in
    assert (await client.post("/language", data={"lang": "en"}, allow_redirects=False)).status == 403
    assert "工作台" in await (await client.get("/")).text()


async def test_login_form_needs_the_token_of_the_login_page(web):
    client = await web.client()
    resp = await client.post("/login", data={"username": "agent1", "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 403
    assert (await client.get("/", allow_redirects=False)).status == 302


async def test_a_foreign_origin_is_refused_even_with_a_token(web):
    client = await web.login()
    token = await page_token(client)
    resp = await client.post("/customers/new", data=dict(NEW, csrf_token=token),
                             headers={"Origin": "https://evil.example"}, allow_redirects=False)
    assert resp.status == 403
    assert await customer_count(web) == 0
    same = await client.post("/customers/new", data=dict(NEW, csrf_token=token), headers={"Origin": web.origin},
                             allow_redirects=False)
    assert same.status == 303


async def test_the_token_changes_with_the_session_at_login(web):
    client = await web.client()
    before = csrf_from(await (await client.get("/login")).text())
    resp = await client.post("/login", data={"username": "agent1", "password": PASSWORD, "csrf_token": before},
                             allow_redirects=False)
    assert resp.status == 302
    after = await page_token(client)
    assert after != before
