"""Field service over HTTP, as the people using it see it: the dispatcher gives a job out, the engineer
checks in and reports from the work list, the supervisor reviews; nobody sees another's work,
every refused form says why and saves nothing."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import func, select
from web_support import PASSWORD, csrf_from, login, page_token, web, web_running  # noqa: F401

from cti.audit.models import AuditEntry
from cti.dispatch.models import CompletionReport, Engineer, ServiceOutlet, ServiceRegion
from cti.http import keys
from cti.tickets.models import Ticket
from cti.tickets.service import Actor
from cti.users import service as users
from tests.integration.dispatch.support import add_crew, add_customer_with_products, open_on_site

AGENT = Actor("agent1", "agent")


def tomorrow(web) -> str:
    return (dt.datetime.now(web.settings.zone).date() + dt.timedelta(days=1)).isoformat()


def local_now(web) -> str:
    return dt.datetime.now(web.settings.zone).strftime("%Y-%m-%dT%H:%M")


def text_of(page: str) -> str:
    """The page's text as a reader sees it (tags out, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def job(web, warranty: str = "out") -> int:
    customer = await add_customer_with_products(web.db, "王芳", "+8613800138000")
    async with web.db.session() as s:
        row = await s.get(type(customer), customer.id)
        row.city, row.district, row.address = "北京市", "朝阳区", "北京市朝阳区建国路88号 9号楼2单元1502室"
        await s.commit()
    return await open_on_site(web.app[keys.SERVICE].tickets, customer, warranty=warranty, actor=AGENT,
                              description="空调不制冷，外机不转")


async def state_of(web, ticket_id: int) -> str:
    async with web.db.session() as s:
        return (await s.get(Ticket, ticket_id)).state


async def dispatch(web, client, ticket_id: int, assignee: str, **override) -> object:
    token = await page_token(client, "/dispatch")
    data = {"csrf_token": token, "assignee": assignee, "day": tomorrow(web), "start": "09:00", "end": "12:00",
            "note": ""} | override
    return await client.post(f"/dispatch/{ticket_id}", data=data, allow_redirects=False)


async def test_dispatch_arrive_complete_review_over_http(web):
    crew = await add_crew(web.db)
    ticket_id = await job(web)
    agent = await web.login("agent1")
    board = text_of(await (await agent.get("/dispatch")).text())
    assert "建议： 张伟 · 北京朝阳服务网点 (按区县)" in board and "完工待审核" not in board  # no reviews for agents

    done = await dispatch(web, agent, ticket_id, f"e:{crew.engineers['eng1']}")
    assert (done.status, done.headers["Location"]) == (303, "/dispatch")
    assert f"已派工：{tomorrow(web)} 09:00–12:00。" in text_of(await (await agent.get("/dispatch")).text())

    engineer = await web.client()
    landed = await login(engineer, "eng1", PASSWORD)
    assert (landed.status, landed.headers["Location"]) == (302, "/work")  # engineers land on their work list
    assert (await engineer.get("/", allow_redirects=False)).headers["Location"] == "/work"
    page = await (await engineer.get("/work")).text()
    assert 'href="tel:+8613800138000"' in page and 'data-testid="nav-work"' in page and 'href="/customers"' not in page
    shown = text_of(page)
    for expected in ("王芳", "138 0013 8000", "北京市朝阳区建国路88号", "09:00–12:00", "空调 KFR-35GW", "保外（收费）",
                     "空调不制冷，外机不转", "到达"):
        assert expected in shown, expected

    token = csrf_from(page)
    arrived = await engineer.post(f"/work/{ticket_id}/arrive", data={"csrf_token": token}, allow_redirects=False)
    assert arrived.status == 303 and await state_of(web, ticket_id) == "on_site"
    form = await (await engineer.get(f"/work/{ticket_id}/complete")).text()
    assert form.count('data-testid="part-row"') == 3 and 'name="labour"' in form
    more = await engineer.post(f"/work/{ticket_id}/complete", data={
        "csrf_token": token, "rows": "3", "add_row": "1", "work_done": "更换电容", "part_name_0": "压缩机电容"})
    more_page = await more.text()
    assert more.status == 200 and more_page.count('data-testid="part-row"') == 4 and "压缩机电容" in more_page
    assert await state_of(web, ticket_id) == "on_site"  # adding a row saves nothing

    sent = await engineer.post(f"/work/{ticket_id}/complete", data={
        "csrf_token": token, "rows": "4", "completed_at": local_now(web), "work_done": "更换压缩机电容，试机正常",
        "part_name_0": "压缩机电容", "part_qty_0": "2", "part_price_0": "35.5", "labour": "80"}, allow_redirects=False)
    assert sent.status == 303, text_of(await sent.text())
    after = text_of(await (await engineer.get("/work")).text())
    assert "完工单已提交" in after and "已完工，等待审核" in after

    boss = await web.login("boss")
    review = text_of(await (await boss.get("/dispatch")).text())
    assert "更换压缩机电容，试机正常" in review and "人工费 ¥80.00 · 配件费 ¥71.00 · 合计 ¥151.00" in review
    token = await page_token(boss, "/dispatch")
    approved = await boss.post(f"/dispatch/{ticket_id}/approve", data={"csrf_token": token}, allow_redirects=False)
    assert approved.status == 303 and await state_of(web, ticket_id) == "closed"
    assert "审核通过，工单已关闭。" in text_of(await (await boss.get("/dispatch")).text())
    assert ticket_id not in [j for j in re.findall(r'id="job-(\d+)"', await (await engineer.get("/work")).text())]


async def test_an_engineer_sees_and_changes_only_their_own_jobs(web):
    crew = await add_crew(web.db)
    ticket_id = await job(web)
    agent = await web.login("agent1")
    assert (await dispatch(web, agent, ticket_id, f"e:{crew.engineers['eng1']}")).status == 303
    other = await web.login("eng2")
    page = await (await other.get("/work")).text()
    assert "王芳" not in page and "目前没有派给您的工单。" in text_of(page)
    token = csrf_from(page)
    assert (await other.get(f"/work/{ticket_id}/complete")).status == 404
    assert (await other.post(f"/work/{ticket_id}/arrive", data={"csrf_token": token})).status == 404
    assert (await other.post(f"/work/{ticket_id}/complete", data={"csrf_token": token, "work_done": "x"})).status == 404
    assert (await other.get("/work/999999/complete")).status == 404  # the same answer as for a job that does not exist
    assert await state_of(web, ticket_id) == "dispatched"
    for path in ("/dispatch", "/customers", "/calls", f"/dispatch/{ticket_id}"):
        assert (await other.get(path)).status == 403, path
    assert (await agent.get("/work")).status == 403
    token = await page_token(agent, "/dispatch")
    assert (await agent.post(f"/dispatch/{ticket_id}/approve", data={"csrf_token": token})).status == 403


async def test_in_warranty_work_has_no_charges_and_refuses_them(web):
    crew = await add_crew(web.db)
    ticket_id = await job(web, warranty="in")
    agent = await web.login("agent1")
    await dispatch(web, agent, ticket_id, f"e:{crew.engineers['eng1']}")
    engineer = await web.login("eng1")
    token = await page_token(engineer, "/work")
    await engineer.post(f"/work/{ticket_id}/arrive", data={"csrf_token": token})
    form = await (await engineer.get(f"/work/{ticket_id}/complete")).text()
    assert 'name="labour"' not in form and 'name="part_price_0"' not in form and "不收取人工费和配件费" in text_of(form)
    refused = await engineer.post(f"/work/{ticket_id}/complete", data={
        "csrf_token": token, "rows": "3", "completed_at": local_now(web), "work_done": "更换电容",
        "part_name_0": "电容", "labour": "80"})
    assert refused.status == 422
    assert "在保（或无保修信息）的服务不能收费" in text_of(await refused.text())
    async with web.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(CompletionReport)) == 0
    assert await state_of(web, ticket_id) == "on_site"


async def test_refused_forms_name_every_problem_and_save_nothing(web):
    crew = await add_crew(web.db)
    ticket_id = await job(web)
    agent = await web.login("agent1")
    yesterday = (dt.datetime.now(web.settings.zone).date() - dt.timedelta(days=1)).isoformat()
    refused = await dispatch(web, agent, ticket_id, "", day=yesterday)
    shown = text_of(await refused.text())
    assert refused.status == 422 and "请选择工程师或网点。" in shown and "预约时间已过，请选择将来的时间。" in shown
    refused = await dispatch(web, agent, ticket_id, f"e:{crew.engineers['eng1']}", start="14:00", end="10:00")
    assert refused.status == 422 and "结束时间必须晚于开始时间。" in text_of(await refused.text())
    async with web.db.session() as s:
        ticket = await s.get(Ticket, ticket_id)
        assert (ticket.state, ticket.engineer_id) == ("to_dispatch", None)

    await dispatch(web, agent, ticket_id, f"e:{crew.engineers['eng1']}")
    engineer = await web.login("eng1")
    token = await page_token(engineer, "/work")
    await engineer.post(f"/work/{ticket_id}/arrive", data={"csrf_token": token})
    refused = await engineer.post(f"/work/{ticket_id}/complete", data={
        "csrf_token": token, "rows": "3", "completed_at": local_now(web), "work_done": " ",
        "part_qty_0": "2", "part_name_1": "电容", "part_qty_1": "0", "labour": "八十"})
    page = await refused.text()
    shown = text_of(page)
    assert refused.status == 422
    for message in ("请填写处理内容。", "请填写配件名称，或清空这一行。", "数量须为 1 到 999 的整数。", "金额格式不对"):
        assert message in shown, message
    assert 'value="八十"' in page and 'name="part_name_1" value="电容"' in page  # what was typed comes back
    assert await state_of(web, ticket_id) == "on_site"


async def test_a_supervisor_sends_the_work_back_with_a_note(web):
    crew = await add_crew(web.db)
    ticket_id = await job(web)
    agent = await web.login("agent1")
    await dispatch(web, agent, ticket_id, f"e:{crew.engineers['eng1']}")
    engineer = await web.login("eng1")
    token = await page_token(engineer, "/work")
    await engineer.post(f"/work/{ticket_id}/arrive", data={"csrf_token": token})
    await engineer.post(f"/work/{ticket_id}/complete", data={"csrf_token": token, "rows": "3",
                                                             "completed_at": local_now(web), "work_done": "已修复"})
    boss = await web.login("boss")
    token = await page_token(boss, "/dispatch")
    refused = await boss.post(f"/dispatch/{ticket_id}/reject", data={"csrf_token": token, "note": "", "back_to": "on_site"})
    assert refused.status == 422 and "退回时请写明原因。" in text_of(await refused.text())
    assert await state_of(web, ticket_id) == "completed"
    sent = await boss.post(f"/dispatch/{ticket_id}/reject", data={"csrf_token": token, "note": "<b>请补拍</b>试机照片",
                                                                  "back_to": "on_site"}, allow_redirects=False)
    assert sent.status == 303 and await state_of(web, ticket_id) == "on_site"
    page = await (await engineer.get("/work")).text()
    assert "&lt;b&gt;请补拍&lt;/b&gt;试机照片" in page and "<b>请补拍" not in page  # escaped
    assert "审核退回：" in text_of(page)


async def test_administrators_keep_outlets_engineers_and_regions_audited(web):
    async with web.db.session() as s:
        await users.create(s, username="root", password=PASSWORD, role="admin")
        eng = await users.create(s, username="eng9", password=PASSWORD, role="engineer", display_name="刘师傅")
    root = await web.login("root")
    for path in ("/admin/outlets", "/admin/engineers", "/admin/regions"):
        assert (await root.get(path)).status == 200
        assert (await (await web.login("boss")).get(path)).status == 403
    token = await page_token(root, "/admin/outlets")
    saved = await root.post("/admin/outlets", data={"csrf_token": token, "name": "<i>西城网点</i>", "city": "北京市",
                                                    "district": "西城区", "phone": "010-6601 0000", "active": "1"},
                            allow_redirects=False)
    assert saved.status == 303
    page = await (await root.get("/admin/outlets")).text()
    assert "&lt;i&gt;西城网点&lt;/i&gt;" in page and "<i>西城网点" not in page
    async with web.db.session() as s:
        outlet_id = await s.scalar(select(ServiceOutlet.id))
    refused = await root.post("/admin/engineers", data={"csrf_token": token, "name": "刘师傅", "phone": "abc",
                                                        "user_id": str(web.users["agent1"]), "active": "1"})
    assert refused.status == 422 and "电话只能包含数字" in text_of(await refused.text())
    refused = await root.post("/admin/engineers", data={"csrf_token": token, "name": "刘师傅",
                                                        "user_id": str(web.users["agent1"]), "active": "1"})
    assert refused.status == 422 and "只能关联角色为“工程师”的账号。" in text_of(await refused.text())
    saved = await root.post("/admin/engineers", data={"csrf_token": token, "name": "刘师傅", "phone": "139 0000 0009",
                                                      "user_id": str(eng.id), "outlet_id": str(outlet_id), "active": "1"},
                            allow_redirects=False)
    assert saved.status == 303
    async with web.db.session() as s:
        engineer_id = await s.scalar(select(Engineer.id))
    region = {"csrf_token": token, "city": "北京市", "district": "西城区", "engineer_id": str(engineer_id)}
    assert (await root.post("/admin/regions", data=region, allow_redirects=False)).status == 303
    again = await root.post("/admin/regions", data=region | {"city": "北京"})  # the same city, written short
    assert again.status == 422 and "该城市/区县已有服务区域。" in text_of(await again.text())
    nobody = await root.post("/admin/regions", data={"csrf_token": token, "city": "北京市", "district": "东城区"})
    assert nobody.status == 422 and "请选择工程师或网点（至少一个）。" in text_of(await nobody.text())
    async with web.db.session() as s:
        region_id = await s.scalar(select(ServiceRegion.id))
        assert await s.scalar(select(func.count()).select_from(ServiceRegion)) == 1
    edit = await (await root.get(f"/admin/regions?edit={region_id}")).text()
    assert 'value="西城区"' in edit and "编辑服务区域" in text_of(edit)
    assert (await root.post(f"/admin/regions/{region_id}/delete", data={"csrf_token": token},
                            allow_redirects=False)).status == 303
    async with web.db.session() as s:
        audit = (await s.execute(select(AuditEntry.entity, AuditEntry.action).where(AuditEntry.actor == "root")
                                 .order_by(AuditEntry.id))).all()
    assert [tuple(a) for a in audit] == [("service_outlet", "create"), ("engineer", "create"),
                                         ("service_region", "create"), ("service_region", "delete")]


async def test_the_pages_speak_english_too(db):
    async with web_running(db, language="en") as running:
        crew = await add_crew(db)
        ticket_id = await job(running)
        agent = await running.login("agent1")
        assert (await dispatch(running, agent, ticket_id, f"e:{crew.engineers['eng1']}")).status == 303
        board = text_of(await (await agent.get("/dispatch")).text())
        assert "Dispatched for" in board and "To dispatch" in board
        engineer = await running.login("eng1")
        page = text_of(await (await engineer.get("/work")).text())
        assert "My jobs" in page and "Arrived" in page and "Out of warranty (charged)" in page
        refused = await dispatch(running, agent, ticket_id, "", day="2020-01-01")
        assert "Choose an engineer or an outlet." in text_of(await refused.text())
