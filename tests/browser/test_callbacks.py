"""Callbacks as an agent sees them in Chromium, against the PBX simulator: the header's 回拨 N goes up when
a callback of theirs falls due (scheduled for now from a ticket page with the keyboard, or falling due by
the clock) and down when they mark one done and call the other — without the page reloading; a callback's
pop says why it rings, hostile text shown as text; a pop's 预约回拨 opens the dialog for its caller."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

import pytest
from browser_support import POP_TIMEOUT_MS, ZONE, expect

pytestmark = pytest.mark.browser
ZHANG_SAN = "+8613800138000"  # the demo customer 张三
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}
POLL_MS = 30_000  # the header reads its count every 20 s
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def campaign(stack) -> int:
    """The running campaign agents' callbacks go to (preview: an agent calls them from the list)."""
    from cti.campaigns.models import Campaign

    async def add() -> int:
        async with stack.db.session() as s:
            row = Campaign(name="坐席预约回拨", kind="callback", feed="scheduled", mode="preview", state="running",
                           window=ALWAYS, allow_holidays=True, context="hotline-dial", per_minute=6000,
                           max_concurrent=10)
            s.add(row)
            await s.commit()
            return row.id

    return stack.run(add())


def zhang_san(stack) -> tuple[int, int]:
    """The demo customer 张三 and a repair ticket opened for them."""
    from sqlalchemy import select

    from cti.customers.models import CustomerPhone
    from cti.http import keys
    from cti.tickets.service import Actor, NewTicket

    async def find() -> tuple[int, int]:
        async with stack.db.session() as s:
            customer = await s.scalar(select(CustomerPhone.customer_id).where(CustomerPhone.e164 == ZHANG_SAN))
        ticket, _ = await stack.app[keys.SERVICE].tickets.open(NewTicket(customer, "repair", "carry_in"),
                                                               Actor("1001", "agent"))
        return customer, ticket

    return stack.run(find())


def schedule_in(stack, username: str, seconds: float, number: str) -> int:
    """A callback of ``username``'s (only theirs) falling due in ``seconds``, as the dialog schedules one."""
    from cti.campaigns import callbacks
    from cti.users import service as users

    async def add() -> int:
        async with stack.db.session() as s:
            user = await users.by_username(s, username)
        now = dt.datetime.now(dt.UTC)
        agent = callbacks.Agent(user.id, user.username, user.interface)
        return await stack.db.write(callbacks.schedule, agent, e164=number, at=now + dt.timedelta(seconds=seconds),
                                    owner_only=True, reason="到点回电", now=now)

    return stack.run(add())


def test_the_header_count_follows_callbacks_falling_due_and_done_without_a_reload(stack, agent, campaign):
    customer, ticket = zhang_san(stack)
    page = agent("1001")
    due = page.get_by_test_id("callbacks-due")
    expect(page.get_by_test_id("nav-callbacks")).to_have_text("回拨")
    expect(due).to_be_hidden()  # nothing due: no number

    page.goto(f"{stack.base_url}/tickets/{ticket}")
    page.evaluate("window.ctiSamePage = true")  # gone if the page reloads
    page.get_by_test_id("schedule-callback").click()
    dialog = page.get_by_test_id("callback-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("callback-quick-30m")).to_be_focused()
    expect(dialog.get_by_test_id("callback-number")).to_have_value("138 0013 8000")
    expect(dialog.get_by_test_id("callback-about")).to_contain_text("张三")
    now = dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")
    dialog.get_by_test_id("callback-at").fill(now)  # typing a time chooses it
    expect(page.get_by_test_id("callback-quick-at")).to_be_checked()
    dialog.get_by_test_id("callback-reason").fill("客户要求尽快回电")
    page.keyboard.press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("callback-toast")).to_contain_text("已预约")
    expect(due).to_have_text("1")  # at once: the dialog said it changed

    schedule_in(stack, "1001", 2, "+8613912345678")  # falls due in 2 s: the next read of the count shows it
    expect(due).to_have_text("2", timeout=POLL_MS)
    assert page.evaluate("window.ctiSamePage") is True

    page.get_by_test_id("nav-callbacks").click()
    rows = page.get_by_test_id("callbacks-due-list").get_by_test_id("callback-row")
    expect(rows).to_have_count(2)
    expect(rows.first.get_by_test_id("callback-why")).to_have_text("刘洋 预约：客户要求尽快回电")
    page.evaluate("window.ctiSamePage = true")
    rows.first.get_by_test_id("callback-done").click()
    expect(rows.first.get_by_test_id("callback-result")).to_have_text("已标记为已联系，不再回拨。")
    expect(due).to_have_text("1")
    rows.nth(1).get_by_test_id("callback-call").click()  # the agent's phone rings, then the customer
    expect(rows.nth(1).get_by_test_id("callback-result")).to_have_text("您的话机正在振铃：接起后即拨打客户。")
    expect(due).to_be_hidden()
    assert page.evaluate("window.ctiSamePage") is True
    [originate] = stack.sim.actions_named("Originate")
    fields = dict(originate["fields"])
    assert (fields["Channel"], fields["Context"], fields["Exten"]) == ("PJSIP/1001", "hotline-dial", "+8613912345678")


def pop_message(call_id: str, origin: dict) -> dict:
    return {"call_id": call_id, "state": "ringing", "at": dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).isoformat(),
            "queue": "", "interface": "PJSIP/1001", "customers": [], "recent_calls": [], "origin": origin,
            "caller": {"raw": "13900000000", "name": HOSTILE, "e164": "+8613900000000", "display": "139 0000 0000",
                       "place": "", "carrier": "", "kind": "mobile", "anonymous": False}}


def test_a_callbacks_pop_says_why_it_rings_and_hostile_text_stays_text(stack, agent):
    page = agent("1001")
    me = stack.user_id("1001")
    stack.run(lambda: stack.hub.send(me, "pop", pop_message("cb.1", {
        "kind": "callback", "campaign": "未接回拨", "source": "abandoned", "reason": "", "queue": "support",
        "waited": 25, "scheduled_by": "", "contact_id": 1, "attempt": 1, "ticket": None})))
    pop = page.get_by_test_id("pops").get_by_test_id("pop")
    expect(pop.get_by_test_id("pop-origin-badge")).to_have_text("回拨", timeout=POP_TIMEOUT_MS)
    expect(pop.get_by_test_id("pop-origin-why")).to_have_text("放弃来电：在 support 队列等待 25 秒")

    stack.run(lambda: stack.hub.send(me, "pop", pop_message("cb.2", {
        "kind": "callback", "campaign": HOSTILE, "source": "agent", "reason": "<script>alert(2)</script>",
        "queue": "", "waited": None, "scheduled_by": "1002", "scheduled_by_name": "<b>王</b>", "contact_id": 2,
        "attempt": 2, "ticket": {"id": 7, "number": "<i>T20261201-0001</i>"}})))
    newest = pop.first
    expect(newest).to_have_attribute("data-call-id", "cb.2", timeout=POP_TIMEOUT_MS)
    expect(newest.get_by_test_id("pop-origin-why")).to_have_text("<b>王</b> 预约：<script>alert(2)</script>")
    expect(newest.get_by_test_id("pop-origin-ticket")).to_have_text("<i>T20261201-0001</i>")
    expect(newest.get_by_test_id("pop-origin-ticket")).to_have_attribute("href", "/tickets/7")
    expect(newest.get_by_test_id("caller-name")).to_have_text(HOSTILE)
    time.sleep(0.5)  # an onerror handler would have fired by now
    assert page.cti_dialogs == []
    assert page.locator("img").count() == 0 and page.locator("#pops b, #pops i, #pops script").count() == 0


def test_a_pops_schedule_button_opens_the_dialog_for_its_caller_and_esc_closes_only_the_dialog(stack, agent, campaign):
    page = agent("1001")
    me = stack.user_id("1001")
    stack.run(lambda: stack.hub.send(me, "pop", pop_message("1764554400.31", {})))
    pop = page.get_by_test_id("pops").get_by_test_id("pop")
    pop.get_by_test_id("pop-schedule-callback").click()
    dialog = page.get_by_test_id("callback-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("callback-number")).to_have_value("139 0000 0000")
    expect(dialog.get_by_test_id("callback-about")).to_have_text(f"{HOSTILE} · 139 0000 0000")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(pop).to_have_count(1)  # Esc closed the dialog, not the pop

    pop.get_by_test_id("pop-schedule-callback").click()
    page.get_by_test_id("callback-quick-2h").check()
    dialog.get_by_test_id("callback-number").fill("12345")
    page.keyboard.press("Control+Enter")
    expect(dialog.get_by_test_id("callback-error-number")).to_have_text("请填写有效的电话号码。")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("callback-number").fill("139 0000 0000")
    page.keyboard.press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("callback-toast")).to_contain_text("已预约")

    from sqlalchemy import select

    from cti.campaigns.models import CampaignContact

    async def saved() -> list:
        async with stack.db.session() as s:
            return [(c.e164, c.origin_call_id, c.name) for c in await s.scalars(select(CampaignContact))]

    assert stack.run(saved()) == [("+8613900000000", "1764554400.31", HOSTILE)]
