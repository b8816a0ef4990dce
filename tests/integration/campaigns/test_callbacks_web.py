"""The agents' callbacks over HTTP (SQLite and PostgreSQL), as agents use them: scheduled from a ticket page,
a pop and a call-log row (every refusal said, nothing saved), owner-only against anyone's between two agents,
called now (an Originate to the agent's phone in ``hotline-dial``, the customer as ``Exten``; the PBX away,
another's, no phone, outside the window, do-not-call), done and cancelled, the header's count as JSON; and
the manual follow-ups: a supervisor gives a survey's contact to an agent, whose answers land once (an unhappy
one opens a complaint) and show on the ticket."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import func, select
from web_support import PASSWORD, csrf_from, start_web, stop_web, web  # noqa: F401

from cti.audit.models import AuditEntry
from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact, DoNotCall, SurveyRating
from cti.http import keys
from cti.tickets.models import Ticket
from cti.tickets.service import Actor, NewTicket
from cti.users import service as users
from tests.integration.tickets.settings_support import text_of

ZHANG, LI = "+8613800138000", "+8613912345678"
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}
JSON = {"Accept": "application/json"}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(web):
    web.app[keys.SERVICE].clock = found = Clock()
    return found


async def add_campaign(db, *, kind: str = "callback", feed: str = "scheduled", mode: str = "preview",
                       name: str = "坐席预约回拨", **fields) -> int:
    values = dict(name=name, kind=kind, feed=feed, mode=mode, state="running", window=ALWAYS, allow_holidays=True,
                  context="hotline-dial" if mode == "preview" else "hotline-callback", per_minute=6000,
                  max_concurrent=10, dial="PJSIP/{number}@carrier", queue="support") | fields
    async with db.session() as s:
        row = Campaign(**values)
        s.add(row)
        await s.commit()
        return row.id


async def rows(db, model, *where):
    async with db.session() as s:
        return list(await s.scalars(select(model).where(*where).order_by(model.id)))


async def post(client, path: str, data: dict, *, json: bool = False, token_from: str = "/callbacks"):
    token = csrf_from(await (await client.get(token_from)).text())
    return await client.post(path, data=dict(data, csrf_token=token), allow_redirects=False,
                             headers=JSON if json else None)


async def schedule(client, *, json: bool = True, **form):
    values = {"number": ZHANG, "quick": "30m", "owner_only": "1", "reason": ""} | form
    return await post(client, "/callbacks/new", {k: v for k, v in values.items() if v is not None}, json=json)


async def repair_ticket(web, customer_id: int) -> tuple[int, str]:
    return await web.app[keys.SERVICE].tickets.open(NewTicket(customer_id, "repair", "carry_in", description="不制冷"),
                                                    Actor("agent1", "agent", web.users["agent1"]))


async def due_now(web, contact_id: int) -> None:
    """The callback falls due now (and its owner's half hour with it, when ``owner_window`` says so)."""
    async with web.db.session() as s:
        contact = await s.get(CampaignContact, contact_id)
        contact.next_at = web.app[keys.SERVICE].clock() - dt.timedelta(seconds=1)
        if contact.owner_until is not None:
            contact.owner_until = contact.next_at + dt.timedelta(minutes=30)
        await s.commit()


async def count(client) -> dict:
    resp = await client.get("/callbacks/count", headers=JSON)
    assert resp.status == 200
    return await resp.json()


# -- scheduling ----------------------------------------------------------------------------------------

async def test_an_agent_schedules_a_callback_from_the_ticket_page_for_its_customer(web, clock):
    await add_campaign(web.db)
    customer = await web.add_customer("张三", ZHANG)
    ticket_id, number = await repair_ticket(web, customer)
    agent = await web.login("agent1")
    page = await (await agent.get(f"/tickets/{ticket_id}")).text()
    trigger = re.search(r'<a class="btn btn-small" href="(/callbacks/new\?[^"]+)" data-callback="([^"]+)"', page)
    assert trigger, "the ticket page offers to schedule a callback"
    assert f"ticket={ticket_id}" in trigger[1] and f"customer={customer}" in trigger[1] and "number=138+0013+8000" in trigger[1]
    assert 'id="callback-dialog"' in page

    form = await (await agent.get(trigger[1].replace("&amp;", "&"))).text()  # the way without script
    assert f'name="ticket" value="{ticket_id}"' in form and 'name="number" value="138 0013 8000"' in form
    at = (clock.now + dt.timedelta(days=1)).astimezone(web.settings.zone).strftime("%Y-%m-%dT%H:%M")
    resp = await schedule(agent, json=False, customer=str(customer), ticket=str(ticket_id), quick="at", at=at,
                          reason="客户要求明天回电确认上门时间")
    assert (resp.status, resp.headers["Location"]) == (303, "/callbacks")
    [c] = await rows(web.db, CampaignContact)
    at_utc = dt.datetime.fromisoformat(at).replace(tzinfo=web.settings.zone).astimezone(dt.UTC)
    assert (c.e164, c.customer_id, c.ticket_id, c.name, c.source, c.state) == (ZHANG, customer, ticket_id, "张三",
                                                                              "agent", "pending")
    assert (c.next_at, c.owner_id, c.owner_until) == (at_utc, web.users["agent1"], at_utc + dt.timedelta(minutes=30))
    assert (c.reason, c.data) == ("客户要求明天回电确认上门时间", {"scheduled_by": "agent1",
                                                                    "due": at_utc.isoformat()})  # the promise (reports)
    listed = text_of(await (await agent.get("/callbacks")).text())
    local = at_utc.astimezone(web.settings.zone).strftime("%m-%d %H:%M")
    assert f"已预约 {local} 回拨 {ZHANG}。" in listed
    assert "王芳 预约：客户要求明天回电确认上门时间" in listed and number in listed
    [entry] = await rows(web.db, AuditEntry, AuditEntry.entity == "campaign_contact")
    assert (entry.actor, entry.action, entry.entity_id, entry.after["ticket_id"]) == ("agent1", "callback_schedule",
                                                                                      str(c.id), ticket_id)


async def test_from_the_pop_the_dialog_gets_json_and_the_call_is_linked(web, clock):
    await add_campaign(web.db)
    customer = await web.add_customer("张三", ZHANG)
    agent = await web.login("agent1")
    resp = await schedule(agent, number="138 0013 8000", customer=str(customer), call="1764554400.17", quick="2h",
                          owner_only=None, name="Zhang San")
    assert resp.status == 201
    body = await resp.json()
    local = (clock.now + dt.timedelta(hours=2)).astimezone(web.settings.zone).strftime("%m-%d %H:%M")
    assert body["callback"]["at"] == local and body["callback"]["message"] == f"已预约 {local} 回拨 138 0013 8000。"
    [c] = await rows(web.db, CampaignContact)
    assert (c.id, c.e164, c.origin_call_id, c.customer_id, c.name) == (body["callback"]["id"], ZHANG, "1764554400.17",
                                                                      customer, "张三")
    assert (c.owner_id, c.owner_until, c.next_at) == (None, None, clock.now + dt.timedelta(hours=2))  # anyone's


async def test_from_a_call_log_row_tomorrow_at_ten_local_time(web, clock):
    await add_campaign(web.db)
    await web.add_call("1764554400.21", at=clock.now - dt.timedelta(hours=1), caller=LI, name="<b>李四</b>",
                       disposition="abandoned")
    agent = await web.login("agent2")
    page = await (await agent.get("/calls")).text()
    trigger = re.search(r'href="(/callbacks/new\?[^"]+)" data-callback="([^"]+)" data-testid="schedule-callback"', page)
    assert trigger and "call=1764554400.21" in trigger[1] and "number=139+1234+5678" in trigger[1]
    assert "<b>李四</b>" not in page  # the caller's name, escaped in the trigger's data too
    resp = await schedule(agent, number=LI, call="1764554400.21", quick="tomorrow", name="<b>李四</b>")
    assert resp.status == 201
    [c] = await rows(web.db, CampaignContact)
    local = c.next_at.astimezone(web.settings.zone)
    assert (local.date(), local.time()) == (clock.now.astimezone(web.settings.zone).date() + dt.timedelta(days=1),
                                            dt.time(10, 0))
    assert (c.origin_call_id, c.owner_id, c.name) == ("1764554400.21", web.users["agent2"], "<b>李四</b>")
    listed = await (await agent.get("/callbacks")).text()
    assert "&lt;b&gt;李四&lt;/b&gt;" in listed and "<b>李四</b>" not in listed


async def test_each_refusal_is_said_by_its_field_and_nothing_is_saved(web, clock):
    agent = await web.login("agent1")
    resp = await schedule(agent)  # no campaign takes agents' callbacks
    assert resp.status == 422
    assert (await resp.json())["errors"] == {"form": "没有接收坐席预约回拨的外呼活动在进行，请联系班长。"}
    await add_campaign(web.db)
    past = (clock.now - dt.timedelta(hours=1)).astimezone(web.settings.zone).strftime("%Y-%m-%dT%H:%M")
    far = (clock.now + dt.timedelta(days=61)).astimezone(web.settings.zone).strftime("%Y-%m-%dT%H:%M")
    for form, errors in (
        ({"number": "12345"}, {"number": "请填写有效的电话号码。"}),
        ({"number": ""}, {"number": "请填写有效的电话号码。"}),
        ({"quick": "at", "at": past}, {"at": "这个时间已经过去了。"}),
        ({"quick": "at", "at": far}, {"at": "最多只能预约 60 天以内的回拨。"}),
        ({"quick": "at", "at": "明天"}, {"at": "请选择日期和时间。"}),
        ({"reason": "长" * 501}, {"reason": "原因最多 500 个字符。"}),
        ({"customer": "999999"}, {"form": "客户不存在。"}),
        ({"ticket": "999999"}, {"form": "工单不存在。"}),
        ({"call": "x;y"}, {"form": "通话编号无效。"}),
    ):
        resp = await schedule(agent, **form)
        assert (resp.status, (await resp.json()).get("errors")) == (422, errors), form
    page = await schedule(agent, json=False, number="12345", reason="<script>x</script>")  # the page, input kept
    html = await page.text()
    assert page.status == 422 and "请填写有效的电话号码。" in text_of(html)
    assert 'value="12345"' in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert await rows(web.db, CampaignContact) == [] and await rows(web.db, AuditEntry,
                                                                    AuditEntry.entity == "campaign_contact") == []
    no_token = await agent.post("/callbacks/new", data={"number": ZHANG, "quick": "30m"}, allow_redirects=False)
    assert no_token.status == 403 and await rows(web.db, CampaignContact) == []


# -- my callbacks: owner-only and anyone's ---------------------------------------------------------------

async def test_an_owner_only_callback_is_its_owners_for_half_an_hour_then_anyones(web, clock):
    await add_campaign(web.db)  # preview: an agent calls them from their list
    first, second = await web.login("agent1"), await web.login("agent2")
    mine = (await (await schedule(first, reason="只给我")).json())["callback"]["id"]
    anyones = (await (await schedule(first, number=LI, owner_only=None, reason="谁都可以")).json())["callback"]["id"]
    assert await count(first) == {"due": 0, "followups": 0}  # in 30 min: upcoming
    upcoming = text_of(await (await first.get("/callbacks")).text())
    assert "只给我" in upcoming and "谁都可以" in upcoming and "30 分钟后" in upcoming

    clock.now += dt.timedelta(minutes=31)
    assert await count(first) == {"due": 2, "followups": 0}
    assert await count(second) == {"due": 1, "followups": 0}  # only the one for anyone
    seen_by_second = await (await second.get("/callbacks")).text()
    assert f'data-id="{anyones}"' in seen_by_second and f'data-id="{mine}"' not in seen_by_second
    refused = await post(second, f"/callbacks/{mine}/call", {}, json=True)
    assert (refused.status, (await refused.json())["message"]) == (403, "这是其他坐席的回拨。")
    refused = await post(second, f"/callbacks/{mine}/done", {}, json=True)
    assert (refused.status, (await refused.json())["code"]) == (403, "not_yours")
    assert [c.state for c in await rows(web.db, CampaignContact)] == ["pending", "pending"]

    clock.now += dt.timedelta(minutes=30)  # its owner's half hour is over: anyone's now
    assert await count(second) == {"due": 2, "followups": 0}
    first_page = text_of(await (await first.get("/callbacks")).text())
    assert "已超时 31 分钟" in first_page  # due at +30 min, seen at +61 min


async def test_done_and_cancel_take_a_callback_out_once_and_are_audited(web, clock):
    await add_campaign(web.db)
    agent, boss = await web.login("agent1"), await web.login("boss")
    ids = [(await (await schedule(agent, number=n, quick="at", at=clock.now.astimezone(web.settings.zone)
                                  .strftime("%Y-%m-%dT%H:%M"))).json())["callback"]["id"] for n in (ZHANG, LI, ZHANG)]
    assert (await count(agent))["due"] == 3
    done = await post(agent, f"/callbacks/{ids[0]}/done", {}, json=True)
    assert (done.status, await done.json()) == (200, {"ok": True, "message": "已标记为已联系，不再回拨。"})
    cancelled = await post(agent, f"/callbacks/{ids[1]}/cancel", {})  # without script: the list says it
    assert (cancelled.status, cancelled.headers["Location"]) == (303, "/callbacks")
    assert "回拨已取消。" in text_of(await (await agent.get("/callbacks")).text())
    again = await post(agent, f"/callbacks/{ids[0]}/cancel", {}, json=True)
    assert (again.status, (await again.json())["code"]) == (409, "taken")
    by_boss = await post(boss, f"/callbacks/{ids[2]}/done", {}, json=True)  # a supervisor may close anyone's
    assert by_boss.status == 200
    found = await rows(web.db, CampaignContact)
    assert [(c.state, c.next_at) for c in found] == [("done", None), ("cancelled", None), ("done", None)]
    assert (await count(agent))["due"] == 0
    audit = [(e.actor, e.action) for e in await rows(web.db, AuditEntry, AuditEntry.entity == "campaign_contact")]
    assert audit[3:] == [("agent1", "callback_done"), ("agent1", "callback_cancel"), ("boss", "callback_done")]
    unknown = await post(agent, "/callbacks/99999/done", {}, json=True)
    assert unknown.status == 404


async def test_the_header_count_is_for_the_hotlines_people_only(web, clock):
    await add_campaign(web.db)
    async with web.db.session() as s:
        await users.create(s, username="eng1", password=PASSWORD, role="engineer", display_name="工程师")
    engineer, agent = await web.login("eng1"), await web.login("agent1")
    assert (await engineer.get("/callbacks/count", headers=JSON)).status == 403
    assert (await engineer.get("/callbacks")).status == 403
    assert 'data-testid="nav-callbacks"' not in await (await engineer.get("/work")).text()
    console = await (await agent.get("/")).text()
    assert 'data-callbacks-count="/callbacks/count"' in console and "callback-count.js" in console
    anonymous = await web.client()
    assert (await anonymous.get("/callbacks/count", headers=JSON)).status == 401


# -- calling one now -----------------------------------------------------------------------------------

async def test_call_now_rings_the_agents_phone_with_the_customer_as_exten(db, pbx_sim):
    web = await start_web(db, ami_port=pbx_sim.port, ami_ping_interval=0.5, ami_reconnect_max=0.2)
    try:
        service = web.app[keys.SERVICE]
        deadline = asyncio.get_running_loop().time() + 10
        while not service.bridge.synced:
            assert asyncio.get_running_loop().time() < deadline, "the service did not log in to the simulator"
            await asyncio.sleep(0.05)
        await add_campaign(db)
        agent, other, boss = await web.login("agent1"), await web.login("agent2"), await web.login("boss")
        contact_id = (await (await schedule(agent, reason="回电确认")).json())["callback"]["id"]
        await due_now(web, contact_id)

        for who, status, code in ((other, 403, "not_yours"), (boss, 409, "no_phone")):
            refused = await post(who, f"/callbacks/{contact_id}/call", {}, json=True)
            assert (refused.status, (await refused.json())["code"]) == (status, code)
        assert pbx_sim.actions_named("Originate") == []

        called = await post(agent, f"/callbacks/{contact_id}/call", {}, json=True)
        assert called.status == 200, await called.text()
        assert await called.json() == {"ok": True, "result": "sent", "message": "您的话机正在振铃：接起后即拨打客户。"}
        [originate] = pbx_sim.actions_named("Originate")
        fields = dict(originate["fields"])
        assert (fields["Channel"], fields["Context"], fields["Exten"]) == ("PJSIP/1001", "hotline-dial", ZHANG)
        [attempt] = await rows(db, CampaignAttempt)
        assert fields["ActionID"] == attempt.action_id
        again = await post(agent, f"/callbacks/{contact_id}/call", {}, json=True)
        assert (again.status, (await again.json())["message"]) == (409, "这个回拨已被处理（正在拨打、已完成或已取消）。")
        assert len(pbx_sim.actions_named("Originate")) == 1
        calls = [e for e in await rows(db, AuditEntry, AuditEntry.entity == "campaign_contact")
                 if e.action == "callback_call"]
        assert [(e.actor, e.after["phone"]) for e in calls] == [("agent1", "PJSIP/1001")]
    finally:
        await stop_web(web)


async def test_call_now_without_a_pbx_dials_nothing_and_the_callback_stays_due(web, clock):
    await add_campaign(web.db)
    agent = await web.login("agent1")
    contact_id = (await (await schedule(agent)).json())["callback"]["id"]
    await due_now(web, contact_id)
    resp = await post(agent, f"/callbacks/{contact_id}/call", {}, json=True)  # the console's PBX port is closed
    assert (resp.status, await resp.json()) == (503, {"ok": False, "result": "not_sent",
                                                      "message": "未连接到交换机，没有拨出。请稍后再试。"})
    [c] = await rows(web.db, CampaignContact)
    assert c.state == "pending"
    html_post = await post(agent, f"/callbacks/{contact_id}/call", {})  # without script: said on the list
    assert html_post.status == 303
    assert "未连接到交换机" in text_of(await (await agent.get("/callbacks")).text())


async def test_call_now_outside_the_window_or_to_a_do_not_call_number_is_refused_with_why(web, clock):
    closed = {str(d): [] for d in range(7)}
    closed[str((clock.now.astimezone(web.settings.zone).weekday() + 1) % 7)] = [["09:00", "18:00"]]
    await add_campaign(web.db, window=closed)
    agent = await web.login("agent1")
    contact_id = (await (await schedule(agent)).json())["callback"]["id"]
    await due_now(web, contact_id)
    resp = await post(agent, f"/callbacks/{contact_id}/call", {}, json=True)
    body = await resp.json()
    assert resp.status == 409 and body["code"] == "outside_window"
    assert re.fullmatch(r"现在不在该号码的呼叫时段内，\d\d-\d\d 09:00 开放。", body["message"]), body["message"]

    async with web.db.session() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        campaign.window = ALWAYS
        s.add(DoNotCall(e164=ZHANG, source="manual"))
        await s.commit()
    resp = await post(agent, f"/callbacks/{contact_id}/call", {}, json=True)
    assert (resp.status, (await resp.json())["message"]) == (409, "该号码在免打扰名单中，不能拨打。")


# -- manual follow-ups -----------------------------------------------------------------------------------

async def survey_contact(web, customer: int, ticket_id: int, number: str) -> tuple[int, int]:
    campaign_id = await add_campaign(web.db, kind="survey", feed="", mode="progressive", name="维修回访")
    async with web.db.session() as s:
        contact = CampaignContact(campaign_id=campaign_id, e164=ZHANG, name="张三", customer_id=customer,
                                  ticket_id=ticket_id, source="resolved",  # due in an hour: not the dialer's yet
                                  next_at=web.app[keys.SERVICE].clock() + dt.timedelta(hours=1),
                                  data={"ticket": number, "agent": "agent1", "product_model": "空调 KFR-35GW",
                                        "service_type": "repair"})
        s.add(contact)
        await s.commit()
        return campaign_id, contact.id


async def test_a_supervisor_gives_a_follow_up_to_an_agent_whose_answers_land_once(web, clock):
    customer = await web.add_customer("张三", ZHANG)
    ticket_id, number = await repair_ticket(web, customer)
    campaign_id, contact_id = await survey_contact(web, customer, ticket_id, number)
    boss, agent, other = await web.login("boss"), await web.login("agent1"), await web.login("agent2")
    page = await (await boss.get(f"/campaigns/{campaign_id}/contacts/{contact_id}")).text()
    assert 'data-testid="assign-agent"' in page and "王芳" in page
    path = f"/campaigns/{campaign_id}/contacts/{contact_id}/assign"
    refused = await post(agent, path, {"agent": str(web.users["agent1"])})
    assert refused.status == 403
    given = await post(boss, path, {"agent": str(web.users["agent1"])}, token_from="/campaigns")
    assert (given.status, given.headers["Location"]) == (303, f"/campaigns/{campaign_id}/contacts/{contact_id}")
    shown = text_of(await (await boss.get(given.headers["Location"])).text())
    assert "已分配给坐席，自动外呼不再拨打该联系人。" in shown and "人工回访 王芳" in shown
    [c] = await rows(web.db, CampaignContact)
    assert (c.state, c.owner_id) == ("assigned", web.users["agent1"])
    twice = await post(boss, path, {"agent": str(web.users["agent2"])}, token_from="/campaigns")
    assert "只有等待中的联系人可以分配（现在：已分配坐席）。" in text_of(await (await boss.get(twice.headers["Location"])).text())
    assert (await rows(web.db, CampaignContact))[0].owner_id == web.users["agent1"]

    assert await count(agent) == {"due": 0, "followups": 1}
    listed = await (await agent.get("/callbacks")).text()
    assert f'data-testid="followup-row" data-id="{contact_id}"' in listed and number in listed
    assert "空调 KFR-35GW" in listed
    assert f'data-id="{contact_id}"' not in await (await other.get("/callbacks")).text()

    answer = f"/followups/{contact_id}"
    not_theirs = await post(other, answer, {"rating": "5"})
    assert not_theirs.status == 403
    missing = await post(agent, answer, {"comment": "<b>还行</b>"})
    html = await missing.text()
    assert missing.status == 422 and "请选择 1 到 5 分的评价。" in text_of(html) and "&lt;b&gt;还行&lt;/b&gt;" in html
    assert await rows(web.db, SurveyRating) == []
    saved = await post(agent, answer, {"rating": "2", "comment": "维修太慢"})
    assert (saved.status, saved.headers["Location"]) == (303, "/callbacks#followups")
    again = await post(agent, answer, {"rating": "5"})
    assert again.status == 409 and "这个回访已不在您的任务中（已完成或已收回）。" in text_of(await again.text())
    [rating] = await rows(web.db, SurveyRating)
    assert (rating.rating, rating.channel, rating.keyed_by, rating.comment, rating.ticket_id) == (
        2, "form", "agent1", "维修太慢", ticket_id)
    [c] = await rows(web.db, CampaignContact)
    assert (c.state, c.outcome) == ("done", "answered")
    assert await count(agent) == {"due": 0, "followups": 0}
    audit = [(e.actor, e.action) for e in await rows(web.db, AuditEntry, AuditEntry.entity == "campaign_contact")]
    assert audit == [("boss", "followup_assign"), ("agent1", "followup_answer")]

    ticket_page = text_of(await (await agent.get(f"/tickets/{ticket_id}")).text())
    assert "满意度评价" in ticket_page and "不满意" in ticket_page and "坐席填写 · 王芳 填写 · 维修回访" in ticket_page
    assert "维修太慢" in ticket_page

    deadline = asyncio.get_running_loop().time() + 10  # a rating of 2 opens a complaint, as from the IVR
    while True:
        async with web.db.session() as s:
            complaints = await s.scalar(select(func.count()).select_from(Ticket).where(Ticket.service_type == "complaint"))
        if complaints == 1:
            break
        assert asyncio.get_running_loop().time() < deadline, "no complaint opened"
        await asyncio.sleep(0.05)


async def test_only_a_surveys_waiting_contact_goes_to_an_active_agent(web, clock):
    callback_id = await add_campaign(web.db)
    agent = await web.login("agent1")
    contact_id = (await (await schedule(agent)).json())["callback"]["id"]
    boss = await web.login("boss")
    resp = await post(boss, f"/campaigns/{callback_id}/contacts/{contact_id}/assign", {"agent": str(web.users["agent2"])},
                      token_from="/campaigns")
    assert "只有满意度回访活动的联系人可以分配。" in text_of(await (await boss.get(resp.headers["Location"])).text())
    wrong = await post(boss, f"/campaigns/{callback_id + 1}/contacts/{contact_id}/assign", {"agent": "1"},
                       token_from="/campaigns")
    assert wrong.status == 404
    assert (await rows(web.db, CampaignContact))[0].state == "pending"
