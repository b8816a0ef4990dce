"""An engineer's day on a phone-sized screen (390x844): the job they were given is on their work list;
they check in on site and send the completion report with a part; the job then waits for review.

The engineer logs in through the login form (the demo login ``eng01``, 张伟, whose district is
北京市朝阳区); the assertions read what is on the screen. The job is opened and given out before
the test, through the service's own units of work, so it does not depend on the demo's jobs.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from browser_support import UI_TIMEOUT_MS, ZONE, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CUSTOMER, NUMBER = "钱多多", "+8613700001111"


def _give_out_a_job(stack, customer_name: str = CUSTOMER, number_: str = NUMBER, serial: str = "KT-BROWSER-1") -> str:
    """A customer in 朝阳区 with an out-of-warranty air conditioner, an on-site repair for it, given to
    eng01 for tomorrow 09:00–12:00. Returns the ticket's number."""
    from sqlalchemy import select

    from cti.customers import service as customers
    from cti.dispatch import service
    from cti.dispatch.models import Engineer
    from cti.http import keys
    from cti.phone import normalise
    from cti.tickets.service import Actor, NewTicket
    from cti.users.models import User

    desk = stack.app[keys.SERVICE].tickets
    agent = Actor("1001", "agent")
    zone = zoneinfo.ZoneInfo(ZONE)
    tomorrow = dt.datetime.now(zone).date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(9), tzinfo=zone).astimezone(dt.UTC)

    async def work() -> str:
        async with stack.db.session() as s:
            new = customers.NewCustomer(customer_name, [normalise(number_)], city="北京市", district="朝阳区",
                                        address="北京市朝阳区光华路8号 2号楼1单元302室",
                                        products=[customers.NewProduct("空调 KFR-35GW", serial, dt.date(2020, 5, 1), 12)])
            customer = await customers.create(s, new, actor="test")
            engineer = await s.scalar(select(Engineer.id).join(User, User.id == Engineer.user_id)
                                      .where(User.username == "eng01"))
        product = customer.products[0].id
        ticket_id, number = await desk.open(NewTicket(customer.id, "repair", "on_site", product_id=product,
                                                      description="空调不制冷，外机不转"), agent)
        await desk.run(lambda s, now, p: (None, service.schedule(
            s, ticket_id, service.Assignment(engineer, None, start, start + dt.timedelta(hours=3)), agent, now=now,
            promises=p)))
        return number

    return stack.run(work())


def _phone_page(browser, stack):
    context = browser.new_context(locale="zh-CN", timezone_id=ZONE, viewport=PHONE, has_touch=True, is_mobile=True)
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.cti_label = "eng01"
    stack.pages.append(page)
    return page


def _no_sideways_scrolling(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_engineer_checks_in_and_completes_a_job_on_a_phone(browser, stack):
    number = _give_out_a_job(stack)
    page = _phone_page(browser, stack)

    page.goto(stack.base_url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.locator("input[name=username]").fill("eng01")
    page.locator("input[name=password]").fill("demo-eng01")
    page.locator("form[action='/login'] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/work$"))  # an engineer lands on the work list
    expect(page.get_by_test_id("whoami")).to_contain_text("张伟")
    expect(page.get_by_test_id("nav-work")).to_be_visible()
    expect(page.locator(".mainnav a")).to_have_count(1)  # nothing else is theirs
    job = page.locator(f"[data-testid=job][data-number='{number}']")
    expect(job).to_be_visible()
    expect(job.get_by_test_id("job-customer")).to_have_text(CUSTOMER)
    expect(job.get_by_test_id("job-phone")).to_have_text("137 0000 1111")
    expect(job.get_by_test_id("job-phone")).to_have_attribute("href", f"tel:{NUMBER}")
    expect(job.get_by_test_id("job-address")).to_have_text("北京市朝阳区光华路8号 2号楼1单元302室")
    expect(job.get_by_test_id("job-window")).to_contain_text("09:00–12:00")
    expect(job.get_by_test_id("job-warranty")).to_have_text("保外（收费）")
    expect(job.get_by_test_id("job-state")).to_have_text("已派工")
    _no_sideways_scrolling(page)

    job.get_by_test_id("arrive").click()
    expect(page.get_by_test_id("flash")).to_have_text("已签到，开始上门服务。")
    job = page.locator(f"[data-testid=job][data-number='{number}']")
    expect(job.get_by_test_id("job-state")).to_have_text("已上门")
    box = job.get_by_test_id("complete").bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb finds it

    job.get_by_test_id("complete").click()
    form = page.get_by_test_id("complete-form")
    expect(form).to_be_visible()
    _no_sideways_scrolling(page)
    form.get_by_test_id("work-done").fill("更换压缩机启动电容，补充冷媒，试机制冷正常")
    expect(form.get_by_test_id("part-row")).to_have_count(3)
    form.get_by_test_id("add-row").click()  # one more row, what was typed is kept
    form = page.get_by_test_id("complete-form")
    expect(form.get_by_test_id("part-row")).to_have_count(4)
    expect(form.get_by_test_id("work-done")).to_have_value("更换压缩机启动电容，补充冷媒，试机制冷正常")
    row = form.get_by_test_id("part-row").first
    row.get_by_test_id("part-name").fill("压缩机启动电容")
    row.get_by_test_id("part-qty").fill("2")
    row.get_by_test_id("part-price").fill("35.5")
    form.get_by_test_id("labour").fill("80")
    form.get_by_test_id("submit-completion").click()

    expect(page).to_have_url(re.compile(r"/work(#job-\d+)?$"))
    expect(page.get_by_test_id("flash")).to_have_text(f"完工单已提交（{number}），等待审核。")
    job = page.get_by_test_id("group-waiting").locator(f"[data-testid=job][data-number='{number}']")
    expect(job.get_by_test_id("job-state")).to_have_text("已完工")
    expect(job.get_by_test_id("job-status")).to_have_text("已完工，等待审核")
    expect(job.get_by_test_id("arrive")).to_have_count(0)
    expect(job.get_by_test_id("complete")).to_have_count(0)
    _no_sideways_scrolling(page)

    # the supervisor's board lists it for review, with the charges the engineer entered
    desk = browser.new_context(locale="zh-CN", timezone_id=ZONE, viewport={"width": 1280, "height": 900})
    desk.set_default_timeout(UI_TIMEOUT_MS)
    boss = desk.new_page()
    boss.cti_label = "admin"
    stack.pages.append(boss)
    boss.goto(stack.base_url + "/login?next=/dispatch")
    boss.locator("input[name=username]").fill("admin")
    boss.locator("input[name=password]").fill("demoadmin")
    boss.locator("form[action='/login'] button[type=submit]").click()
    review = boss.locator(f"[data-testid=review][data-number='{number}']")
    expect(review.get_by_test_id("review-work")).to_have_text("更换压缩机启动电容，补充冷媒，试机制冷正常")
    expect(review.get_by_test_id("review-charges")).to_contain_text("合计 ¥151.00")


def test_a_job_given_out_while_the_list_is_open_is_announced_and_shown_on_request(browser, stack):
    first = _give_out_a_job(stack)
    page = _phone_page(browser, stack)
    page.goto(stack.base_url + "/login?next=/work")
    page.locator("input[name=username]").fill("eng01")
    page.locator("input[name=password]").fill("demo-eng01")
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator(f"[data-testid=job][data-number='{first}']")).to_be_visible()
    expect(page.get_by_test_id("work-updated")).to_have_count(0)
    page.wait_for_timeout(500)  # the list's push channel opens

    second = _give_out_a_job(stack, "孙小美", "+8613700002222", "KT-BROWSER-2")

    expect(page.get_by_test_id("work-updated")).to_have_text(re.compile("您的工作单有变化。"), timeout=5_000)
    expect(page.locator(f"[data-testid=job][data-number='{second}']")).to_have_count(0)  # not reloaded by itself
    page.get_by_test_id("work-reload").click()
    expect(page.locator(f"[data-testid=job][data-number='{second}']")).to_be_visible()
    expect(page.get_by_test_id("work-updated")).to_have_count(0)
    _no_sideways_scrolling(page)
