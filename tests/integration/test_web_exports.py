"""Exports of the call log are for supervisors and administrators (``CTI_EXPORT_ROLES``), not for every agent."""

from __future__ import annotations

import datetime as dt

import pytest
from web_support import PASSWORD, web, web_running  # noqa: F401

from cti.users import service as users

EXPORTS = ("/calls/export.csv", "/calls/export.xlsx")


async def seed_call(web) -> None:
    await web.add_call("call-that-must-not-leak", at=dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC))


async def test_an_agent_may_not_export_the_call_log(web):
    await seed_call(web)
    agent = await web.login("agent1")
    for path in EXPORTS:
        resp = await agent.get(path, allow_redirects=False)
        assert resp.status == 403, path
        assert "您无权打开此页面" in await resp.text()
        assert "call-that-must-not-leak" not in await resp.text()


async def test_an_agent_sees_no_export_buttons(web):
    html = await (await (await web.login("agent1")).get("/calls")).text()
    assert 'data-testid="export-csv"' not in html and 'data-testid="export-xlsx"' not in html
    assert 'data-testid="call-filters"' in html  # the call log itself is theirs to read


async def test_a_supervisor_gets_the_files_and_the_buttons(web):
    await seed_call(web)
    boss = await web.login("boss")
    html = await (await boss.get("/calls")).text()
    assert 'data-testid="export-csv"' in html and 'data-testid="export-xlsx"' in html
    csv = await boss.get("/calls/export.csv")
    assert csv.status == 200 and "call-that-must-not-leak" in (await csv.read()).decode("utf-8-sig")
    xlsx = await boss.get("/calls/export.xlsx")
    assert xlsx.status == 200 and (await xlsx.read()).startswith(b"PK")


async def test_an_administrator_gets_the_file(web):
    async with web.db.session() as s:
        await users.create(s, username="root", password=PASSWORD, role="admin")
    resp = await (await web.login("root")).get("/calls/export.csv")
    assert resp.status == 200


@pytest.fixture
async def agents_export(db):
    async with web_running(db, export_roles="agent,supervisor,admin") as running:
        yield running


async def test_the_setting_can_give_exports_to_agents(agents_export):
    agent = await agents_export.login("agent1")
    assert 'data-testid="export-csv"' in await (await agent.get("/calls")).text()
    assert (await agent.get("/calls/export.csv")).status == 200
