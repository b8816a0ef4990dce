"""The wallboard in Chromium: a supervisor watches calls waiting rise and fall as the simulator queues
calls and agents answer; an agent pauses with a reason on their console and the supervisor sees it,
then resumes them from the wallboard and the agent's bar follows."""

from __future__ import annotations

import pytest
from browser_support import UI_TIMEOUT_MS, expect

pytestmark = pytest.mark.browser
AGENTS = ("PJSIP/1001", "PJSIP/1002", "PJSIP/1003")


def open_wallboard(agent, stack):
    page = agent("admin")
    page.goto(stack.base_url + "/wallboard")
    expect(page.get_by_test_id("wb-link")).to_have_attribute("data-state", "live")
    return page


def test_calls_waiting_rise_as_calls_queue_and_fall_as_agents_answer(agent, stack):
    board = open_wallboard(agent, stack)
    tile = board.locator("[data-testid=wb-queue][data-queue=support]")
    expect(tile.get_by_test_id("wb-waiting")).to_contain_text("0")
    for interface in AGENTS:  # a meeting: nobody takes calls
        stack.pause(interface)
    expect(tile.locator("[data-state=paused] b")).to_have_text("3")
    stack.call(caller="+8613800138000", name="张三")
    stack.call(caller="+8613900139000", name="<b>李四</b>")
    waiting = tile.get_by_test_id("wb-waiting")
    expect(waiting.locator(".wb-bigfig-value")).to_have_text("2")
    expect(board.get_by_test_id("wb-call")).to_have_count(2)
    expect(board.get_by_test_id("wb-calls")).to_contain_text("<b>李四</b>")  # a caller's name is text, never HTML
    expect(tile.get_by_test_id("wb-longest")).not_to_contain_text("—")

    stack.pause("PJSIP/1001", False)  # back from the meeting: 1001 takes the calls one after the other
    expect(board.locator("[data-testid=wb-agent][data-interface='PJSIP/1001']")).to_have_attribute(
        "data-state", "on_call", timeout=UI_TIMEOUT_MS)
    expect(waiting.locator(".wb-bigfig-value")).to_have_text("1")
    stack.pause("PJSIP/1002", False)
    expect(waiting.locator(".wb-bigfig-value")).to_have_text("0", timeout=UI_TIMEOUT_MS)
    expect(tile.get_by_test_id("wb-longest")).to_contain_text("—")


def test_an_agent_pauses_with_a_reason_and_the_supervisor_sees_it_and_resumes_them(agent, stack):
    console = agent("1001")
    bar = console.get_by_test_id("agent-bar")
    expect(bar.get_by_test_id("agent-state")).to_have_text("空闲")
    board = open_wallboard(agent, stack)
    row = board.locator("[data-testid=wb-agent][data-interface='PJSIP/1001']")
    expect(row).to_have_attribute("data-state", "available")

    bar.get_by_test_id("pause-reason").select_option("training")
    bar.get_by_test_id("pause").click()
    expect(bar.get_by_test_id("agent-state")).to_have_text("小休")
    expect(bar.get_by_test_id("agent-reason")).to_have_text("培训")
    expect(row).to_have_attribute("data-state", "paused")
    expect(row.get_by_test_id("wb-agent-reason")).to_have_text("培训")
    tile = board.locator("[data-testid=wb-queue][data-queue=support]")
    expect(tile.locator("[data-state=paused] b")).to_have_text("1")

    row.get_by_test_id("wb-agent-action").select_option("unpause")
    expect(board.get_by_test_id("wb-action-status")).to_have_text("已发送恢复接听。")
    expect(row).to_have_attribute("data-state", "available")
    expect(bar.get_by_test_id("agent-state")).to_have_text("空闲")
    expect(bar.get_by_test_id("pause")).to_be_visible()
