"""The console around the pops: the push channel's indicator and recovery, and the language switch."""

from __future__ import annotations

import asyncio
import time

import pytest
from browser_support import POP_TIMEOUT_MS, UI_TIMEOUT_MS, expect, log_in

pytestmark = pytest.mark.browser

ZHANG_SAN = "+8613800138000"


def test_console_reconnects_and_replays_missed_pops(stack, agent):
    page = agent("1001")
    conn = page.get_by_test_id("connection")
    pops = page.get_by_test_id("pops").get_by_test_id("pop")
    me = stack.user_id("1001")

    # The network goes down (an open WebSocket survives that, new ones fail), then the server ends the
    # push connection: the console cannot come back until the network does.
    page.context.set_offline(True)
    stack.run(lambda: stack.hub.close_all())
    expect(conn).to_have_attribute("data-state", "reconnecting")
    expect(conn).to_have_text("正在重连…")

    stack.call(caller=ZHANG_SAN, name="Zhang San", only="PJSIP/1001", answers={})

    async def popped() -> None:  # the service has sent the pop, to nobody listening
        while not stack.sent(me, "pop"):
            await asyncio.sleep(0.02)

    stack.run(asyncio.wait_for(popped(), 5))
    time.sleep(0.3)  # bounded: the pop is not on the screen while the console is disconnected
    expect(pops).to_have_count(0)
    expect(conn).to_have_attribute("data-state", "reconnecting")

    page.context.set_offline(False)
    expect(conn).to_have_attribute("data-state", "connected", timeout=UI_TIMEOUT_MS)
    expect(conn).to_have_text("已连接")
    expect(pops).to_have_count(1, timeout=POP_TIMEOUT_MS)  # replayed from where the console stopped
    expect(pops).to_have_attribute("data-state", "ringing")
    expect(pops.get_by_test_id("customer-name")).to_have_text("张三")


def test_language_switch_turns_the_console_english_and_back(stack, agent):
    page = agent("1001")
    conn = page.get_by_test_id("connection")
    expect(conn).to_have_text("已连接")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    switch = page.get_by_test_id("language-switch")
    expect(switch).to_have_text("English")

    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(conn).to_have_attribute("data-state", "connected")
    expect(conn).to_have_text("Connected")
    expect(page.locator("#console-title")).to_have_text("Incoming calls")
    expect(page.get_by_test_id("pops-empty")).to_contain_text("Waiting for calls")
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")

    stack.call(caller=ZHANG_SAN, name="Zhang San", only="PJSIP/1001", answers={})
    pop = page.get_by_test_id("pop")
    expect(pop.get_by_test_id("pop-state")).to_have_text("Ringing…", timeout=POP_TIMEOUT_MS)
    expect(pop.get_by_test_id("warranty").first).to_have_text("In warranty")
    expect(pop.get_by_test_id("tier")).to_have_text("VIP")

    page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(conn).to_have_text("已连接")
    expect(page.locator("#console-title")).to_have_text("来电")
    expect(page.get_by_test_id("language-switch")).to_have_text("English")
    expect(page.get_by_test_id("pop").get_by_test_id("pop-state")).to_have_text("振铃中…")  # kept across reloads


def test_next_agent_in_the_same_tab_does_not_see_the_previous_agents_pops(stack, agent):
    page = agent("1001")
    stack.call(caller=ZHANG_SAN, name="Zhang San", only="PJSIP/1001", answers={})
    expect(page.get_by_test_id("pop").get_by_test_id("customer-name")).to_have_text("张三", timeout=POP_TIMEOUT_MS)

    # 1001's session ends without the sign-out button (expired, revoked); 1002 signs in in the same tab
    page.context.clear_cookies()
    page.goto(stack.base_url + "/")
    log_in(page, "1002")
    expect(page.get_by_test_id("whoami")).to_contain_text("陈静")
    expect(page.get_by_test_id("pop")).to_have_count(0)
    expect(page.get_by_test_id("pops-empty")).to_be_visible()


def test_a_pop_the_agent_closed_stays_closed_when_the_console_reconnects(stack, agent):
    page = agent("1001")
    conn = page.get_by_test_id("connection")
    pops = page.get_by_test_id("pops").get_by_test_id("pop")
    stack.call(caller=ZHANG_SAN, name="Zhang San", only="PJSIP/1001", answers={})  # rings on and on
    expect(pops).to_have_attribute("data-state", "ringing", timeout=POP_TIMEOUT_MS)
    page.keyboard.press("Escape")  # the agent closes it (say, they will take it on the desk phone)
    expect(pops).to_have_count(0)

    stack.run(lambda: stack.hub.close_all())  # the push channel drops and comes back with a snapshot
    expect(conn).to_have_attribute("data-state", "connected", timeout=UI_TIMEOUT_MS)
    time.sleep(0.5)  # bounded: whatever the snapshot brings back, it has by now
    expect(pops).to_have_count(0)
    page.reload()  # and after a reload
    expect(conn).to_have_attribute("data-state", "connected", timeout=UI_TIMEOUT_MS)
    time.sleep(0.5)
    expect(pops).to_have_count(0)
