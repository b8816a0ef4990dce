"""The SLA policies and queue rules administrators keep, over HTTP (SQLite and PostgreSQL): a change applies
to the next ticket at once, refused input says why and saves nothing, every change is audited in its
own transaction, and nobody but an administrator reaches the pages. Assertions read what the user is
shown and what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from web_support import PASSWORD, csrf_from, web, web_running  # noqa: F401

from cti.tickets.models import QueueTicketRule, SlaClock, SlaPolicy, Ticket
from cti.users import service as users
from tests.integration.tickets.settings_support import MONDAY_10, admin, audit_rows, post, set_clock, text_of
from tests.integration.tickets.support import local

REPAIR = {"service_type": "repair", "priority": "*", "first_contact": "8", "on_site": "12", "resolution": "72",
          "at_risk": "80", "pause": "1", "calendar": "business"}
ROUTES = [("GET", "/admin/sla"), ("POST", "/admin/sla"), ("POST", "/admin/sla/1/delete"),
          ("GET", "/admin/calendars"), ("POST", "/admin/calendars"), ("POST", "/admin/calendars/1/delete"),
          ("POST", "/admin/calendars/days"), ("POST", "/admin/calendars/days/1/delete"),
          ("GET", "/admin/queue-rules"), ("POST", "/admin/queue-rules"), ("POST", "/admin/queue-rules/1/delete")]


async def first_contact(web, ticket_id: int) -> SlaClock:
    async with web.db.session() as s:
        return await s.scalar(select(SlaClock).where(SlaClock.ticket_id == ticket_id, SlaClock.kind == "first_contact"))


async def open_repair(web, client, customer: int) -> int:
    """A carry-in repair opened through the new-ticket form, as an agent does it."""
    form = await client.get(f"/tickets/new?customer={customer}")
    resp = await client.post("/tickets/new", allow_redirects=False, data={
        "csrf_token": csrf_from(await form.text()), "customer": customer, "type": "repair", "mode": "carry_in",
        "priority": "normal", "description": "空调不制冷"})
    assert resp.status == 303, await resp.text()
    return int(resp.headers["Location"].rsplit("/", 1)[1])


async def test_a_new_first_contact_promise_applies_to_the_next_ticket_at_once(web):
    set_clock(web)
    root, agent = await admin(web), await web.login("agent1")
    customer = await web.add_customer("张三", "+8613800138000")
    page = text_of(await (await root.get("/admin/sla")).text())
    assert "全部类型 全部优先级 24 小时 12 小时 72 小时 80% 是 business 内置默认" in page
    before = await open_repair(web, agent, customer)  # the desk has read (and cached) the built-in promises

    saved = await post(root, "/admin/sla", REPAIR)
    assert saved.status == 303 and saved.headers["Location"] == "/admin/sla"
    after = await open_repair(web, agent, customer)
    old, new = await first_contact(web, before), await first_contact(web, after)
    assert old.budget_seconds == 24 * 3600  # an open ticket keeps what it was promised
    assert new.budget_seconds == 8 * 3600 and new.due_at == local(2026, 11, 30, 18, 0)  # Monday 10:00 + 8 h
    page = await (await root.get("/admin/sla")).text()
    assert "SLA 策略已保存，此后新开的工单按新时限计算。" in text_of(page)
    assert "报修 全部优先级 8 小时 12 小时 72 小时 80% 是 business 自定义" in text_of(page)

    [entry] = await audit_rows(web)
    assert (entry.entity, entry.entity_id, entry.action, entry.before) == ("sla_policy", "repair/*", "create", None)
    assert entry.after == {"service_type": "repair", "priority": "*", "first_contact_hours": 8.0, "on_site_hours": 12.0,
                           "resolution_hours": 72.0, "at_risk_ratio": 0.8, "pause_while_waiting": True,
                           "calendar": "business"}


async def test_built_in_defaults_are_overridden_edited_and_restored_audited(web):
    root = await admin(web)
    edit = await (await root.get("/admin/sla?edit=*/urgent")).text()
    assert "修改内置策略（保存后覆盖默认值）" in text_of(edit) and 'name="first_contact" value="4"' in edit
    urgent = {"service_type": "*", "priority": "urgent", "first_contact": "2", "on_site": "", "resolution": "24",
              "at_risk": "75", "calendar": "24x7", "editing": "*/urgent"}  # pause unticked
    assert (await post(root, "/admin/sla", urgent)).status == 303
    assert (await post(root, "/admin/sla", urgent | {"first_contact": "3"})).status == 303
    async with web.db.session() as s:
        row = await s.scalar(select(SlaPolicy))
    assert (row.first_contact_hours, row.on_site_hours, row.at_risk_ratio, row.pause_while_waiting, row.calendar) == \
           (3.0, None, 0.75, False, "24x7")
    page = text_of(await (await root.get("/admin/sla")).text())
    assert "全部类型 加急 3 小时 不承诺 24 小时 75% 否 24x7 已修改（覆盖内置）" in page
    assert (await post(root, f"/admin/sla/{row.id}/delete", {})).status == 303
    page = text_of(await (await root.get("/admin/sla")).text())
    assert "已恢复内置默认策略。" in page and "全部类型 加急 4 小时 8 小时 36 小时 80% 是 business 内置默认" in page
    actions = [(e.entity_id, e.action, (e.before or {}).get("first_contact_hours"), (e.after or {}).get("first_contact_hours"))
               for e in await audit_rows(web)]
    assert actions == [("*/urgent", "override", 4, 2.0), ("*/urgent", "update", 2.0, 3.0), ("*/urgent", "delete", 3.0, 4)]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"at_risk": "150"}, "at_risk", "预警点须为大于 0、小于 100 的百分比（如 80）。"),
    ({"calendar": "夜班"}, "calendar", "没有名为“夜班”的日历。"),
    ({"first_contact": "-1"}, "first_contact", "请填写大于 0、不超过 8760 的工作小时数（如 8 或 0.5），或留空表示不承诺。"),
    ({"resolution": "三天"}, "resolution", "请填写大于 0、不超过 8760 的工作小时数（如 8 或 0.5），或留空表示不承诺。"),
    ({"service_type": "enquiry"}, "service_type", "咨询和赞誉不计时，不需要 SLA 策略。"),
    ({"priority": "asap"}, "priority", "请从列表中选择。"),
])
async def test_a_refused_policy_says_why_and_saves_nothing(web, change, field, message):
    root = await admin(web)
    refused = await post(root, "/admin/sla", REPAIR | change)
    page = await refused.text()
    assert refused.status == 422 and message in text_of(page) and "请修改标出的字段。" in text_of(page)
    assert f'data-testid="error-{field}"' in page
    assert 'name="on_site" value="12"' in page  # what was typed comes back
    async with web.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(SlaPolicy)) == 0
    assert await audit_rows(web) == []


async def test_a_second_policy_for_the_same_key_is_refused(web):
    root = await admin(web)
    assert (await post(root, "/admin/sla", REPAIR)).status == 303
    again = await post(root, "/admin/sla", REPAIR | {"first_contact": "6"})
    assert again.status == 422 and "该服务类型和优先级已有策略，请在列表中编辑它。" in text_of(await again.text())
    async with web.db.session() as s:
        assert [p.first_contact_hours for p in await s.scalars(select(SlaPolicy))] == [8.0]
    assert len(await audit_rows(web)) == 1


async def test_queue_rules_are_kept_audited_and_escaped(web):
    root = await admin(web)
    rule = {"queue": "<b>vip</b>", "service_type": "repair", "service_mode": "on_site", "active": "1"}
    no_mode = await post(root, "/admin/queue-rules", rule | {"service_mode": ""}, token_from="/admin/queue-rules")
    assert no_mode.status == 422 and "报修请选择送修或上门。" in text_of(await no_mode.text())
    spaced = await post(root, "/admin/queue-rules", rule | {"queue": "after sales"}, token_from="/admin/queue-rules")
    assert spaced.status == 422 and "队列名不能包含空格或控制字符。" in text_of(await spaced.text())
    assert (await post(root, "/admin/queue-rules", rule, token_from="/admin/queue-rules")).status == 303
    page = await (await root.get("/admin/queue-rules")).text()
    assert "&lt;b&gt;vip&lt;/b&gt;" in page and "<b>vip" not in page
    assert "队列 <b>vip</b> 的规则已保存。" in text_of(page) and "报修 · 上门" in text_of(page)
    async with web.db.session() as s:
        row = await s.scalar(select(QueueTicketRule))
    enquiry = {"id": str(row.id), "queue": "<b>vip</b>", "service_type": "enquiry", "service_mode": "on_site"}
    assert (await post(root, "/admin/queue-rules", enquiry, token_from="/admin/queue-rules")).status == 303
    async with web.db.session() as s:
        row = await s.get(QueueTicketRule, row.id)
        assert (row.service_type, row.service_mode, row.active) == ("enquiry", None, False)
    assert (await post(root, f"/admin/queue-rules/{row.id}/delete", {}, token_from="/admin/queue-rules")).status == 303
    audit = [(e.entity, e.action, (e.before or {}).get("service_type"), (e.after or {}).get("service_type"))
             for e in await audit_rows(web)]
    assert audit == [("queue_ticket_rule", "create", None, "repair"), ("queue_ticket_rule", "update", "repair", "enquiry"),
                     ("queue_ticket_rule", "delete", "enquiry", None)]


async def test_only_administrators_reach_the_settings(web):
    async with web.db.session() as s:
        await users.create(s, username="eng9", password=PASSWORD, role="engineer")
        await users.create(s, username="mgr", password=PASSWORD, role="manager")
    for name in ("agent1", "boss", "mgr", "eng9"):
        client = await web.login(name)
        token = csrf_from(await (await client.get("/work" if name == "eng9" else "/")).text())
        for method, path in ROUTES:
            resp = await client.request(method, path, data={"csrf_token": token} if method == "POST" else None,
                                        allow_redirects=False)
            assert resp.status == 403, (name, method, path)
        assert 'href="/admin/sla"' not in await (await client.get("/work" if name == "eng9" else "/")).text()
    anonymous = await web.client()
    assert (await anonymous.get("/admin/sla", allow_redirects=False)).status in (302, 303)
    root = await admin(web)
    assert (await root.post("/admin/sla", data=REPAIR, allow_redirects=False)).status == 403  # no CSRF token
    async with web.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(SlaPolicy)) == 0
        assert await s.scalar(select(func.count()).select_from(Ticket)) == 0


async def test_the_settings_speak_english_too(db):
    async with web_running(db, language="en") as running:
        set_clock(running, MONDAY_10)
        root = await admin(running)
        page = text_of(await (await root.get("/admin/sla")).text())
        assert "Settings" in page and "Any type Any priority 24 h 12 h 72 h 80% Yes business Built-in default" in page
        refused = await post(root, "/admin/sla", REPAIR | {"at_risk": "150", "calendar": "night"})
        text = text_of(await refused.text())
        assert "The at-risk point is a percentage above 0 and below 100 (e.g. 80)." in text
        assert "There is no calendar named “night”." in text
        rules = text_of(await (await root.get("/admin/queue-rules")).text())
        assert "Queues that open tickets" in rules or "No queue rules yet." in rules
