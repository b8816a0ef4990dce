"""Tickets from the pop, as an agent does it in Chromium: during a call, the keyboard (or the pop's
button) opens the new-ticket form for the caller, the product's warranty shows before saving, the
ticket is saved with the call linked, and it is on the customer's page. The pop lists a caller's
open tickets, says which one the call is linked to, and lets the agent choose another.

Assertions read the screen (``data-testid`` elements); the database is read only to check that the
call was linked to the ticket the screen says.
"""

from __future__ import annotations

import re

import pytest
from browser_support import POP_TIMEOUT_MS, expect

pytestmark = pytest.mark.browser

ZHANG_SAN = "+8613800138000"  # demo customer 张三: two products, both still in warranty


def pop_of(page):
    return page.get_by_test_id("pops").get_by_test_id("pop")


def links_of(stack, call_id: str) -> list[str]:
    """The numbers of the tickets a call is linked to (the database's word)."""
    from cti.tickets import queries

    found = stack.run(stack.db.read(queries.tickets_of_calls, [call_id]))
    return sorted(number for _, number in found.get(call_id, []))


def open_tickets(stack, customer_name: str, *kinds: tuple[str, str | None, str]) -> list[str]:
    """Tickets opened beforehand for a demo customer, as an agent would have: their numbers."""
    from cti.customers import service as customers
    from cti.http import keys
    from cti.tickets.service import Actor, NewTicket

    desk = stack.app[keys.SERVICE].tickets

    async def work() -> list[str]:
        async with stack.db.session() as s:
            customer = next(c for c in await customers.search(s, customer_name) if c.name == customer_name)
        numbers = []
        for kind, mode, text in kinds:
            _, number = await desk.open(NewTicket(customer.id, kind, mode, description=text, keep_open=True),
                                        Actor("1002", "agent"))
            numbers.append(number)
        return numbers

    return stack.run(work())


def test_during_a_call_the_agent_opens_a_repair_ticket_with_the_keyboard_and_finds_it_on_the_customers_page(
        stack, agent):
    page = agent("1001")
    stack.pause("PJSIP/1002")
    stack.pause("PJSIP/1003")
    stack.call(caller=ZHANG_SAN, name="Zhang San", answers={"PJSIP/1001": 1}, talk=60)

    pop = pop_of(page)
    expect(pop.get_by_test_id("customer-name")).to_have_text("张三", timeout=POP_TIMEOUT_MS)
    expect(pop.get_by_test_id("tickets-empty")).to_be_visible()
    call_id = pop.get_attribute("data-call-id")
    pop.focus()
    page.keyboard.press("t")  # the pop in focus: its customer's new-ticket form

    dialog = page.get_by_test_id("ticket-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("新建工单：张三")
    product = dialog.get_by_test_id("product")
    expect(product).to_be_focused()  # two products: the agent chooses (no default decides the warranty)
    expect(dialog.get_by_test_id("dialog-warranty")).to_be_hidden()
    product.select_option(index=1)
    chosen = product.locator("option:checked").inner_text()
    model = chosen.split(" · ")[0]
    expect(dialog.get_by_test_id("dialog-warranty")).to_contain_text("保修期内（免费）")  # before saving
    expect(dialog.get_by_test_id("type")).to_have_value("repair")
    page.keyboard.press("Tab")  # the keyboard all the way: product → service type → mode
    page.keyboard.press("Tab")
    expect(dialog.get_by_test_id("mode")).to_be_focused()
    dialog.get_by_test_id("mode").select_option("carry_in")
    dialog.get_by_test_id("priority").select_option("urgent")
    dialog.get_by_test_id("description").fill("空调不制冷，外机有异响")
    page.keyboard.press("Control+Enter")

    expect(dialog).to_be_hidden()
    row = pop.get_by_test_id("pop-ticket")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("pop-ticket-linked")).to_have_text("✓ 已关联本次来电")
    expect(row.get_by_test_id("pop-ticket-state")).to_have_text("待修")
    expect(row.get_by_test_id("pop-ticket-sla")).to_have_text("正常")
    expect(row.get_by_test_id("pop-ticket-left")).to_contain_text("剩 ")
    number = row.get_by_test_id("pop-ticket-number").inner_text()
    assert re.fullmatch(r"T\d{8}-\d{4}", number)
    expect(pop.get_by_test_id("pop-ticket-opened")).to_have_text(f"工单 {number} 已创建。")
    assert links_of(stack, call_id) == [number]

    customer_id = pop.get_by_test_id("customer").get_attribute("data-customer-id")
    page.goto(f"{stack.base_url}/customers/{customer_id}")
    listed = page.get_by_test_id("tickets").get_by_test_id("ticket-row")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(number)
    expect(listed).to_contain_text(model)
    expect(listed).to_contain_text("保修期内（免费）")
    listed.get_by_test_id("ticket-link").click()
    expect(page.get_by_test_id("ticket-number")).to_have_text(number)
    expect(page.get_by_test_id("ticket-state")).to_have_text("待修")
    expect(page.get_by_test_id("ticket-priority")).to_have_text("加急")
    expect(page.get_by_test_id("ticket-warranty").first).to_have_text("保修期内（免费）")
    expect(page.get_by_test_id("linked-call")).to_have_text(call_id)
    expect(page.get_by_test_id("description")).to_have_text("空调不制冷，外机有异响")


def test_an_unknown_caller_is_created_then_the_ticket_form_opens_for_them(stack, agent):
    page = agent("1001")
    stack.call(caller="+8617700005678", name="", only="PJSIP/1001", answers={"PJSIP/1001": 1}, talk=60)
    pop = pop_of(page)
    expect(pop.get_by_test_id("quick-create")).to_be_visible(timeout=POP_TIMEOUT_MS)
    call_id = pop.get_attribute("data-call-id")
    pop.get_by_test_id("caller-number").click()  # anywhere on the pop, then Alt+T: the newest pop's form
    page.keyboard.press("Alt+t")
    expect(pop.get_by_test_id("ticket-needs-customer")).to_be_visible()
    name = pop.locator(".quick-form input[name=name]")
    expect(name).to_be_focused()
    name.fill("周小红")
    pop.get_by_test_id("quick-create-ticket").click()

    dialog = page.get_by_test_id("ticket-dialog")
    expect(dialog).to_contain_text("新建工单：周小红")
    expect(dialog.get_by_test_id("product")).to_have_value("none")  # a new customer has no products yet
    dialog.get_by_test_id("type").select_option("complaint")
    expect(dialog.get_by_test_id("mode")).to_be_hidden()
    dialog.get_by_test_id("ticket-save").click()
    expect(dialog).to_be_hidden()
    row = pop.get_by_test_id("pop-ticket")
    expect(row.get_by_test_id("pop-ticket-state")).to_have_text("待处理")
    expect(row.get_by_test_id("pop-ticket-linked")).to_be_visible()
    assert links_of(stack, call_id) == [row.get_by_test_id("pop-ticket-number").inner_text()]


def test_a_form_error_is_shown_in_the_dialog_and_the_input_is_kept(stack, agent):
    page = agent("1001")
    stack.call(caller=ZHANG_SAN, name="Zhang San", only="PJSIP/1001", answers={"PJSIP/1001": 1}, talk=60)
    pop = pop_of(page)
    expect(pop.get_by_test_id("customer-name")).to_have_text("张三", timeout=POP_TIMEOUT_MS)
    pop.get_by_test_id("new-ticket").click()
    dialog = page.get_by_test_id("ticket-dialog")
    dialog.get_by_test_id("description").fill("洗衣机漏水")
    dialog.get_by_test_id("ticket-save").click()  # no product chosen, no mode for the repair
    expect(dialog.get_by_test_id("error-product")).to_have_text("请选择产品，或选择“不涉及具体产品”。")
    expect(dialog.get_by_test_id("error-mode")).to_have_text("报修需选择服务方式：送修或上门。")
    expect(dialog.get_by_test_id("ticket-dialog-status")).to_contain_text("请修改标出的字段")
    expect(dialog.get_by_test_id("description")).to_have_value("洗衣机漏水")
    page.keyboard.press("Escape")  # closed, the draft kept for this call
    expect(dialog).to_be_hidden()
    expect(pop_of(page)).to_have_count(1)  # Esc closed the dialog, not the pop
    pop.get_by_test_id("new-ticket").click()
    expect(dialog.get_by_test_id("description")).to_have_value("洗衣机漏水")
    expect(pop.get_by_test_id("pop-ticket")).to_have_count(0)


def test_the_pop_shows_the_open_tickets_and_the_agent_links_the_call_to_another(stack, agent):
    first, second = open_tickets(stack, "张三", ("complaint", None, "师傅迟到两小时"), ("repair", "on_site", "冰箱不制冷"))
    page = agent("1001")
    stack.call(caller=ZHANG_SAN, name="Zhang San", only="PJSIP/1001", answers={"PJSIP/1001": 1}, talk=60)
    pop = pop_of(page)
    rows = pop.get_by_test_id("pop-ticket")
    expect(rows).to_have_count(2, timeout=POP_TIMEOUT_MS)
    expect(pop.get_by_test_id("pop-choose-ticket")).to_contain_text("有 2 张未结工单")
    expect(pop.get_by_test_id("pop-ticket-linked")).to_have_count(0)  # several: the linker leaves it to the agent
    call_id = pop.get_attribute("data-call-id")
    target = rows.filter(has_text=second)
    expect(target).to_contain_text("报修 · 上门")
    expect(target).to_contain_text("待派工")
    target.get_by_test_id("pop-ticket-link").click()
    expect(target.get_by_test_id("pop-ticket-linked")).to_be_visible()
    expect(rows.filter(has_text=first).get_by_test_id("pop-ticket-link")).to_be_visible()
    assert links_of(stack, call_id) == [second]
    rows.filter(has_text=first).get_by_test_id("pop-ticket-link").click()  # changed their mind: moved
    expect(rows.filter(has_text=first).get_by_test_id("pop-ticket-linked")).to_be_visible()
    expect(target.get_by_test_id("pop-ticket-link")).to_be_visible()
    assert links_of(stack, call_id) == [first]


def test_the_one_open_ticket_is_linked_by_itself_and_a_recent_one_can_be_reopened(stack, agent):
    (only,) = open_tickets(stack, "张三", ("repair", "carry_in", "洗衣机漏水"))
    (done,) = open_tickets(stack, "张三", ("enquiry", None, "咨询以旧换新"))
    from cti.http import keys
    from cti.tickets.service import Actor

    ids = {}

    async def close_enquiry() -> None:
        from sqlalchemy import select

        from cti.tickets.models import Ticket

        async with stack.db.session() as s:
            ids.update(dict((await s.execute(select(Ticket.number, Ticket.id))).all()))
        await stack.app[keys.SERVICE].tickets.change_state(ids[done], "closed", Actor("1002", "agent"))

    stack.run(close_enquiry())
    page = agent("1001")
    stack.call(caller=ZHANG_SAN, name="Zhang San", only="PJSIP/1001", answers={"PJSIP/1001": 1}, talk=60)
    pop = pop_of(page)
    open_row = pop.get_by_test_id("pop-open-tickets").get_by_test_id("pop-ticket")
    expect(open_row).to_have_count(1, timeout=POP_TIMEOUT_MS)
    expect(open_row.get_by_test_id("pop-ticket-linked")).to_be_visible()
    call_id = pop.get_attribute("data-call-id")
    for _ in range(50):  # the linker writes in its batch (0.1 s)
        if links_of(stack, call_id):
            break
        page.wait_for_timeout(100)
    assert links_of(stack, call_id) == [only]
    recent = pop.get_by_test_id("pop-reopenable")
    expect(recent).to_contain_text(done)
    expect(recent).to_contain_text("已关闭")
    recent.get_by_test_id("pop-ticket-reopen").click()
    page.keyboard.type("客户还想问安装费")
    page.keyboard.press("Enter")
    reopened = pop.get_by_test_id("pop-open-tickets").get_by_test_id("pop-ticket").filter(has_text=done)
    expect(reopened.get_by_test_id("pop-ticket-linked")).to_be_visible()
    expect(reopened.get_by_test_id("pop-ticket-state")).to_have_text("待处理")
    assert links_of(stack, call_id) == [done]  # moved from the one the linker chose
