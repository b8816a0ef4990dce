"""Escalations on a supervisor's console, in Chromium: a complaint escalated by repeat calls appears live,
the supervisor acknowledges it, it leaves the open list (also after a reload) and who did it is recorded."""

from __future__ import annotations

import re

import pytest
from browser_support import UI_TIMEOUT_MS, ZONE, expect

pytestmark = pytest.mark.browser

SUPERVISOR, PASSWORD = "sup", "supervisor-pass-1"
CUSTOMER = "赵敏<b>"  # written as text, never as HTML


def add_supervisor(stack) -> None:
    from cti.users import service as users

    async def create() -> None:
        async with stack.db.session() as s:
            await users.create(s, username=SUPERVISOR, password=PASSWORD, role="supervisor", display_name="陈主管")

    stack.run(create())


def escalate(stack) -> tuple[int, str]:
    """A complaint the customer calls about three times: the service escalates it to the supervisors."""
    from cti.customers import service as customers
    from cti.http import keys
    from cti.phone import normalise
    from cti.tickets.service import SYSTEM, NewTicket

    service = stack.app[keys.SERVICE]

    async def work() -> tuple[int, str]:
        async with stack.db.session() as s:
            new = customers.NewCustomer(name=CUSTOMER, phones=[normalise("+8613700137000")])
            customer = await customers.create(s, new, actor="test")
        ticket_id, number = await service.tickets.open(NewTicket(customer.id, "complaint", description="维修三次未修好"),
                                                       SYSTEM)
        for n in range(3):
            await service.tickets.link_call(ticket_id, f"browser.{n}", SYSTEM)
        return ticket_id, number

    return stack.run(work())


def break_a_promise(stack) -> tuple[int, str]:
    """A repair whose first-contact promise fell due a minute ago (its clock moved back), then the SLA
    tick, as the scheduler runs it: the breach is announced to the supervisors."""
    import datetime as dt

    from sqlalchemy import update

    from cti.customers import service as customers
    from cti.http import keys
    from cti.phone import normalise
    from cti.tickets.models import SlaClock
    from cti.tickets.service import SYSTEM, NewTicket

    service = stack.app[keys.SERVICE]

    async def work() -> tuple[int, str]:
        async with stack.db.session() as s:
            customer = await customers.create(s, customers.NewCustomer(name="周芷若", phones=[normalise("+8613700137111")]),
                                              actor="test")
        ticket_id, number = await service.tickets.open(NewTicket(customer.id, "repair", "carry_in",
                                                                 description="冰箱不制冷"), SYSTEM)
        now = dt.datetime.now(dt.UTC)
        async with stack.db.session() as s:
            await s.execute(update(SlaClock).where(SlaClock.ticket_id == ticket_id, SlaClock.kind == "first_contact")
                            .values(due_at=now - dt.timedelta(minutes=1), at_risk_at=now - dt.timedelta(hours=2)))
            await s.commit()
        await service.timers.tick()
        return ticket_id, number

    return stack.run(work())


def acknowledged_by(stack, ticket_id: int) -> str | None:
    from sqlalchemy import select

    from cti.tickets.models import Escalation

    async def read() -> str | None:
        async with stack.db.session() as s:
            row = await s.scalar(select(Escalation).where(Escalation.ticket_id == ticket_id))
            return row.acknowledged_by if row is not None and row.acknowledged_at else None

    return stack.run(read())


def supervisor_console(stack, browser):
    """The supervisor, added, logs in through the form (sent there from the console) and waits for the push channel."""
    add_supervisor(stack)
    context = browser.new_context(locale="zh-CN", timezone_id=ZONE, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.cti_label = SUPERVISOR
    stack.pages.append(page)
    page.goto(stack.base_url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.locator("input[name=username]").fill(SUPERVISOR)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    return page


def test_a_supervisor_sees_an_escalation_live_and_acknowledges_it(stack, browser):
    page = supervisor_console(stack, browser)
    expect(page.get_by_test_id("escalations")).to_have_count(0)  # nothing open: no panel at all

    ticket_id, number = escalate(stack)

    item = page.get_by_test_id("escalation")
    expect(item).to_have_count(1, timeout=5_000)
    expect(item).to_have_attribute("data-level", "1")
    expect(item.get_by_test_id("escalation-level")).to_have_text("主管")
    expect(item.get_by_test_id("escalation-reason")).to_have_text("客户多次来电")
    expect(item.get_by_test_id("escalation-customer")).to_have_text(CUSTOMER)
    expect(item.get_by_test_id("escalation-ticket")).to_have_text(number)
    expect(item.get_by_test_id("escalation-ticket")).to_have_attribute("href", f"/tickets/{ticket_id}")
    expect(page.get_by_test_id("escalations-count")).to_have_text("1")

    item.get_by_test_id("escalation-ack").click()

    expect(page.get_by_test_id("escalation")).to_have_count(0)
    expect(page.get_by_test_id("escalations")).to_be_hidden()
    assert acknowledged_by(stack, ticket_id) == SUPERVISOR
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    expect(page.get_by_test_id("escalation")).to_have_count(0)  # the snapshot no longer lists it

    page.goto(stack.base_url + "/escalations")
    row = page.get_by_test_id("escalation-row")
    expect(row).to_have_attribute("data-state", "acknowledged")
    expect(row.get_by_test_id("escalation-acked")).to_contain_text("sup")


def test_a_supervisor_sees_a_broken_promise_in_the_ticket_news_and_finds_the_escalations_page(stack, browser):
    page = supervisor_console(stack, browser)
    expect(page.get_by_test_id("ticket-news")).to_have_count(0)  # no news: no panel

    ticket_id, number = break_a_promise(stack)

    # the demo's tickets falling due are announced by the same tick: this one is among them
    item = page.locator(f"[data-testid=ticket-news-item][data-ticket='{ticket_id}']")
    expect(item).to_have_count(1, timeout=5_000)
    assert page.get_by_test_id("ticket-news-item").count() <= 8  # the newest few, one line a ticket: not a flood
    expect(item.get_by_role("link")).to_have_text(number)
    expect(item.get_by_role("link")).to_have_attribute("href", f"/tickets/{ticket_id}")
    expect(item.get_by_test_id("ticket-news-what")).to_have_text("首次联系：已超时")
    expect(item.get_by_test_id("ticket-news-what")).to_have_class(re.compile(r"sla-breached"))
    page.get_by_test_id("ticket-news-clear").click()
    expect(page.get_by_test_id("ticket-news")).to_be_hidden()

    page.get_by_test_id("nav-escalations").click()
    expect(page).to_have_url(re.compile(r"/escalations$"))
    expect(page.get_by_test_id("nav-escalations")).to_have_attribute("aria-current", "page")
