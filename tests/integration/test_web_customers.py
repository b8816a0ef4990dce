"""Customer pages: search in any written form, the card, the new-customer form and its errors."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from web_support import page_token, web  # noqa: F401

from cti.customers.models import Customer, CustomerPhone
from cti.customers.service import NewProduct
from cti.customers.warranty import add_months


def names_in(html: str) -> list[str]:
    return re.findall(r'data-testid="result-name">([^<]+)<', html)


async def seed(web) -> dict[str, int]:
    today = dt.datetime.now(web.settings.zone).date()  # warranty is judged on the console's local day
    products = [
        NewProduct("空调 KFR-35GW", "SN-IN", today - dt.timedelta(days=100), 24),
        NewProduct("冰箱 BCD-470", "SN-SOON", add_months(today, -12) + dt.timedelta(days=10), 12),  # 10 days left
        NewProduct("洗衣机 XQG", "SN-OLD", today - dt.timedelta(days=1000), 12),
    ]
    return {
        "zhang": await web.add_customer("张三", "+86 138 0013 8000", tier="vip", notes="来电优先接听",
                                        city="北京市", products=products),
        "li": await web.add_customer("李四", "13912345678", "010 8888 8888"),
        "wang": await web.add_customer("王五", "010-8888-8888"),  # shares the landline with 李四
    }


async def test_search_finds_a_number_written_any_way(web):
    ids = await seed(web)
    client = await web.login()
    for query in ("+86 138 0013 8000", "013800138000", "13800138000", "138-0013-8000", "8613800138000", "0013 8000"):
        resp = await client.get("/customers", params={"q": query})
        assert names_in(await resp.text()) == ["张三"], query
    shared = names_in(await (await client.get("/customers", params={"q": "(010) 8888 8888"})).text())
    assert sorted(shared) == ["李四", "王五"]
    assert ids


async def test_search_by_partial_digits_and_by_name(web):
    await seed(web)
    client = await web.login()
    assert names_in(await (await client.get("/customers?q=5678")).text()) == ["李四"]
    assert names_in(await (await client.get("/customers", params={"q": "王"})).text()) == ["王五"]
    short = await (await client.get("/customers?q=13")).text()
    assert 'data-testid="too-short"' in short and names_in(short) == []
    none = await (await client.get("/customers", params={"q": "赵六"})).text()
    assert "没有匹配" in none and "/customers/new?name=%E8%B5%B5%E5%85%AD" in none


async def test_customer_page_shows_the_card_and_call_history(web):
    ids = await seed(web)
    now = dt.datetime.now(dt.UTC)
    await web.add_call("h1", at=now - dt.timedelta(hours=2), customer_id=ids["zhang"], disposition="answered", talk=125)
    await web.add_call("h2", at=now - dt.timedelta(hours=1), customer_id=ids["zhang"], disposition="missed")
    client = await web.login()
    resp = await client.get(f"/customers/{ids['zhang']}")
    html = await resp.text()
    assert resp.status == 200
    assert 'data-testid="customer-name">张三<' in html
    assert "tier-vip" in html and "来电优先接听" in html and "138 0013 8000" in html
    for status in ("warranty-in_warranty", "warranty-expiring", "warranty-expired"):
        assert status in html, status
    assert "SN-SOON" in html and 'data-testid="tickets-empty"' in html
    history = html[html.index('data-testid="history"'):]
    assert history.index("未接") < history.index("已接听")  # newest first
    assert "2:05" in history and "王芳" in history  # talk time; agent by name, not by device


async def test_unknown_customer_is_a_404_page(web):
    client = await web.login()
    resp = await client.get("/customers/999999")
    assert resp.status == 404 and "页面不存在" in await resp.text()


async def test_new_customer_form_creates_with_every_number(web):
    client = await web.login()
    token = await page_token(client, "/customers/new")
    form = {"csrf_token": token, "name": "  钱  七 ", "phones": "13700137000; +86 21 6288 8888\n(010) 6666 6666",
            "tier": "vip", "city": "上海市", "address": "徐汇区", "notes": "老客户"}
    resp = await client.post("/customers/new", data=form, allow_redirects=False)
    assert resp.status == 303
    customer_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    async with web.db.session() as s:
        customer = await s.get(Customer, customer_id)
        phones = sorted(await s.scalars(select(CustomerPhone.e164).where(CustomerPhone.customer_id == customer_id)))
    assert customer.name == "钱 七" and customer.tier == "vip" and customer.city == "上海市"
    assert phones == sorted(["+8613700137000", "+862162888888", "+861066666666"])


async def test_new_customer_form_errors_keep_what_was_typed(web):
    client = await web.login()
    token = await page_token(client, "/customers/new")
    form = {"csrf_token": token, "name": "", "phones": "13700137000; 12ab; 99", "tier": "vip",
            "city": "杭州市", "address": "西湖区文三路 1 号", "notes": "第二行\n备注"}
    resp = await client.post("/customers/new", data=form)
    html = await resp.text()
    assert resp.status == 422
    assert 'data-testid="error-name"' in html and "此项必填" in html
    assert 'data-testid="error-phones"' in html and "12ab; 99" in html
    assert 'value="杭州市"' in html and 'value="西湖区文三路 1 号"' in html
    assert ">13700137000; 12ab; 99</textarea>" in html and ">第二行\n备注</textarea>" in html
    assert '<option value="vip" selected>' in html
    async with web.db.session() as s:
        assert list(await s.scalars(select(Customer))) == []


async def test_quick_create_from_a_pop_answers_json(web):
    client = await web.login()
    token = await page_token(client)
    headers = {"Accept": "application/json", "X-CSRF-Token": token}
    bad = await client.post("/customers/new", data={"name": "孙八", "phones": ""}, headers=headers)
    assert bad.status == 422 and "phones" in (await bad.json())["errors"]
    ok = await client.post("/customers/new", data={"name": "孙八", "phones": "166 1234 5678", "city": "北京市"},
                           headers=headers)
    card = (await ok.json())["customer"]
    assert ok.status == 201
    assert card["name"] == "孙八" and card["phones"][0]["e164"] == "+8616612345678" and card["tickets"]["open"] == []


async def test_new_form_can_be_prefilled_from_a_link(web):
    client = await web.login()
    html = await (await client.get("/customers/new", params={"name": "赵六", "phones": "13312345678"})).text()
    assert 'value="赵六"' in html and ">13312345678</textarea>" in html
