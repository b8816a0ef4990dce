"""The tickets pages over HTTP (SQLite and PostgreSQL): the new-ticket form, the ticket page and its
actions, the list with its filters and Chinese search, the pop's JSON actions, tickets on the customer
page and in the call log, and who may use them. Assertions read what the user is shown."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from web_support import PASSWORD, csrf_from, page_token, web, web_running  # noqa: F401

from cti.customers import service as customers
from cti.customers.service import NewProduct
from cti.http import keys
from cti.tickets import queries
from cti.tickets.models import Ticket, TicketCall, TicketNotification
from cti.tickets.service import Actor, NewTicket
from cti.users import service as users

CALL = "1764554400.17"


async def seed(web) -> dict[str, int]:
    """张三 with a product in warranty and one long out of it; 李四 with one of his own."""
    today = dt.datetime.now(web.settings.zone).date()
    zhang = await web.add_customer("张三", "+8613800138000", city="北京市", products=[
        NewProduct("空调 KFR-35GW", "SN-IN", today - dt.timedelta(days=100), 24),
        NewProduct("洗衣机 XQG80", "SN-OLD", today - dt.timedelta(days=1000), 12)])
    li = await web.add_customer("李四", "13912345678", city="上海市",
                                products=[NewProduct("冰箱 BCD-470", "SN-LI", today - dt.timedelta(days=10), 12)])
    async with web.db.session() as s:
        found = [await customers.get(s, zhang), await customers.get(s, li)]
    products = {p.serial: p.id for c in found for p in c.products}
    return {"zhang": zhang, "li": li, **products}


def desk(web):
    return web.app[keys.SERVICE].tickets


async def open_ticket(web, customer: int, kind: str = "repair", mode: str | None = "carry_in", *, by: str = "agent1",
                      role: str = "agent", **fields) -> tuple[int, str]:
    return await desk(web).open(NewTicket(customer, kind, mode, **fields), Actor(by, role, web.users.get(by)))


async def tickets_count(web) -> int:
    async with web.db.session() as s:
        return int(await s.scalar(select(func.count(Ticket.id))))


def text_of(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert match, f"no {testid} on the page"
    return match.group(1)


async def post_form(client, path: str, data: dict, *, token_from: str = "/tickets", **kwargs):
    token = await page_token(client, token_from)
    return await client.post(path, data=dict(data, csrf_token=token), allow_redirects=False, **kwargs)


# --- the new-ticket form ----------------------------------------------------------------------------


async def test_a_ticket_opened_through_the_form_exists_with_the_call_linked(web):
    ids = await seed(web)
    client = await web.login()
    form = await client.get(f"/tickets/new?customer={ids['zhang']}&call={CALL}")
    html = await form.text()
    assert form.status == 200
    # the warranty of each product is on the form before anything is saved
    assert "空调 KFR-35GW · SN-IN — 保修期内（免费）" in html and "洗衣机 XQG80 · SN-OLD — 保修期外（收费）" in html
    assert "SN-LI" not in html  # another customer's product is not offered
    assert CALL in text_of(html, "form-call")
    resp = await client.post("/tickets/new", allow_redirects=False, data={
        "csrf_token": csrf_from(html), "customer": ids["zhang"], "call": CALL, "product": ids["SN-IN"],
        "type": "repair", "mode": "carry_in", "priority": "urgent", "description": "空调不制冷，外机有异响"})
    assert resp.status == 303
    ticket_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    async with web.db.session() as s:
        ticket = await s.get(Ticket, ticket_id)
        linked = (await s.scalars(select(TicketCall.call_id).where(TicketCall.ticket_id == ticket_id))).all()
    assert (ticket.customer_id, ticket.state, ticket.warranty, ticket.priority, ticket.product_model) == (
        ids["zhang"], "awaiting_repair", "in", "urgent", "空调 KFR-35GW")
    assert linked == [CALL]
    page = await (await client.get(f"/tickets/{ticket_id}")).text()
    assert text_of(page, "ticket-number") == ticket.number
    assert text_of(page, "ticket-state") == "待修" and text_of(page, "ticket-priority") == "加急"
    assert text_of(page, "ticket-warranty") == "保修期内（免费）"
    assert text_of(page, "linked-call") == CALL and f'href="/calls?call={CALL}"' in page
    assert text_of(page, "ticket-customer") == "张三" and "空调不制冷，外机有异响" in page
    assert 'data-testid="clock-first_contact"' in page and "剩 " in page  # the promise and its time left


async def test_an_invalid_form_comes_back_with_the_messages_and_the_input_and_saves_nothing(web):
    ids = await seed(web)
    client = await web.login()
    data = {"customer": ids["zhang"], "call": CALL, "product": "", "type": "repair", "mode": "", "priority": "normal",
            "description": "漏水 <b>严重</b>"}
    resp = await post_form(client, "/tickets/new", data)
    html = await resp.text()
    assert resp.status == 422
    assert text_of(html, "error-product") == "请选择产品，或选择“不涉及具体产品”。"
    assert text_of(html, "error-mode") == "报修需选择服务方式：送修或上门。"
    assert "漏水 &lt;b&gt;严重&lt;/b&gt;</textarea>" in html  # kept, escaped
    assert f'name="call" value="{CALL}"' in html
    # another customer's product, a description too long: said, nothing saved
    resp = await post_form(client, "/tickets/new", dict(data, product=ids["SN-LI"], mode="on_site",
                                                        description="长" * 4001))
    html = await resp.text()
    assert resp.status == 422
    assert text_of(html, "error-product") == "该产品不属于此客户。"
    assert text_of(html, "error-description") == "内容过长（最多 4000 个字）。"
    # an agent may not mark a claim unit; the console's dialog gets the same as JSON
    resp = await post_form(client, "/tickets/new", dict(data, product="none", mode="on_site", claim_unit="1"),
                           headers={"Accept": "application/json"})
    assert resp.status == 422
    assert (await resp.json())["errors"] == {"claim_unit": "只有主管可以标记理赔机。"}
    assert await tickets_count(web) == 0


async def test_without_the_csrf_token_no_ticket_is_opened(web):
    ids = await seed(web)
    client = await web.login()
    resp = await client.post("/tickets/new", allow_redirects=False, data={
        "customer": ids["zhang"], "product": "none", "type": "complaint", "priority": "normal"})
    assert resp.status == 403
    assert await tickets_count(web) == 0


async def test_the_console_dialog_opens_a_ticket_as_json_and_can_move_the_automatic_link(web):
    ids = await seed(web)
    old, _ = await open_ticket(web, ids["zhang"], "complaint", None)
    await desk(web).link_call(old, CALL, Actor("system", "admin"))  # what the call linker does at the offer
    client = await web.login()
    token = await page_token(client, "/")
    resp = await client.post("/tickets/new", headers={"X-CSRF-Token": token, "Accept": "application/json"}, data={
        "customer": ids["zhang"], "call": CALL, "product": ids["SN-OLD"], "type": "repair", "mode": "on_site",
        "priority": "high", "description": "洗衣机脱水时漏水", "move_from": old})
    assert resp.status == 201
    line = (await resp.json())["ticket"]
    assert (line["state"], line["warranty"], line["type"], line["mode"], line["open"]) == (
        "to_dispatch", "out", "repair", "on_site", True)
    async with web.db.session() as s:
        links = (await s.execute(select(TicketCall.ticket_id).where(TicketCall.call_id == CALL))).scalars().all()
    assert links == [line["id"]]  # moved from the complaint to the new ticket


async def test_a_supervisor_marks_a_claim_unit_when_opening(web):
    ids = await seed(web)
    client = await web.login("boss")
    html = await (await client.get(f"/tickets/new?customer={ids['li']}")).text()
    assert 'data-testid="claim-unit"' in html
    assert 'selected>冰箱 BCD-470' in html  # the only product is chosen, its warranty shown
    resp = await post_form(client, "/tickets/new", {"customer": ids["li"], "product": ids["SN-LI"],
                                                    "type": "installation", "priority": "normal", "claim_unit": "1"})
    assert resp.status == 303
    page = await (await client.get(resp.headers["Location"])).text()
    assert text_of(page, "claim-unit") == "理赔机" and text_of(page, "ticket-type") == "安装 · 上门"


# --- the ticket page and its actions ---------------------------------------------------------------


async def test_a_refused_change_says_why_and_changes_nothing(web):
    ids = await seed(web)
    ticket_id, _ = await open_ticket(web, ids["zhang"], "complaint", None)
    client = await web.login()
    page = await (await client.get(f"/tickets/{ticket_id}")).text()
    assert 'data-testid="action-start"' in page  # the workflow offers "start" to an agent, not "close"
    assert 'data-testid="action-close"' not in page
    page_path = f"/tickets/{ticket_id}"
    resp = await post_form(client, f"{page_path}/state", {"target": "closed"}, token_from=page_path)
    assert resp.status == 409
    assert text_of(await resp.text(), "action-error") == "工单不能从“待处理”转为“已关闭”。"
    resp = await post_form(client, f"/tickets/{ticket_id}/state", {"target": "processing"},
                           token_from=f"/tickets/{ticket_id}")
    assert resp.status == 303
    page = await (await client.get(f"/tickets/{ticket_id}")).text()
    assert text_of(page, "done") == "已执行“开始处理”，工单现为“处理中”。"
    resp = await post_form(client, f"/tickets/{ticket_id}/state", {"target": "resolved", "note": "  "},
                           token_from=f"/tickets/{ticket_id}")
    html = await resp.text()
    assert resp.status == 409
    assert text_of(html, "action-error") == "“解决”需要填写备注。"
    assert re.search(r'<details class="transition" open>\s*<summary class="btn" data-testid="action-resolve"', html)
    async with web.db.session() as s:
        assert (await s.get(Ticket, ticket_id)).state == "processing"
    resp = await post_form(client, f"/tickets/{ticket_id}/state", {"target": "resolved", "note": "已补偿 200 元"},
                           token_from=f"/tickets/{ticket_id}")
    assert resp.status == 303
    page = await (await client.get(f"/tickets/{ticket_id}")).text()
    assert text_of(page, "ticket-state") == "已解决"
    history = page[page.index('data-testid="history"'):]
    assert "解决：处理中 → 已解决" in history and "已补偿 200 元" in history and "王芳" in history


async def test_notes_notifications_assignment_and_reopen_on_the_page(web):
    ids = await seed(web)
    ticket_id, _ = await open_ticket(web, ids["zhang"], product_id=ids["SN-IN"])
    boss = Actor("boss", "supervisor", web.users["boss"])
    await desk(web).change_state(ticket_id, "in_repair", boss)
    await desk(web).change_state(ticket_id, "ready_for_pickup", boss)  # owes the customer a 修复通知
    client = await web.login()
    page = f"/tickets/{ticket_id}"
    resp = await post_form(client, f"{page}/note", {"note": ""}, token_from=page)
    assert resp.status == 422 and text_of(await resp.text(), "action-error") == "请先填写备注内容。"
    assert (await post_form(client, f"{page}/note", {"note": "客户下午来取"}, token_from=page)).status == 303
    html = await (await client.get(page)).text()
    assert "修复通知" in html and text_of(html, "notification-attempts") == "已尝试 0 次"
    async with web.db.session() as s:
        notification = await s.scalar(select(TicketNotification.id).where(TicketNotification.ticket_id == ticket_id))
    url = f"{page}/notifications/{notification}"
    assert (await post_form(client, url, {"done": "0", "note": "无人接听"}, token_from=page)).status == 303
    html = await (await client.get(page)).text()
    assert text_of(html, "done") == "已记录一次尝试。" and "已尝试 1 次 · 最近 " in html
    assert (await post_form(client, url, {"done": "1"}, token_from=page)).status == 303
    html = await (await client.get(page)).text()
    assert 'data-testid="notify-done"' not in html and "已尝试 2 次" in html and "由 王芳 通知" in html
    # an agent takes the ticket; giving it to someone else is a supervisor's
    assert (await post_form(client, f"{page}/assign", {"assignee": "me"}, token_from=page)).status == 303
    assert text_of(await (await client.get(page)).text(), "assignee") == "王芳"
    resp = await post_form(client, f"{page}/assign", {"assignee": str(web.users["agent2"])}, token_from=page)
    assert resp.status == 422 and text_of(await resp.text(), "action-error") == "只有主管可以把工单分配给他人。"
    boss_client = await web.login("boss")
    assert (await post_form(boss_client, f"{page}/assign", {"assignee": str(web.users["agent2"])},
                            token_from=page)).status == 303
    assert text_of(await (await boss_client.get(page)).text(), "assignee") == "李娜"
    # picked up, then reopened within the window
    assert (await post_form(client, f"{page}/state", {"target": "picked_up"}, token_from=page)).status == 303
    html = await (await client.get(page)).text()
    assert text_of(html, "ticket-state") == "已取" and 'data-testid="action-reopen"' in html
    assert (await post_form(client, f"{page}/reopen", {"note": "又不制冷了"}, token_from=page)).status == 303
    html = await (await client.get(page)).text()
    assert text_of(html, "done") == "工单已重开。" and text_of(html, "ticket-state") == "待修"


async def test_the_pop_links_a_call_and_reopens_with_json(web):
    ids = await seed(web)
    first, _ = await open_ticket(web, ids["zhang"], "complaint", None)
    second, _ = await open_ticket(web, ids["zhang"], "repair", "on_site")
    await desk(web).link_call(first, CALL, Actor("system", "admin"))
    client = await web.login()
    token = await page_token(client, "/")
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    resp = await client.post(f"/tickets/{second}/link", headers=headers, data={"call": CALL, "move_from": first})
    assert resp.status == 200 and (await resp.json())["ticket"]["id"] == second
    async with web.db.session() as s:
        assert (await s.scalars(select(TicketCall.ticket_id).where(TicketCall.call_id == CALL))).all() == [second]
    resp = await client.post(f"/tickets/{second}/link", headers=headers, data={"call": ""})
    assert resp.status == 422 and (await resp.json())["error"] == "没有可关联的来电。"
    enquiry, _ = await open_ticket(web, ids["zhang"], "enquiry", None)  # closed on save
    resp = await client.post(f"/tickets/{enquiry}/reopen", headers=headers, data={"call": "1764554999.3"})
    line = (await resp.json())["ticket"]
    assert resp.status == 200 and (line["state"], line["open"]) == ("open", True)
    resp = await client.post(f"/tickets/{enquiry}/reopen", headers=headers, data={})  # open: nothing to reopen
    assert resp.status == 409 and "7 天" in (await resp.json())["error"]


# --- the list ----------------------------------------------------------------------------------------


def numbers_in(html: str) -> list[str]:
    return re.findall(r'data-testid="ticket-link">([^<]+)<', html)


async def test_the_list_filters_and_finds_chinese_words(web):
    ids = await seed(web)
    leak, leak_no = await open_ticket(web, ids["zhang"], product_id=ids["SN-OLD"], description="洗衣机漏水严重，地面全是水")
    cold, cold_no = await open_ticket(web, ids["zhang"], product_id=ids["SN-IN"], priority="urgent",
                                      description="空调不制冷")
    _, moan_no = await open_ticket(web, ids["li"], "complaint", None, priority="high", description="师傅迟到两小时",
                                   by="agent2")
    _, ask_no = await open_ticket(web, ids["li"], "enquiry", None, description="咨询以旧换新")  # closed on save
    client = await web.login()

    async def listed(**query) -> list[str]:
        resp = await client.get("/tickets", params=query)
        assert resp.status == 200
        return numbers_in(await resp.text())

    assert sorted(await listed()) == sorted([leak_no, cold_no, moan_no, ask_no])
    assert await listed(q="漏水") == [leak_no]
    assert await listed(q="制冷") == [cold_no]
    assert await listed(q="迟到") == [moan_no]
    assert await listed(q="张三 漏水") == [leak_no]  # the customer's name is searched too
    assert await listed(q="冰箱漏水") == []
    assert await listed(type="complaint") == [moan_no]
    assert await listed(priority="urgent") == [cold_no]
    assert await listed(warranty="out") == [leak_no]
    assert sorted(await listed(open="1")) == sorted([leak_no, cold_no, moan_no])
    assert sorted(await listed(mine="1")) == sorted([leak_no, cold_no, ask_no])  # agent1 opened them: theirs
    assert sorted(await listed(city="上海市")) == sorted([moan_no, ask_no])
    assert await listed(model="空调 KFR-35GW") == [cold_no]
    assert await listed(state="closed") == [ask_no]
    today = dt.datetime.now(web.settings.zone).date()
    assert len(await listed(**{"from": today.isoformat(), "to": today.isoformat()})) == 4
    assert await listed(**{"from": (today + dt.timedelta(days=1)).isoformat()}) == []
    assert (await listed(sort="priority", dir="desc"))[:2] == [cold_no, moan_no]  # 加急 before 高
    by_due = await listed(sort="due", dir="asc")
    assert by_due[0] == cold_no and by_due[-1] == ask_no  # urgent: 4 working hours; no promise: last
    html = await (await client.get("/tickets", params={"q": "漏水", "type": "bogus"})).text()
    assert text_of(html, "tickets-total") == "共 1 张工单 · 匹配“漏水”"
    assert "张三" in html and "保修期外（收费）" in html and "正常" in html  # customer, warranty, SLA in words
    assert 'aria-sort="descending"' in html  # the default order (opened, newest first) is marked
    assert leak and cold


async def test_a_list_too_long_to_count_says_more_than_the_cap(web, monkeypatch):
    ids = await seed(web)
    for _ in range(3):
        await open_ticket(web, ids["zhang"], description="漏水")
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    client = await web.login()

    html = await (await client.get("/tickets")).text()
    assert text_of(html, "tickets-total") == "超过 2 张工单，请缩小筛选范围"
    assert len(numbers_in(html)) == 3  # the page itself is whole
    html = await (await client.get("/tickets", params={"q": "漏水"})).text()
    assert text_of(html, "tickets-total") == "共 3 张工单 · 匹配“漏水”"  # under the search's cap of 1,000


async def test_the_list_marks_tickets_at_risk_and_breached_in_words(web):
    ids = await seed(web)
    late, _ = await open_ticket(web, ids["zhang"], "complaint", None)
    async with web.db.session() as s:
        (await s.get(Ticket, late)).sla_status = "breached"
        await s.commit()
    client = await web.login()
    html = await (await client.get("/tickets", params={"sla": "breached"})).text()
    assert 'class="row-breached"' in html and '<span class="badge sla-breached" data-testid="sla">已超时</span>' in html


async def test_the_list_pages(web):
    ids = await seed(web)
    for n in range(51):
        await open_ticket(web, ids["li"], "enquiry", None, description=f"第{n}次咨询")
    client = await web.login()
    html = await (await client.get("/tickets", params={"type": "enquiry"})).text()
    assert len(numbers_in(html)) == 50 and "第 1 / 2 页" in html
    second = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "type=enquiry" in second
    assert len(numbers_in(await (await client.get(second)).text())) == 1


# --- customer page, call log -------------------------------------------------------------------------


async def test_customer_page_and_call_log_show_the_tickets(web):
    ids = await seed(web)
    now = dt.datetime.now(dt.UTC)
    await web.add_call(CALL, at=now - dt.timedelta(minutes=5), customer_id=ids["zhang"])
    await web.add_call("other.1", at=now - dt.timedelta(minutes=3), customer_id=ids["zhang"])
    ticket_id, number = await open_ticket(web, ids["zhang"], product_id=ids["SN-IN"], call_id=CALL,
                                          description="<script>alert(1)</script>")
    client = await web.login()
    html = await (await client.get(f"/customers/{ids['zhang']}")).text()
    assert f'href="/tickets/new?customer={ids["zhang"]}"' in html
    assert text_of(html, "ticket-link") == number and "待修" in html
    assert text_of(html, "call-ticket") == number  # the call in the history names its ticket
    log = await (await client.get("/calls")).text()
    assert log.count('data-testid="call-ticket"') == 1 and f'href="/tickets/{ticket_id}"' in log
    one = await (await client.get("/calls", params={"call": CALL})).text()
    assert one.count('data-testid="call-row"') == 1 and text_of(one, "call-ticket") == number
    page = await (await client.get(f"/tickets/{ticket_id}")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


async def test_the_pages_speak_english_too(db):
    async with web_running(db, language="en") as running:
        ids = await seed(running)
        ticket_id, _ = await open_ticket(running, ids["zhang"], product_id=ids["SN-OLD"])
        client = await running.login()
        page = await (await client.get(f"/tickets/{ticket_id}")).text()
        assert text_of(page, "ticket-state") == "Awaiting repair"
        assert text_of(page, "ticket-warranty") == "Out of warranty (chargeable)"
        form = await (await client.get(f"/tickets/new?customer={ids['zhang']}")).text()
        assert "— Choose the product —" in form and "In warranty (free)" in form
        listing = await (await client.get("/tickets")).text()
        assert text_of(listing, "tickets-total") == "1 tickets" and "Carry-in" in listing


# --- who may ----------------------------------------------------------------------------------------


async def test_engineers_are_refused_and_visitors_sent_to_log_in(web):
    ids = await seed(web)
    ticket_id, _ = await open_ticket(web, ids["zhang"])
    async with web.db.session() as s:
        await users.create(s, username="eng1", password=PASSWORD, role="engineer", interface=None,
                           display_name="赵工")
    engineer = await web.login("eng1")
    for path in ("/tickets", f"/tickets/new?customer={ids['zhang']}", f"/tickets/{ticket_id}"):
        assert (await engineer.get(path, allow_redirects=False)).status == 403, path
    resp = await engineer.post(f"/tickets/{ticket_id}/state", data={"target": "in_repair"}, allow_redirects=False)
    assert resp.status == 403
    visitor = await web.client()
    resp = await visitor.get("/tickets?open=1", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login?next=")
    assert "open%3D1" in resp.headers["Location"]
    resp = await visitor.post(f"/tickets/{ticket_id}/note", data={"note": "x"}, allow_redirects=False)
    assert resp.status in (303, 403)
    async with web.db.session() as s:
        assert (await s.get(Ticket, ticket_id)).state == "awaiting_repair"
    agent = await web.login()
    assert 'data-testid="nav-tickets"' in await (await agent.get("/")).text()
