"""Caller names and customer data are attacker-controlled: every HTML page shows them as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from markupsafe import escape
from web_support import PASSWORD, csrf_from, login, page_token, web  # noqa: F401

IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = '"><script>alert(1)</script>'
CUSTOMER = '<script>alert("customer")</script>'
WEB = Path(__file__).resolve().parents[2] / "web"


def assert_escaped(html: str, *hostile: str) -> None:
    for raw in hostile:
        assert raw not in html, f"raw {raw!r} in the page"
        assert str(escape(raw)) in html, f"escaped {raw!r} missing"


async def seed(web) -> int:
    customer_id = await web.add_customer(CUSTOMER, "13800138000", notes=BREAKOUT, city=IMG)
    now = dt.datetime.now(dt.UTC)
    await web.add_call("x1", at=now, name=IMG, customer_id=customer_id)
    await web.add_call("x2", at=now - dt.timedelta(minutes=1), caller="13912345678", name=BREAKOUT)
    return customer_id


async def test_hostile_caller_names_in_the_call_log(web):
    await seed(web)
    client = await web.login()
    html = await (await client.get("/calls")).text()
    assert_escaped(html, IMG, BREAKOUT, CUSTOMER)
    assert "<script>" not in html.replace('<script src="/static/', "")


async def test_hostile_customer_in_search_and_detail(web):
    customer_id = await seed(web)
    client = await web.login()
    assert_escaped(await (await client.get("/customers", params={"q": "138 0013 8000"})).text(), CUSTOMER)
    detail = await (await client.get(f"/customers/{customer_id}")).text()
    assert_escaped(detail, CUSTOMER, BREAKOUT, IMG)
    assert_escaped(await (await client.get("/customers", params={"q": BREAKOUT})).text(), BREAKOUT)


async def test_hostile_input_redisplayed_in_forms(web):
    client = await web.login()
    token = await page_token(client, "/customers/new")
    resp = await client.post("/customers/new", data={"csrf_token": token, "name": BREAKOUT, "phones": IMG,
                                                     "notes": "</textarea>" + IMG, "city": CUSTOMER})
    assert resp.status == 422
    html = await resp.text()
    assert_escaped(html, BREAKOUT, "</textarea>" + IMG, CUSTOMER)
    prefill = await (await client.get("/customers/new", params={"name": BREAKOUT})).text()
    assert_escaped(prefill, BREAKOUT)


async def test_hostile_login_fields_and_next(web):
    client = await web.client()
    page = await client.get("/login", params={"next": "/" + BREAKOUT})
    html = await page.text()
    assert_escaped(html, BREAKOUT)
    resp = await client.post("/login", data={"username": BREAKOUT, "password": "x", "csrf_token": csrf_from(html)})
    assert resp.status == 401
    assert_escaped(await resp.text(), BREAKOUT[:64])


async def test_hostile_agent_display_name(web):
    from cti.users import service as users

    async with web.db.session() as s:
        await users.create(s, username="mallory", password=PASSWORD, display_name=IMG, interface="PJSIP/1009")
    client = await web.client()
    assert (await login(client, "mallory", PASSWORD)).status == 302
    for path in ("/", "/calls", "/customers"):
        assert_escaped(await (await client.get(path)).text(), IMG)


async def test_pages_carry_no_inline_script_or_style(web):
    await seed(web)
    client = await web.login()
    for path in ("/", "/customers?q=138", "/customers/new", "/calls", "/login", "/no-such-page"):
        html = await (await client.get(path)).text()
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path
        assert " onclick=" not in html and " onload=" not in html and "javascript:" not in html, path


def test_scripts_never_write_html():
    for js in (WEB / "static" / "js").glob("*.js"):
        text = js.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in text, f"{js.name} uses {sink}"
