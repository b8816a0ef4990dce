"""The supervisors' reports over HTTP (SQLite and PostgreSQL), from rows inserted as the service writes
them: each report's figures as the table shows them (hand-checked), the region filter, the CSV/XLSX
exports (a hostile value stays text), 400 in the user's language for a query it cannot use, 403 for
agents, and the navigation."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
import pytest
from reports_support import (
    add, call, customer, kept, local, outlet_with_engineers, rating, region, running, table, ticket,
)
from web_support import PASSWORD, csrf_from, web  # noqa: F401

from sqlalchemy import select

from cti.campaigns.models import Campaign, CampaignContact
from cti.http import keys
from cti.supervision.reports import REPORTS
from cti.supervision.reports_build import rebuild
from cti.users import service as users

NOW = local(20, 12)  # the service's clock: every promise below is judged at this moment
HOSTILE = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
async def boss(web):
    web.app[keys.SERVICE].clock = lambda: NOW
    return await web.login("boss")


async def rebuilt(web, first: int, last: int) -> None:
    await rebuild(web.db, dt.date(2026, 11, first), dt.date(2026, 11, last), web.settings.zone, now=NOW)


async def page(client, path: str, status: int = 200) -> str:
    resp = await client.get(path)
    text = await resp.text()
    assert resp.status == status, text[:500]
    return text


async def test_queues_and_agents(web, boss):
    shanghai = await customer(web.db, "上海客户", city="上海")
    await region(web.db, "上海")
    await add(web.db,
              call("q1", local(3, 9), "answered", wait=10, talk=100, agent="PJSIP/1001"),
              call("q2", local(3, 10), "transferred", wait=30, talk=200, agent="PJSIP/1002"),  # answered, then moved on
              call("q3", local(3, 11), "abandoned", wait=40),
              call("q4", local(3, 11, 30), "missed", wait=2, last_agent="PJSIP/1002"),  # a short abandon
              call("q5", local(3, 23, 59, 30), "answered", wait=50, talk=600, agent="PJSIP/1001"),  # across midnight
              call("q6", local(4, 0, 0, 10), "answered", wait=5, talk=60, agent="PJSIP/1001"),  # the next day
              call("s1", local(3, 15), "answered", wait=5, talk=60, agent="PJSIP/1002", queue="sales",
                   customer_id=shanghai))
    resolved = [await ticket(web.db, shanghai, "enquiry", local(2, 9), resolved_at=local(3, 12)) for _ in range(3)]
    await rating(web.db, resolved[0], 5, local(3, 14), agent="agent1")
    await rating(web.db, resolved[1], 3, local(3, 15), agent="agent1")
    await rating(web.db, resolved[2], 5, local(4, 9), agent="agent1")  # given the next day: the next day's
    await rebuilt(web, 3, 4)

    queues = table(await page(boss, "/reports/queues?period=day&from=2026-11-03"))
    # offered, answered, abandoned, short, service level 1/3 (≤ 20 s), abandon rate 1/(3+1), ASA 90/3, AHT 900/3
    assert queues == [["sales", "1", "1", "0", "0", "100.0%", "0.0%", "0:05", "1:00", "—", "—", "0"],
                      ["support", "5", "3", "1", "1", "33.3%", "25.0%", "0:30", "5:00", "—", "—", "0"]]
    assert table(await page(boss, "/reports/queues?period=day&from=2026-11-03&region=%E4%B8%8A%E6%B5%B7")) == [
        ["sales", "1", "1", "0", "0", "100.0%", "0.0%", "0:05", "1:00", "—", "—", "0"]]
    week = table(await page(boss, "/reports/queues?period=week&from=2026-11-04"))
    assert week[1][:3] == ["support", "6", "4"]  # Monday 2 to Sunday 8: the next day's call too

    agents = table(await page(boss, "/reports/agents?period=day&from=2026-11-03"))
    assert agents == [["王芳 (PJSIP/1001)", "2", "2", "0", "0", "50.0%", "0.0%", "0:30", "5:50", "50.0%", "4.00", "2"],
                      ["李娜 (PJSIP/1002)", "3", "2", "0", "1", "50.0%", "0.0%", "0:17", "2:10", "—", "—", "0"]]


async def test_a_branch_supervisor_sees_the_queues_and_agents_of_their_branch_only(web, boss):
    from cti.org.models import OrgUnit
    from cti.supervision.models import QueueSetting
    from cti.users.models import User

    await add(web.db, call("b1", local(3, 9), "answered", wait=10, talk=100, agent="PJSIP/1001"),
              call("b2", local(3, 10), "answered", wait=10, talk=100, agent="PJSIP/1002", queue="sales"))
    await rebuilt(web, 3, 3)
    async with web.db.session() as s:
        east, west = OrgUnit(name="华东"), OrgUnit(name="华西")
        s.add_all([east, west])
        await s.flush()
        s.add_all([QueueSetting(queue="support", org_unit_id=east.id), QueueSetting(queue="sales", org_unit_id=west.id)])
        for username, unit in (("agent1", east.id), ("agent2", west.id), ("boss", east.id)):
            (await s.execute(select(User).where(User.username == username))).scalar_one().org_unit_id = unit
        await s.commit()
    queues = table(await page(boss, "/reports/queues?period=day&from=2026-11-03"))
    assert [row[0] for row in queues] == ["support"]  # sales is West's
    agents = table(await page(boss, "/reports/agents?period=day&from=2026-11-03"))
    assert [row[0] for row in agents] == ["王芳 (PJSIP/1001)"]


async def test_complaint_and_fault_rates_per_model_with_exports(web, boss):
    bought = dt.date(2026, 6, 1)
    owner = await customer(web.db, "张三", products=(("冰箱 A", bought), ("冰箱 A", bought), ("冰箱 A", bought),
                                                   ("冰箱 A", dt.date(2026, 12, 1))))  # bought after the period
    await customer(web.db, "上海客户", city="上海", products=((HOSTILE, bought),))
    await region(web.db, "上海")
    await ticket(web.db, owner, "complaint", local(5, 9), model="冰箱 A")
    await ticket(web.db, owner, "repair", local(5, 10), model="冰箱 A", parts=(("压缩机", 2), ("温控器", 1)))
    await ticket(web.db, owner, "repair", local(6, 10), model="冰箱 A", parts=(("压缩机", 1),))
    await ticket(web.db, owner, "complaint", local(6, 11), model="样机 X")  # no unit registered
    await ticket(web.db, owner, "repair", local(12, 11), model="冰箱 A")  # after the period
    await rebuilt(web, 1, 30)
    query = "period=custom&from=2026-11-01&to=2026-11-10"

    shown = await page(boss, f"/reports/models?{query}")
    assert table(shown) == [["冰箱 A", "3", "1", "33.33%", "2", "66.67%", "压缩机 ×3、温控器 ×1"],
                            [HOSTILE, "1", "0", "0.00%", "0", "0.00%", ""],
                            ["样机 X", "0", "1", "—", "0", "—", ""]]  # nothing to divide by: never 0 %
    in_shanghai = await page(boss, f"/reports/models?{query}&region=%E4%B8%8A%E6%B5%B7")
    assert table(in_shanghai) == [[HOSTILE, "1", "0", "0.00%", "0", "0.00%", ""]]  # its units; no ticket there
    chart = json.loads(re.search(r'<script type="application/json" id="report-chart-data">(.*?)</script>', shown,
                                 re.S).group(1))
    assert chart["series"][0]["data"] == [33.33, 0.0, None] and chart["categories"][0] == "冰箱 A"
    assert f'href="/reports/models.xlsx?{query}"' in shown.replace("&amp;", "&")

    resp = await boss.get(f"/reports/models.xlsx?{query}")
    assert resp.status == 200 and 'filename="models-20261101-20261110-' in resp.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][:4] == ["型号", "已售台数", "投诉", "投诉率 (%)"]
    assert cells[1] == ["冰箱 A", 3, 1, 33.3333, 2, 66.6667, "压缩机 ×3、温控器 ×1"]  # rates: 4 decimals
    assert cells[2][0] == "'" + HOSTILE and sheet.cell(3, 1).data_type == "s"  # text, never a formula
    assert cells[3][3] == "—"

    csv = (await (await boss.get(f"/reports/models.csv?{query}")).read()).decode("utf-8")
    assert csv.startswith("\ufeff型号,已售台数") and "'=HYPERLINK" in csv and "\r\n样机 X,0,1,—,0,—," in csv


async def test_engineers_outlets_and_sla(web, boss):
    outlet, (wang, li) = await outlet_with_engineers(web.db, "浦东网点", "王师傅", "李师傅")
    owner = await customer(web.db, "客户")
    on_time = (("first_contact", kept()), ("on_site", kept(used=3600)))  # exactly its budget: kept
    first = await ticket(web.db, owner, "repair", local(2, 9), engineer_id=wang, outlet_id=outlet, clocks=on_time,
                         resolved_at=local(3, 9))
    await ticket(web.db, owner, "repair", local(2, 10), engineer_id=wang, outlet_id=outlet,
                 clocks=(("first_contact", kept()), ("on_site", kept(used=3601))))  # a second late: broken
    await ticket(web.db, owner, "repair", local(3, 10), engineer_id=wang, outlet_id=outlet,
                 clocks=(("on_site", running(due=local(21, 9))),))  # still in time at NOW
    late = await ticket(web.db, owner, "repair", local(3, 11), engineer_id=li, outlet_id=outlet,
                        clocks=(("on_site", running(due=local(19, 9))),), resolved_at=local(4, 9))  # past due
    await ticket(web.db, owner, "complaint", local(4, 9), clocks=(("resolution", {"budget_seconds": 60,
                                                                                   "used_seconds": 0}),))  # paused
    await ticket(web.db, owner, "enquiry", local(4, 10))
    await rating(web.db, first, 4, local(3, 11), engineer_id=wang)  # both given in the period
    await rating(web.db, late, 1, local(4, 11), engineer_id=li)
    query = "period=week&from=2026-11-02"

    engineers = table(await page(boss, f"/reports/engineers?{query}"))
    assert engineers == [["李师傅", "浦东网点", "1", "0", "1", "0", "0.0%", "0.0%", "1.00", "1"],
                         ["王师傅", "浦东网点", "3", "1", "1", "1", "50.0%", "100.0%", "4.00", "1"]]
    outlets = await page(boss, f"/reports/engineers?{query}&view=outlet")
    assert table(outlets) == [["浦东网点", "上海", "4", "1", "2", "1", "33.3%", "50.0%", "2.50", "2"]]
    assert "<th>网点</th><th>城市</th>" in outlets

    sla = table(await page(boss, f"/reports/sla?{query}"))
    assert sla == [["投诉", "1", "—", "—", "—", "0", "0", "1", "—"],  # a paused promise: pending
                   ["报修", "6", "100.0%", "33.3%", "—", "3", "2", "1", "60.0%"]]  # the enquiry made none

    await rebuilt(web, 1, 30)  # two months later the week is read from the daily rows, as rebuilt at NOW
    web.app[keys.SERVICE].clock = lambda: local(20, 12, month=1) + dt.timedelta(days=365)
    assert table(await page(boss, f"/reports/sla?{query}")) == sla
    assert table(await page(boss, f"/reports/engineers?{query}")) == engineers
    assert table(await page(boss, f"/reports/engineers?{query}&view=outlet")) == table(outlets)


async def test_callbacks_within_their_promise(web, boss):
    async with web.db.session() as s:
        campaign = Campaign(name="回拨", kind="callback", feed="abandoned", rules={"promise_minutes": 120})
        scheduled = Campaign(name="预约", kind="callback", feed="scheduled")
        s.add_all([campaign, scheduled])
        await s.flush()

        def contact(campaign_id, source, state, created, changed, **data):
            return CampaignContact(campaign_id=campaign_id, e164="+8613800138000", source=source, state=state,
                                   created_at=created, updated_at=changed, data=data)

        s.add_all([
            contact(campaign.id, "abandoned", "done", local(3, 10), local(3, 11)),  # within 2 h
            contact(campaign.id, "abandoned", "done", local(3, 10), local(3, 12, 1)),  # a minute late
            contact(campaign.id, "abandoned", "cancelled", local(3, 10), local(3, 10, 30)),  # got through: left out
            contact(scheduled.id, "agent", "done", local(3, 9), local(3, 15, 20), due=local(3, 15).isoformat()),
            contact(scheduled.id, "agent", "pending", local(3, 9), local(3, 9), due=local(3, 16).isoformat()),
            contact(scheduled.id, "agent", "pending", local(3, 9), local(3, 9), due=local(30, 16).isoformat()),
            contact(scheduled.id, "agent", "done", local(9, 9), local(9, 9)),  # another week
        ])
        await s.commit()
    rows = table(await page(boss, "/reports/callbacks?period=week&from=2026-11-03"))
    assert rows == [["放弃来电回拨", "3", "1", "1", "0", "50.0%", "1"],
                    ["坐席预约回拨", "3", "1", "1", "1", "50.0%", "0"],
                    ["全部", "6", "2", "2", "1", "50.0%", "1"]]


@pytest.mark.parametrize(("query", "message"), [
    ("period=year", "时段只能是日、周、月或自定义。"),
    ("period=day&from=2026-13-01", "开始日期无效，请使用 YYYY-MM-DD 格式。"),
    ("period=custom&from=2026-11-01", "自定义时段需要开始日期和结束日期。"),
    ("period=custom&from=2026-11-02&to=2026-11-01", "结束日期早于开始日期。"),
    ("period=day&region=%3Cb%3E火星", "没有这个地区。"),
    ("period=day&view=outlet", "没有这种统计方式。"),  # the queues have no other grouping
])
async def test_a_query_it_cannot_use_is_a_400_in_the_users_language(web, boss, query, message):
    shown = await page(boss, f"/reports/queues?{query}", status=400)
    assert message in shown and "<b>火星" not in shown  # the refused value, escaped, stays in the form
    assert message in await page(boss, f"/reports/queues.xlsx?{query}", status=400)


async def test_the_message_in_english(web, boss):
    token = csrf_from(await page(boss, "/reports"))
    await boss.post("/language", data={"lang": "en", "next": "/reports", "csrf_token": token})
    shown = await page(boss, "/reports/sla?period=custom&from=2026-01-01&to=2027-06-01", status=400)
    assert "A custom period is at most 366 days." in shown


async def test_agents_and_engineers_may_not_open_the_reports(web, boss):
    async with web.db.session() as s:
        await users.create(s, username="eng", password=PASSWORD, role="engineer", display_name="王师傅")
    agent, engineer = await web.login("agent1"), await web.login("eng")
    for path in ("/reports", "/reports/models?period=month", "/reports/models.xlsx", "/reports/queues.csv"):
        assert (await agent.get(path)).status == 403, path
        assert (await engineer.get(path)).status == 403, path
    assert 'data-testid="nav-reports"' not in await page(agent, "/calls")
    index = await page(boss, "/reports")
    assert 'data-testid="nav-reports"' in index
    assert all(f'href="/reports/{name}?period=month"' in index for name in REPORTS)


async def test_every_report_opens_on_an_empty_database(web, boss):
    for name, report in REPORTS.items():
        for view in report.views or ("",):
            shown = await page(boss, f"/reports/{name}?period=month" + (f"&view={view}" if view else ""))
            assert 'data-testid="report-chart"' in shown
            for kind in ("csv", "xlsx"):
                assert (await boss.get(f"/reports/{name}.{kind}?period=month")).status == 200


def test_every_label_is_in_both_languages():
    from cti.http.i18n import catalog
    from cti.supervision.report_figures import PERIODS
    from cti.supervision.reports_callbacks import ALL, SOURCES
    from cti.tickets.workflow import SERVICE_TYPES

    for lang in ("zh", "en"):
        known = set(catalog(lang))
        needed = {f"report.period.{p}" for p in PERIODS} | {f"report.source.{s}" for s in (*SOURCES, ALL)}
        needed |= {f"ticket.type.{t}" for t in SERVICE_TYPES}
        for name, report in REPORTS.items():
            needed |= {f"report.{name}.title", f"report.{name}.about"} | {f"report.view.{v}" for v in report.views}
            for view in report.views or ("default",):
                needed |= {(c.label or f"report.col.{c.key}").format(view=view) for c in report.columns}
        assert needed - known == set(), lang
