"""The administrator's settings in Chromium, by keyboard: from the 设置 link to the calendars page, an extra
day off typed and sent with Enter shows in the month grid in words and colour; an SLA promise typed and
sent with Enter is in the table; and on a phone-sized screen nothing is wider than the screen."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from browser_support import ZONE, expect

pytestmark = pytest.mark.browser


def a_working_day_ahead() -> dt.date:
    """A working day of the built-in calendar after today, in this month or the next (both on the page)."""
    from cti.tickets.calendar import BusinessCalendar

    cal = BusinessCalendar(zoneinfo.ZoneInfo(ZONE))
    today = dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()
    day = today + dt.timedelta(days=1)
    while not cal.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def test_an_administrator_sets_a_day_off_and_a_promise_by_keyboard(stack, agent):
    page = agent("admin")
    page.get_by_test_id("nav-admin").click()
    expect(page.get_by_test_id("settings-tabs")).to_be_visible()
    page.get_by_test_id("settings-tabs").get_by_role("link", name="工作日历").click()
    expect(page).to_have_url(re.compile(r"/admin/calendars$"))

    day = a_working_day_ahead()
    cell = page.locator(f"[data-testid=day][data-day='{day.isoformat()}']")
    expect(cell).to_have_attribute("data-kind", "work")
    page.get_by_test_id("day-input").fill(day.isoformat())  # a date field's typing order and Tab stops are the locale's
    page.get_by_test_id("working").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("note")).to_be_focused()
    page.keyboard.type("<b>仓库盘点</b>")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("flash")).to_contain_text(f"已添加例外日 {day.isoformat()}")
    expect(cell).to_have_attribute("data-kind", "extra_off")
    expect(cell).to_contain_text("本地休息")  # in words, not only in colour
    expect(page.get_by_test_id("legend")).to_contain_text("本地休息 — 本地加放的休息日，不计时")
    expect(page.locator(f"[data-testid=extra-day][data-day='{day.isoformat()}']")).to_contain_text("<b>仓库盘点</b>")

    page.get_by_test_id("settings-tabs").get_by_role("link", name="SLA 时限").click()
    page.get_by_test_id("first_contact").focus()
    page.keyboard.type("8")
    page.keyboard.press("Tab")
    page.keyboard.type("12")
    page.keyboard.press("Tab")
    page.keyboard.type("72")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("flash")).to_have_text("SLA 策略已保存，此后新开的工单按新时限计算。")
    row = page.locator("[data-testid=row][data-key='repair/*']")
    expect(row).to_contain_text("报修")
    expect(row).to_contain_text("8 小时")

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/admin/sla", "/admin/calendars", "/admin/queue-rules"):
        page.goto(stack.base_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
