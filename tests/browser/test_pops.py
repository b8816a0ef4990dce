"""Screen pops in the agent console, as an agent sees them in Chromium.

Agents log in through the login form; the PBX simulator rings their phones in
real time; the assertions read what is on the screen (``data-testid``
elements, their text and state), never the service's internals, except to
check that a customer created from a pop is in the database.
"""

from __future__ import annotations

import re
import time

import pytest
from browser_support import POP_TIMEOUT_MS, expect

pytestmark = pytest.mark.browser

ZHANG_SAN = "+8613800138000"  # the demo customer 张三 (VIP, products in and near the end of warranty)
AGENT_1001 = "刘洋"  # display names of the demo logins
GRACE_S = 0.7  # how long a page that must stay quiet is watched after the other one popped


def pop_of(page):
    return page.get_by_test_id("pops").get_by_test_id("pop")


def test_ringing_call_pops_the_customer_on_the_rung_agent_only(stack, agent):
    rung, other = agent("1001"), agent("1002")
    stack.pause("PJSIP/1002")  # 1002 is on a break: the queue does not ring that phone
    stack.pause("PJSIP/1003")

    stack.call(caller=ZHANG_SAN, name="Zhang San", answers={"PJSIP/1001": 8})

    pop = pop_of(rung)
    expect(pop.get_by_test_id("customer-name")).to_have_text("张三", timeout=POP_TIMEOUT_MS)
    expect(pop).to_have_count(1)
    expect(pop).to_have_attribute("data-state", "ringing")
    expect(pop.get_by_test_id("pop-state")).to_have_text("振铃中…")
    expect(pop.get_by_test_id("caller-name")).to_have_text("Zhang San")
    expect(pop.get_by_test_id("caller-number")).to_have_text("138 0013 8000")
    expect(pop.get_by_test_id("tier")).to_have_text("VIP")
    expect(pop.get_by_test_id("warranty").first).to_be_visible()
    expect(pop.get_by_test_id("warranty").first).to_have_text("在保")
    expect(rung.get_by_test_id("pops-empty")).to_be_hidden()
    expect(rung).to_have_title(re.compile("^来电振铃"))  # tells an agent who is looking at another tab

    time.sleep(GRACE_S)  # bounded: whatever 1002 would get, it would have had by now
    expect(pop_of(other)).to_have_count(0)
    expect(other.get_by_test_id("pops-empty")).to_be_visible()
    expect(other.get_by_test_id("connection")).to_have_attribute("data-state", "connected")


def test_ring_all_pops_on_both_and_says_who_answered(stack, agent):
    first, second = agent("1001"), agent("1002")
    stack.pause("PJSIP/1003")

    # ring-all: both phones ring; 1001 picks up after 3 s, 1002 never does; they talk 1.5 s
    stack.call(caller=ZHANG_SAN, name="Zhang San", answers={"PJSIP/1001": 3}, talk=1.5)

    for page in (first, second):
        expect(pop_of(page)).to_have_attribute("data-state", "ringing", timeout=POP_TIMEOUT_MS)
        expect(pop_of(page).get_by_test_id("customer-name")).to_have_text("张三")

    expect(pop_of(second)).to_have_attribute("data-state", "answered_elsewhere", timeout=5_000)
    expect(pop_of(second).get_by_test_id("pop-state")).to_have_text(f"已由 {AGENT_1001} 接听")
    expect(pop_of(first)).to_have_attribute("data-state", "answered")
    expect(pop_of(first).get_by_test_id("pop-state")).to_have_text("已由您接听")

    expect(pop_of(first)).to_have_attribute("data-state", "ended", timeout=5_000)
    expect(pop_of(first).get_by_test_id("pop-state")).to_contain_text("通话结束（已接听")


def test_unknown_caller_gets_quick_create_and_can_be_saved(stack, agent):
    from cti.customers import service as customers

    number = "+8617700001234"

    async def found():
        async with stack.db.session() as s:
            return [(c.name, [p.e164 for p in c.phones]) for c in await customers.find_by_phone(s, number)]

    assert stack.run(found()) == [], "the test number must not be a demo customer's"
    page = agent("1001")

    stack.call(caller=number, name="", only="PJSIP/1001", answers={})

    pop = pop_of(page)
    form = pop.get_by_test_id("quick-create")
    expect(form).to_be_visible(timeout=POP_TIMEOUT_MS)
    expect(pop.get_by_test_id("caller-name")).to_have_text("无来电名称")
    expect(pop.get_by_test_id("caller-number")).to_have_text("177 0000 1234")
    expect(form.locator("input[name=phones]")).to_have_value("177 0000 1234")

    form.locator("input[name=name]").fill("王小明")
    form.locator("input[name=name]").press("Enter")  # the keyboard is enough

    customer = pop.get_by_test_id("customer")
    expect(customer.get_by_test_id("customer-name")).to_have_text("王小明")
    expect(form).to_have_count(0)
    expect(customer.get_by_test_id("phones")).to_contain_text("177 0000 1234")
    assert stack.run(found()) == [("王小明", [number])]

    # The call log: the number as people write it, no "<unknown>" name. Rows are written in batches
    # (every 0.1 s, later on a loaded machine), so reload as a person would until the call is listed.
    page.goto(stack.base_url + "/calls")
    for _ in range(20):
        if page.get_by_text("177 0000 1234").count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.get_by_text("177 0000 1234")).to_be_visible()
    expect(page.get_by_text("<unknown>")).to_have_count(0)


HOSTILE = "<img src=x onerror=alert(1)>"


def test_hostile_caller_name_is_shown_as_text(stack, agent):
    page = agent("1001")

    stack.call(caller=ZHANG_SAN, name=HOSTILE, only="PJSIP/1001", answers={"PJSIP/1001": 1}, talk=1)

    pop = pop_of(page)
    expect(pop.get_by_test_id("caller-name")).to_have_text(HOSTILE, timeout=POP_TIMEOUT_MS)
    expect(pop).to_have_attribute("data-state", "ended", timeout=5_000)
    time.sleep(GRACE_S)  # an onerror handler would have fired by now
    assert page.cti_dialogs == []
    assert page.locator("img").count() == 0

    page.goto(stack.base_url + "/calls")  # the call log shows the same name, escaped by the template
    expect(page.get_by_text(HOSTILE).first).to_be_visible()
    time.sleep(GRACE_S)
    assert page.cti_dialogs == []
    assert page.locator("img").count() == 0


def test_a_tab_opened_and_a_login_made_while_the_phone_rings_show_the_call(stack, agent):
    stack.pause("PJSIP/1002")
    stack.pause("PJSIP/1003")
    first = agent("1001")
    stack.call(caller=ZHANG_SAN, name="Zhang San", answers={"PJSIP/1001": 6}, talk=30)
    expect(pop_of(first)).to_have_attribute("data-state", "ringing", timeout=POP_TIMEOUT_MS)

    second_tab = first.context.new_page()  # same login, a tab of its own (its own sessionStorage)
    stack.pages.append(second_tab)
    second_tab.goto(stack.base_url + "/")
    late = agent("1001")  # a login while the phone rings
    for page in (second_tab, late):
        expect(pop_of(page).get_by_test_id("customer-name")).to_have_text("张三")
        expect(pop_of(page)).to_have_attribute("data-state", "ringing")
        expect(pop_of(page).get_by_test_id("caller-number")).to_have_text("138 0013 8000")
    for page in (first, second_tab, late):  # and every one of them follows the call from there
        expect(pop_of(page)).to_have_attribute("data-state", "answered", timeout=10_000)
    third_tab = first.context.new_page()  # opened during the talk: the call, answered
    stack.pages.append(third_tab)
    third_tab.goto(stack.base_url + "/")
    expect(pop_of(third_tab)).to_have_attribute("data-state", "answered")
    expect(pop_of(third_tab).get_by_test_id("pop-state")).to_have_text("已由您接听")
