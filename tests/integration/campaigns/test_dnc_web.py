"""The do-not-call page over HTTP (SQLite and PostgreSQL), as a supervisor uses it: a number added from any
written form and shown, a refused one said next to its field with nothing listed, one taken off, a file
with a bad row refused whole (every bad row shown), a good file listed, the list downloaded formula-safe;
the export follows CTI_EXPORT_ROLES among the roles that run campaigns."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from web_support import csrf_from, web, web_running  # noqa: F401

from cti.campaigns.models import DoNotCall
from tests.integration.campaigns.support import audit_rows
from tests.integration.tickets.settings_support import text_of


async def post(client, path: str, data: dict):
    token = csrf_from(await (await client.get("/dnc")).text())
    return await client.post(path, data=dict(data, csrf_token=token), allow_redirects=False)


async def listed(web) -> dict[str, DoNotCall]:
    async with web.db.session() as s:
        return {e.e164: e for e in await s.scalars(select(DoNotCall))}


async def upload(client, data: bytes):
    token = csrf_from(await (await client.get("/dnc")).text())
    return await client.post("/dnc/import", data={"csrf_token": token, "file": io.BytesIO(data)}, allow_redirects=False)


async def test_a_number_is_added_shown_found_and_removed(web):
    boss = await web.login("boss")
    added = await post(boss, "/dnc", {"number": "138-0013-8000", "note": "<i>客户要求</i>"})
    assert added.status == 303 and added.headers["Location"] == "/dnc"
    page = await (await boss.get("/dnc")).text()
    assert "+8613800138000 已加入免打扰名单。" in text_of(page) and "共 1 个号码" in text_of(page)
    assert "&lt;i&gt;客户要求&lt;/i&gt;" in page and "<i>客户要求</i>" not in page
    assert "+8613800138000 手工添加" in text_of(page)
    found = await (await boss.get("/dnc?q=0013")).text()
    assert 'data-number="+8613800138000"' in found
    assert 'data-number="+8613800138000"' not in await (await boss.get("/dnc?q=13999")).text()

    removed = await post(boss, "/dnc/remove", {"number": "+8613800138000"})
    assert removed.status == 303 and await listed(web) == {}
    assert "+8613800138000 已从名单中移除。" in text_of(await (await boss.get("/dnc")).text())
    assert [(e.actor, e.action) for e in await audit_rows(web.db, "do_not_call")] == [("boss", "add"), ("boss", "remove")]


@pytest.mark.parametrize(("number", "note", "said"), [
    ("12345", "", "“12345”不是有效电话号码。"),
    ("13800138000", "长" * 201, "最多 200 个字符。"),
])
async def test_a_refused_number_is_said_by_its_field_and_nothing_is_listed(web, number, note, said):
    boss = await web.login("boss")
    refused = await post(boss, "/dnc", {"number": number, "note": note})
    assert refused.status == 422
    html = await refused.text()
    assert said in text_of(html) and f'value="{number}"' in html
    assert await listed(web) == {}


async def test_a_number_listed_twice_is_said_so(web):
    boss = await web.login("boss")
    await post(boss, "/dnc", {"number": "13800138000"})
    again = await post(boss, "/dnc", {"number": "+86 138 0013 8000"})
    assert again.status == 422 and "+8613800138000 已在名单中。" in text_of(await again.text())


async def test_a_file_with_a_bad_row_is_refused_whole_and_every_bad_row_is_shown(web):
    boss = await web.login("boss")
    data = "号码,备注\n13800138000,投诉\n12345,\n13800138001,\n1.38E+10,\n".encode("gb18030")
    refused = await upload(boss, data)
    assert refused.status == 422
    shown = text_of(await refused.text())
    assert "有 2 行无法读取。请改正后重新导入" in shown
    assert "3 号码 不是有效电话号码 12345" in shown and "5 号码 被表格软件转成了科学计数法" in shown
    assert await listed(web) == {}


async def test_a_good_file_is_listed_and_the_list_downloads_formula_safe(web):
    boss = await web.login("boss")
    await post(boss, "/dnc", {"number": "13800138000", "note": "原来的"})
    done = await upload(boss, "number,note\n13800138000,x\n13800138001,=1+1\n13800138001,again\n".encode())
    assert done.status == 303
    assert "已添加 1 个号码；1 个原已在名单中；文件中重复 1 个。" in text_of(await (await boss.get("/dnc")).text())
    entries = await listed(web)
    assert (entries["+8613800138000"].note, entries["+8613800138001"].source) == ("原来的", "import")

    resp = await boss.get("/dnc/export.csv")
    assert resp.status == 200
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert [(r["number"], r["source"], r["note"]) for r in rows] == [
        ("'+8613800138000", "manual", "原来的"), ("'+8613800138001", "import", "'=1+1")]


async def test_the_export_follows_the_export_roles_among_those_who_run_campaigns(db):
    async with web_running(db, export_roles="agent,admin") as running:
        boss = await running.login("boss")
        page = await (await boss.get("/dnc")).text()
        assert 'data-testid="export-csv"' not in page  # not offered
        assert (await boss.get("/dnc/export.csv")).status == 403
        assert (await boss.get("/campaigns/1/export.csv")).status == 403
        agent = await running.login("agent1")
        assert (await agent.get("/dnc/export.csv")).status == 403  # agents do not run campaigns
