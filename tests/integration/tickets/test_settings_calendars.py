"""The business calendars administrators keep, over HTTP (SQLite and PostgreSQL): hours with a lunch break,
an extra day off that moves the due time of a ticket already open and of the next one, the month grid
that says which days work, refused hours that save nothing, a calendar a policy uses that cannot go,
and every change audited. The desk's clock is set to a known Monday (settings_support.MONDAY_10)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from web_support import web  # noqa: F401

from cti.http import keys
from cti.tickets.calendar import ChinaHolidays
from cti.tickets.models import BusinessCalendarRow, CalendarDay, SlaClock
from cti.tickets.service import NewTicket
from tests.integration.tickets.settings_support import admin, audit_rows, post, set_clock, text_of
from tests.integration.tickets.support import AGENT, local

CAL = "/admin/calendars"
LUNCH = {"name": "售后-午休", "china_holidays": "1", **{f"h{d}": "09:00-12:00，13:30-18:00" for d in range(5)},
         "h5": "", "h6": ""}


async def due_of(web, ticket_id: int, kind: str = "first_contact"):
    async with web.db.session() as s:
        return await s.scalar(select(SlaClock.due_at).where(SlaClock.ticket_id == ticket_id, SlaClock.kind == kind))


async def open_ticket(web, customer: int, kind: str = "repair", mode: str | None = "carry_in") -> int:
    """Opened through the desk (``service.tickets.open``), as the new-ticket form does."""
    ticket_id, _ = await web.app[keys.SERVICE].tickets.open(NewTicket(customer, kind, mode), AGENT)
    return ticket_id


def day_kind(page: str, day: str) -> str:
    match = re.search(rf'data-day="{day}" data-kind="([a-z_]+)"', page)
    assert match, f"{day} is not in the month grid"
    return match.group(1)


async def test_an_extra_day_off_moves_the_due_time_of_open_and_new_tickets(web):
    set_clock(web)  # Monday 2026-11-30 10:00 in Shanghai
    root = await admin(web)
    customer = await web.add_customer("张三", "+8613800138000")
    before = await open_ticket(web, customer)
    # 24 business hours on 09:00-18:00: Monday 8 h, Tuesday 9 h, Wednesday 7 h
    assert await due_of(web, before) == local(2026, 12, 2, 16, 0)
    page = await (await root.get(CAL)).text()
    assert day_kind(page, "2026-12-01") == "work" and day_kind(page, "2026-11-28") == "rest"

    added = await post(root, f"{CAL}/days", {"calendar": "business", "day": "2026-12-01", "working": "0",
                                             "note": "<i>仓库盘点</i>"}, token_from=CAL)
    assert added.status == 303 and added.headers["Location"] == "/admin/calendars?name=business#main"
    assert await due_of(web, before) == local(2026, 12, 3, 16, 0)  # the open ticket's promise moved a day
    after = await open_ticket(web, customer)
    assert await due_of(web, after) == local(2026, 12, 3, 16, 0)  # and the next ticket counts without Tuesday

    page = await (await root.get(CAL)).text()
    # the ticket promises first contact and resolution: two clocks
    assert "已添加例外日 2026-12-01；2 个进行中的时限已重新计算到期时间。" in text_of(page)
    assert day_kind(page, "2026-12-01") == "extra_off" and 'aria-current="date"' in page
    assert "&lt;i&gt;仓库盘点&lt;/i&gt;" in page and "<i>仓库盘点" not in page
    assert "本地休息 — 本地加放的休息日，不计时" in text_of(page)  # the legend says it in words
    async with web.db.session() as s:
        day_id = await s.scalar(select(CalendarDay.id))
    assert (await post(root, f"{CAL}/days/{day_id}/delete", {}, token_from=CAL)).status == 303
    assert await due_of(web, before) == local(2026, 12, 2, 16, 0)
    audit = [(e.entity, e.entity_id, e.action) for e in await audit_rows(web)]
    assert audit == [("business_calendar", "business", "override"), ("calendar_day", "business/2026-12-01", "create"),
                     ("calendar_day", "business/2026-12-01", "delete")]


async def test_hours_with_a_lunch_break_and_a_policy_on_them(web):
    set_clock(web)
    root = await admin(web)
    assert (await post(root, CAL, LUNCH, token_from=CAL)).status == 303
    async with web.db.session() as s:
        row = await s.scalar(select(BusinessCalendarRow))
    assert row.hours == {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}
    page = await (await root.get(f"{CAL}?name=售后-午休")).text()
    assert "周一–周五 09:00–12:00, 13:30–18:00" in text_of(page)
    assert 'value="09:00-12:00, 13:30-18:00"' in page
    policy = {"service_type": "complaint", "priority": "*", "first_contact": "2", "on_site": "", "resolution": "",
              "at_risk": "80", "pause": "1", "calendar": "售后-午休"}
    assert (await post(root, "/admin/sla", policy)).status == 303
    customer = await web.add_customer("李四", "13912345678")
    ticket_id = await open_ticket(web, customer, "complaint", None)
    assert await due_of(web, ticket_id) == local(2026, 11, 30, 12, 0)  # 10:00 + 2 h before lunch
    # a calendar a policy uses cannot go, and says which
    refused = await post(root, f"{CAL}/{row.id}/delete", {}, token_from=CAL)
    assert refused.status == 303
    page = text_of(await (await root.get(CAL)).text())
    assert "这些策略还在使用该日历，不能删除：complaint/*。" in page
    async with web.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(BusinessCalendarRow)) == 1


async def test_refused_hours_name_the_day_and_save_nothing(web):
    set_clock(web)
    root = await admin(web)
    bad = LUNCH | {"h1": "13:00-12:00", "h2": "09:00-12:00, 11:00-13:00", "h3": "9点到6点"}
    refused = await post(root, CAL, bad, token_from=f"{CAL}?new=1")
    page = await refused.text()
    text = text_of(page)
    assert refused.status == 422
    assert "13:00-12:00：结束时间必须晚于开始时间。" in text
    assert "09:00-12:00 与 11:00-13:00 重叠。" in text
    assert "“9点到6点”不是有效的时段，请写成 09:00-18:00。" in text
    assert 'data-testid="error-h1"' in page and 'data-testid="error-h0"' not in page
    assert 'value="9点到6点"' in page  # what was typed comes back
    closed = await post(root, CAL, LUNCH | {f"h{d}": "" for d in range(7)}, token_from=CAL)
    assert "请至少填写一天的工作时间，或勾选全天 24 小时。" in text_of(await closed.text())
    taken = await post(root, CAL, LUNCH | {"name": "business"}, token_from=CAL)
    assert "已有同名日历，请在列表中编辑它。" in text_of(await taken.text())
    bad_day = await post(root, f"{CAL}/days", {"calendar": "business", "day": "2026-02-30", "working": "0"},
                         token_from=CAL)
    assert bad_day.status == 422 and "请填写有效日期（年-月-日，2000–2099 年）。" in text_of(await bad_day.text())
    async with web.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(BusinessCalendarRow)) == 0
        assert await s.scalar(select(func.count()).select_from(CalendarDay)) == 0
    assert await audit_rows(web) == []


async def test_the_month_grid_and_the_missing_holiday_data(web):
    set_clock(web)
    root = await admin(web)
    page = await (await root.get(CAL)).text()
    assert 'data-month="2026-11"' in page and 'data-month="2026-12"' in page
    assert "2026年11月" in text_of(page) and "2026年12月" in text_of(page)
    assert ("data-testid=\"holiday-data-missing\"" in page) == (not ChinaHolidays().covers(2027))
    if not ChinaHolidays().covers(2027):
        assert "没有 2027 年：这些年份只按周末休息计算" in text_of(page)
    # the 24x7 calendar works every day, and its page says so in words too
    page = await (await root.get(f"{CAL}?name=24x7")).text()
    assert day_kind(page, "2026-11-29") == "open" and "全天 — 24×7，全天计时" in text_of(page)
    # a day of the National Day week in a month the page shows (October: the clock moved back)
    set_clock(web, local(2026, 10, 8, 10, 0))
    page = await (await root.get(CAL)).text()
    assert day_kind(page, "2026-10-01") == "holiday" and day_kind(page, "2026-10-10") == "makeup"
    assert "国庆节" in text_of(page)
    assert (await root.get(f"{CAL}?name=nowhere")).status == 404


async def test_the_built_in_calendar_is_changed_then_restored(web):
    set_clock(web)
    root = await admin(web)
    ticket = await open_ticket(web, await web.add_customer("张三", "+8613800138000"))
    shorter = {"original": "business", "china_holidays": "1", **{f"h{d}": "09:00-17:00" for d in range(5)}}
    saved = await post(root, CAL, shorter, token_from=CAL)
    assert saved.status == 303 and saved.headers["Location"] == "/admin/calendars?name=business#main"
    # 24 business hours on 09:00-17:00 from Monday 10:00: 7 + 8 + 8 + 1, Thursday 10:00
    assert await due_of(web, ticket) == local(2026, 12, 3, 10, 0)
    page = text_of(await (await root.get(CAL)).text())
    assert "日历 business 已保存；2 个进行中的时限已重新计算到期时间。" in page
    assert "business 周一–周五 09:00–17:00 法定节假日和调休 0" in page and "已修改（覆盖内置）" in page
    async with web.db.session() as s:
        row_id = await s.scalar(select(BusinessCalendarRow.id))
    assert (await post(root, f"{CAL}/{row_id}/delete", {}, token_from=CAL)).status == 303
    assert await due_of(web, ticket) == local(2026, 12, 2, 16, 0)  # the built-in hours again
    # a calendar of one's own that no policy names can go
    assert (await post(root, CAL, {"name": "夜班", "always_open": "1"}, token_from=CAL)).status == 303
    async with web.db.session() as s:
        night = await s.scalar(select(BusinessCalendarRow.id).where(BusinessCalendarRow.name == "夜班"))
    assert (await post(root, f"{CAL}/{night}/delete", {}, token_from=CAL)).status == 303
    async with web.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(BusinessCalendarRow)) == 0
    audit = [(e.entity_id, e.action, (e.before or {}).get("hours", {}).get("0"), (e.after or {}).get("hours", {}).get("0"))
             for e in await audit_rows(web)]
    assert audit == [("business", "override", [["09:00", "18:00"]], [["09:00", "17:00"]]),
                     ("business", "delete", [["09:00", "17:00"]], [["09:00", "18:00"]]),
                     ("夜班", "create", None, None), ("夜班", "delete", None, None)]
