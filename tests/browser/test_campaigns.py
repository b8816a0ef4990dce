"""A supervisor runs a satisfaction survey in Chromium against the PBX simulator: creates it on the page
(a calling window covering now, typed in the form), imports two contacts from a CSV file and watches the
import's progress page, starts the campaign and sees its counters move on the page without reloading it —
+8613800138000 answers (the simulator's survey dialplan), +8613700000001 is busy and waits for its retry."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from browser_support import UI_TIMEOUT_MS, ZONE, expect

pytestmark = pytest.mark.browser
CALL_TIMEOUT_MS = 45_000  # the simulator answers after 2 s, then the survey plays, waits for a key and says goodbye
CSV = "号码,姓名,语言\n+8613800138000,张三,中文\n+8613700000001,<b>李四</b>,zh\n".encode("gb18030")


def window_covering_now() -> tuple[int, str]:
    """Today's weekday (0 = Monday) and an interval start an hour ago at the latest (the window ends at 24:00)."""
    now = dt.datetime.now(zoneinfo.ZoneInfo(ZONE))
    return now.weekday(), f"{max(now.hour - 1, 0):02d}:00"


@pytest.fixture
def supervisor(browser, stack):
    from cti.users import service as users

    async def add() -> None:
        async with stack.db.session() as s:
            await users.create(s, username="lead", password="demo-lead1", role="supervisor", display_name="孙丽")

    stack.run(add())
    context = browser.new_context(locale="zh-CN", timezone_id=ZONE, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.cti_label = "lead"
    stack.pages.append(page)
    page.goto(stack.base_url + "/login")
    page.locator("input[name=username]").fill("lead")
    page.locator("input[name=password]").fill("demo-lead1")
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_test_id("whoami")).to_contain_text("孙丽")
    return page


def test_a_supervisor_creates_a_survey_imports_two_contacts_and_watches_the_counters_move(stack, supervisor):
    page = supervisor
    page.get_by_test_id("nav-campaigns").click()
    page.get_by_test_id("new-campaign").click()
    expect(page.get_by_test_id("name")).to_be_focused()
    page.keyboard.type("十二月满意度回访")
    page.get_by_test_id("kind").select_option("survey")
    page.get_by_test_id("context").fill("survey")  # the simulator's survey dialplan
    day, start = window_covering_now()
    if day:
        page.get_by_test_id(f"w{day}_same").uncheck()
    page.get_by_test_id(f"w{day}_0_from").fill(start)
    page.get_by_test_id(f"w{day}_0_to").fill("24:00")
    page.get_by_test_id("allow_holidays").check()  # today may be a statutory holiday
    page.get_by_test_id("per_minute").fill("60")
    page.get_by_test_id("per_minute").press("Enter")  # the form is sent from the keyboard
    expect(page.get_by_test_id("flash")).to_contain_text("已创建草稿活动“十二月满意度回访”")
    expect(page.get_by_test_id("campaign-state")).to_have_text("草稿")
    campaign_url = page.url

    page.get_by_test_id("import-contacts").click()
    page.get_by_test_id("import-file").set_input_files(files=[{"name": "回访名单.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.get_by_test_id("import-submit").click()
    expect(page).to_have_url(re.compile(r"/campaigns/\d+/import/\d+$"))
    expect(page.get_by_test_id("import-state")).to_have_text("已完成")  # the page follows the import, then shows its report
    expect(page.get_by_test_id("import-added")).to_have_text("2")
    expect(page.get_by_test_id("report-empty")).to_have_text("所有行均已添加。")
    page.get_by_test_id("back-to-campaign").click()
    expect(page).to_have_url(campaign_url)
    expect(page.get_by_test_id("count-state-pending")).to_have_text("2")
    expect(page.locator("[data-testid=contacts]")).to_contain_text("<b>李四</b>")  # shown as text

    page.get_by_test_id("action-start").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("进行中")
    page.evaluate("window.ctiSamePage = true")  # gone if the page reloads
    expect(page.get_by_test_id("count-outcome-busy")).to_have_text("1", timeout=CALL_TIMEOUT_MS)
    expect(page.get_by_test_id("count-outcome-answered")).to_have_text("1", timeout=CALL_TIMEOUT_MS)
    expect(page.get_by_test_id("count-state-done")).to_have_text("1")
    expect(page.get_by_test_id("count-state-pending")).to_have_text("1")  # the busy one, waiting for its retry
    expect(page.get_by_test_id("count-retrying")).to_have_text("1")
    expect(page.get_by_test_id("count-attempts-today")).to_have_text("2")
    assert page.evaluate("window.ctiSamePage") is True
    assert len(stack.sim.actions_named("Originate")) == 2
