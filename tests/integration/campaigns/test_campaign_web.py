"""The supervisors' campaign pages over HTTP (SQLite and PostgreSQL), read as a supervisor reads them: a
campaign made with the form (every refused field said, nothing saved), its buttons (a stop only once
confirmed), its live counters as JSON, the contacts to decide, the contacts filtered, hostile names
escaped, the results downloaded formula-safe; the CSV import with its progress and report; agents and
engineers refused."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from sqlalchemy import func, select
from web_support import PASSWORD, csrf_from, web  # noqa: F401

from cti.campaigns.forms import DEFAULTS
from cti.campaigns.models import Campaign, CampaignContact
from cti.http import keys
from cti.users import service as users
from tests.integration.campaigns.support import (
    TUESDAY_10, add_attempt, add_contacts, audit_rows, contact, new_campaign, rate,
)  # fmt: skip
from tests.integration.tickets.settings_support import text_of
from tests.integration.tickets.support import Clock


@pytest.fixture
async def boss(web):
    """The seeded supervisor, logged in, on the test's clock."""
    web.app[keys.SERVICE].clock = Clock(TUESDAY_10)
    return await web.login("boss")


async def post(client, path: str, data: dict, *, token_from: str = "/campaigns"):
    token = csrf_from(await (await client.get(token_from)).text())
    return await client.post(path, data=dict(data, csrf_token=token), allow_redirects=False)


async def campaigns(web) -> list[Campaign]:
    async with web.db.session() as s:
        return list(await s.scalars(select(Campaign).order_by(Campaign.id)))


async def test_a_supervisor_creates_a_survey_with_the_form_and_lands_on_its_page(web, boss):
    page = await (await boss.get("/")).text()
    assert 'href="/campaigns"' in page and "外呼活动" in text_of(page)  # the menu link
    form = {**DEFAULTS, "name": "十二月回访", "kind": "survey", "caller_id": '"Customer Care" <4008001234>',
            "w5_same": "", "w5_0_from": "10:00", "w5_0_to": "12:00", "w6_same": "", "w6_0_from": "", "w6_0_to": "",
            "per_minute": "12", "retry_busy_delay": "15", "retry_busy_attempts": "2"}
    created = await post(boss, "/campaigns/new", form, token_from="/campaigns/new")
    assert created.status == 303
    [c] = await campaigns(web)
    assert created.headers["Location"] == f"/campaigns/{c.id}"
    assert (c.state, c.context, c.window.get("6"), c.window["5"], c.retry["busy"]) == (
        "draft", "hotline-survey", None, [["10:00", "12:00"]], [900.0, 2])
    shown = text_of(await (await boss.get(created.headers["Location"])).text())
    assert "已创建草稿活动“十二月回访”：请导入联系人后再开始。" in shown
    assert "草稿 满意度回访" in shown and "周一–周五 09:00–20:00 周六 10:00–12:00 按被叫所在地时间" in shown
    assert "占线: 15 分钟后重拨，共 2 次" in shown and "每分钟 12 通" in shown
    [entry] = await audit_rows(web.db, "campaign")
    assert (entry.actor, entry.action) == ("boss", "create")


async def test_a_refused_form_says_every_problem_and_saves_nothing(web, boss):
    form = {**DEFAULTS, "name": "", "per_minute": "-3", "max_concurrent": "0", "w2_same": "", "w2_0_from": "20:00",
            "w2_0_to": "09:00", "retry_no_answer_attempts": "0", "dial": "PJSIP/13800138000@carrier"}
    refused = await post(boss, "/campaigns/new", form, token_from="/campaigns/new")
    assert refused.status == 422
    html = await refused.text()
    shown = text_of(html)
    for said in ("此项必填。", "每分钟通数：大于 0，最多 600（如 30 或 0.5）。", "请填写 1 到 500 的整数。",
                 "20:00–09:00：结束时间必须晚于开始时间。", "请填写 1 到 20 的整数。",
                 "拨号串需要包含 {number}，表示客户号码的位置。"):
        assert said in shown, said
    assert 'name="per_minute" value="-3"' in html and 'name="w2_0_from" value="20:00"' in html  # the input is kept
    assert await campaigns(web) == [] and await audit_rows(web.db, "campaign") == []


async def test_the_buttons_follow_the_state_and_a_stop_needs_its_confirmation(web, boss):
    cid = await new_campaign(web.db)
    await add_contacts(web.db, cid, [("+8613800000001", "pending", ""), ("+8613800000002", "pending", "")])
    page = await (await boss.get(f"/campaigns/{cid}")).text()
    assert 'data-testid="action-start"' in page and 'data-testid="action-stop"' not in page
    assert (await post(boss, f"/campaigns/{cid}/state", {"action": "start"})).status == 303
    page = await (await boss.get(f"/campaigns/{cid}")).text()
    assert "活动已开始。" in text_of(page) and 'data-testid="action-pause"' in page
    assert "结束后不可恢复：正在等待的 2 个联系人将被取消" in text_of(page)  # said before the final button

    unconfirmed = await post(boss, f"/campaigns/{cid}/state", {"action": "stop"})
    assert unconfirmed.status == 200 and '<details class="transition" open' in await unconfirmed.text()
    assert (await campaigns(web))[0].state == "running"
    stopped = await post(boss, f"/campaigns/{cid}/state", {"action": "stop", "confirm": "stop"})
    assert stopped.status == 303
    shown = text_of(await (await boss.get(f"/campaigns/{cid}")).text())
    assert "活动已结束，取消了 2 个等待中的联系人。" in shown and "已结束：此活动不会再拨打任何人。" in shown
    again = await post(boss, f"/campaigns/{cid}/state", {"action": "start"})
    assert again.status == 409 and "活动当前为“已结束”，不能“开始”" in text_of(await again.text())


async def test_the_counters_come_as_json_with_the_pages_names(web, boss):
    cid = await new_campaign(web.db, state="running", max_concurrent="4")
    ids = await add_contacts(web.db, cid, [("+8613800138000", "done", "answered"), ("+8613700000001", "pending", "busy"),
                                           ("+8613900000003", "dialling", "")])
    await add_attempt(web.db, cid, ids[0], 1, outcome="answered")
    await add_attempt(web.db, cid, ids[1], 1, outcome="busy", cause=17)
    await add_attempt(web.db, cid, ids[2], 1, state="dialled")
    await rate(web.db, cid, ids[0], 4)
    resp = await boss.get(f"/campaigns/{cid}/progress", headers={"Accept": "application/json"})
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    data = await resp.json()
    assert (data["state"], data["total"], data["closed"], data["percent"], data["lines"], data["max_lines"]) == (
        "running", 3, 1, 33, 1, 4)
    assert (data["states"]["pending"], data["outcomes"]["answered"], data["outcomes"]["busy"], data["retrying"]) == (1, 1, 1, 1)
    assert (data["attempts_today"], data["ratings"]["4"], data["average"], data["next_due"]) == (3, 1, "4.00", "12-01 10:00")
    page = await (await boss.get(f"/campaigns/{cid}")).text()
    assert 'data-field="outcomes.answered" data-testid="count-outcome-answered">1<' in page
    assert 'data-live-url="/campaigns/%d/progress"' % cid in page
    missing = await boss.get("/campaigns/999/progress", headers={"Accept": "application/json"})
    assert missing.status == 404


async def test_an_unknown_call_is_shown_first_and_decided_on_the_page(web, boss):
    cid = await new_campaign(web.db, state="running")
    (c,) = await add_contacts(web.db, cid, [("+8613800138000", "unknown", "unknown")], attempts=1)
    await add_attempt(web.db, cid, c, 1, state="unknown", outcome="unknown")
    page = await (await boss.get(f"/campaigns/{cid}")).text()
    assert page.index('data-testid="unknown"') < page.index('data-testid="live"')  # above the counters
    assert "结果不明的呼叫" in text_of(page) and "+8613800138000" in page
    decided = await post(boss, f"/campaigns/{cid}/contacts/{c}/decide", {"decision": "redial"})
    assert decided.status == 303 and decided.headers["Location"] == f"/campaigns/{cid}#unknown"
    assert ((await contact(web.db, c)).state, (await contact(web.db, c)).next_at) == ("pending", TUESDAY_10)
    page = await (await boss.get(f"/campaigns/{cid}/contacts/{c}")).text()
    assert "人工处理记录" in text_of(page) and "boss · 重新拨打" in text_of(page)
    twice = await post(boss, f"/campaigns/{cid}/contacts/{c}/decide", {"decision": "done"})
    assert twice.status == 303
    assert "已有人处理过这个联系人。" in text_of(await (await boss.get(f"/campaigns/{cid}")).text())
    assert (await contact(web.db, c)).state == "pending"


async def test_contacts_are_filtered_and_a_hostile_name_is_escaped(web, boss):
    cid = await new_campaign(web.db)
    ids = await add_contacts(web.db, cid, [("+8613800138000", "pending", ""), ("+8613700000001", "exhausted", "busy")])
    async with web.db.session() as s:
        (await s.get(CampaignContact, ids[0])).name = "<script>alert(1)</script>"
        await s.commit()
    page = await (await boss.get(f"/campaigns/{cid}")).text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    busy = await (await boss.get(f"/campaigns/{cid}?outcome=busy")).text()
    assert 'data-contact="%d"' % ids[1] in busy and 'data-contact="%d"' % ids[0] not in busy
    by_number = await (await boss.get(f"/campaigns/{cid}?q=138+0013+8000")).text()
    assert "共 1 个" in text_of(by_number) and 'data-contact="%d"' % ids[0] in by_number
    attempts = await (await boss.get(f"/campaigns/{cid}/contacts/{ids[1]}")).text()
    assert "尚未拨打。" in text_of(attempts)
    assert (await boss.get(f"/campaigns/{cid + 1}/contacts/{ids[1]}")).status == 404


async def test_a_running_campaign_cannot_be_edited_and_a_refused_save_changes_nothing(web, boss):
    cid = await new_campaign(web.db, state="running")
    form = await (await boss.get(f"/campaigns/{cid}/edit")).text()
    assert "只有草稿或已暂停的活动可以修改；此活动进行中。" in text_of(form) and 'data-testid="save"' not in form
    refused = await post(boss, f"/campaigns/{cid}/edit", {**DEFAULTS, "name": "改名", "per_minute": "1"})
    assert refused.status == 422 and (await campaigns(web))[0].name == "十二月回访"
    await post(boss, f"/campaigns/{cid}/state", {"action": "pause"})
    saved = await post(boss, f"/campaigns/{cid}/edit", {**DEFAULTS, "name": "改名", "per_minute": "1"})
    assert saved.status == 303 and ((await campaigns(web))[0].name, (await campaigns(web))[0].per_minute) == ("改名", 1.0)


async def test_the_results_download_formula_safe(web, boss):
    cid = await new_campaign(web.db, state="running")
    (c,) = await add_contacts(web.db, cid, [("+8613800138000", "done", "answered")])
    async with web.db.session() as s:
        (await s.get(CampaignContact, c)).name = "=cmd|' /C calc'!A0"
        await s.commit()
    resp = await boss.get(f"/campaigns/{cid}/export.csv")
    assert resp.status == 200 and resp.headers["Content-Disposition"].startswith(f'attachment; filename="campaign-{cid}-results-')
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert [(r["number"], r["name"], r["outcome"]) for r in rows] == [("'+8613800138000", "'=cmd|' /C calc'!A0", "answered")]
    assert (await boss.get(f"/campaigns/{cid}/attempts.xlsx")).status == 200


async def test_a_file_imports_with_a_progress_page_and_a_report(web, boss):
    cid = await new_campaign(web.db, kind="list")
    data = "号码,姓名,语言\n13800138000,<b>张三</b>,中文\n12345,坏号码,\n13800138000,重复,\n".encode("gb18030")
    token = csrf_from(await (await boss.get(f"/campaigns/{cid}/import")).text())
    form = {"csrf_token": token, "file": io.BytesIO(data)}
    started = await boss.post(f"/campaigns/{cid}/import", data=form, allow_redirects=False)
    assert started.status == 303
    job_page = started.headers["Location"]
    for _ in range(100):  # the page polls this
        progress = await (await boss.get(job_page + "/progress", headers={"Accept": "application/json"})).json()
        if progress["state"] != "running":
            break
        await asyncio.sleep(0.05)
    assert progress == {"state": "done", "total": 3, "done": 3, "added": 1, "duplicates": 1, "do_not_call": 0,
                        "invalid": 1, "percent": 100}
    page = await (await boss.get(job_page)).text()
    shown = text_of(page)
    assert "行 列 情况 内容 3 号码 不是有效电话号码 12345 4 号码 活动中已有：跳过 +8613800138000" in shown
    assert "gb18030" in shown
    names = [c.name for c in (await web.db.read(lambda s: list(s.scalars(select(CampaignContact)))))]
    assert names == ["<b>张三</b>"]
    campaign_page = await (await boss.get(f"/campaigns/{cid}")).text()
    assert "&lt;b&gt;张三&lt;/b&gt;" in campaign_page


async def test_an_upload_without_a_file_is_refused(web, boss):
    cid = await new_campaign(web.db)
    refused = await post(boss, f"/campaigns/{cid}/import", {}, token_from=f"/campaigns/{cid}/import")
    assert refused.status == 422 and "请选择 CSV 文件。" in text_of(await refused.text())


ROUTES = [("GET", "/campaigns"), ("GET", "/campaigns/new"), ("POST", "/campaigns/new"), ("GET", "/campaigns/1"),
          ("GET", "/campaigns/1/progress"), ("GET", "/campaigns/1/edit"), ("POST", "/campaigns/1/edit"),
          ("POST", "/campaigns/1/state"), ("GET", "/campaigns/1/contacts/1"), ("POST", "/campaigns/1/contacts/1/decide"),
          ("GET", "/campaigns/1/import"), ("POST", "/campaigns/1/import"), ("GET", "/campaigns/1/import/1"),
          ("GET", "/campaigns/1/import/1/progress"), ("GET", "/campaigns/1/export.csv"),
          ("GET", "/campaigns/1/export.xlsx"), ("GET", "/campaigns/1/attempts.csv"), ("GET", "/campaigns/1/attempts.xlsx"),
          ("GET", "/dnc"), ("POST", "/dnc"), ("POST", "/dnc/remove"), ("POST", "/dnc/import"), ("GET", "/dnc/export.csv"),
          ("GET", "/dnc/export.xlsx")]


async def test_agents_and_engineers_are_refused_every_campaign_route_and_see_no_link(web):
    await new_campaign(web.db, state="running")
    async with web.db.session() as s:
        await users.create(s, username="eng9", password=PASSWORD, role="engineer", display_name="工程师")
    for username in ("agent1", "eng9"):
        client = await web.login(username)
        token = csrf_from(await (await client.get("/work" if username == "eng9" else "/")).text())
        assert 'href="/campaigns"' not in await (await client.get("/" if username == "agent1" else "/work")).text()
        for method, path in ROUTES:
            resp = await client.request(method, path, data={"csrf_token": token, "action": "start", "number": "13800138000"},
                                        allow_redirects=False)
            assert resp.status == 403, (username, method, path, resp.status)
    async with web.db.session() as s:
        assert (await s.scalar(select(func.count()).select_from(Campaign))) == 1
        assert (await s.scalar(select(Campaign.state))) == "running"
