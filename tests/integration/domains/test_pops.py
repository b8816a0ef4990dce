"""Screen pops: which agent's console receives what, from domain events, with a real database and hub."""

import datetime as dt
from zoneinfo import ZoneInfo

from cti.ami.events import AgentRingEnded, AgentRinging, CallAnswered, CallEnded, Direction, Disposition, RingOutcome
from cti.customers.pop import PopService
from cti.phone import normalise
from cti.push import Hub
from cti.users import service as users

from .helpers import add_customer, ts

CALL = "1795790312.0"


async def _agents(db, *numbers):
    ids = {}
    async with db.session() as s:
        for n in numbers:
            u = await users.create(s, username=n, password=f"demo{n}pw", interface=f"PJSIP/{n}", display_name=f"坐席{n}")
            ids[n] = u.id
    return ids


def _describe(raw, lang):
    return normalise(raw, lang=lang)


def _ringing(iface, caller="+8613800138000", name="Zhang San"):
    return AgentRinging(CALL, ts(14, 38, 33), iface, f"Agent {iface[-4:]}", f"{iface}-0000000a", "support", caller, name)


def _messages(hub, user_id):
    return [(m.type, m.data) for m in hub.connect(user_id, last_id=0).pending()]


async def test_only_the_ringing_agent_gets_the_pop_with_the_customer(db):
    ids = await _agents(db, "1001", "1002")
    await add_customer(db, "张三", "13800138000", products=[("空调 KFR-35GW", "KT1", dt.date(2026, 3, 1), 12)])
    hub = Hub()
    pops = PopService(db.session, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001"))
    [(kind, pop)] = _messages(hub, ids["1001"])
    assert kind == "pop" and pop["state"] == "ringing"
    assert [c["name"] for c in pop["customers"]] == ["张三"]
    assert pop["customers"][0]["products"][0]["warranty_status"] == "in_warranty"
    assert pop["caller"]["e164"] == "+8613800138000" and pop["caller"]["place"]
    assert _messages(hub, ids["1002"]) == []


async def test_ringall_answer_tells_the_others_who_answered_then_the_end(db):
    ids = await _agents(db, "1001", "1002")
    hub = Hub()
    pops = PopService(db.session, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001"))
    await pops.handle(_ringing("PJSIP/1002"))
    await pops.handle(CallAnswered(CALL, ts(14, 38, 35), "PJSIP/1001", "Agent 1001", "support", 2, 2))
    await pops.handle(AgentRingEnded(CALL, ts(14, 38, 35), "PJSIP/1002", RingOutcome.ANSWERED_ELSEWHERE, 2))
    ended = CallEnded(CALL, ts(14, 38, 40), Disposition.ANSWERED, Direction.INBOUND, "+8613800138000", "Zhang San",
                      "4008001234", "support", ts(14, 38, 32), ts(14, 38, 35), 2, 3, "PJSIP/1001", "PJSIP/1001", (), 16)
    await pops.handle(ended)
    other = _messages(hub, ids["1002"])
    assert [(k, d["state"]) for k, d in other] == [("pop", "ringing"), ("call", "answered_elsewhere"), ("call", "ended")]
    assert other[1][1]["by"] == "坐席1001"
    mine = _messages(hub, ids["1001"])
    assert [d["state"] for _, d in mine] == ["ringing", "answered", "ended"]


async def test_unknown_caller_gets_a_quick_create_card_and_anonymous_none(db):
    ids = await _agents(db, "1001")
    hub = Hub()
    pops = PopService(db.session, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001", caller="13912345678", name="<unknown>"))
    [(_, pop)] = _messages(hub, ids["1001"])
    assert pop["customers"] == [] and pop["caller"]["e164"] == "+8613912345678" and pop["caller"]["name"] == ""
    await pops.handle(AgentRinging("9.9", ts(15), "PJSIP/1001", "Agent 1001", "x", "support", "<unknown>", "<unknown>"))
    last = hub.connect(ids["1001"], last_id=1).pending()
    assert last[0].data["caller"]["anonymous"] is True and last[0].data["caller"]["e164"] is None


async def test_shared_number_pops_every_customer_for_the_agent_to_choose(db):
    ids = await _agents(db, "1001")
    await add_customer(db, "公司总机 王经理", "010 8888 8888")
    await add_customer(db, "公司 李会计", "01088888888")
    hub = Hub()
    pops = PopService(db.session, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001", caller="+861088888888", name="BEIJING"))
    [(_, pop)] = _messages(hub, ids["1001"])
    assert sorted(c["name"] for c in pop["customers"]) == ["公司 李会计", "公司总机 王经理"]


async def test_place_and_carrier_come_in_each_agents_language(db):
    async with db.session() as s:
        zh = await users.create(s, username="1001", password="demo1001pw", interface="PJSIP/1001", language="zh")
        en = await users.create(s, username="2001", password="demo2001pw", interface="PJSIP/1001", language="en")
    hub = Hub()
    pops = PopService(db.session, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001"))
    [(_, chinese)] = _messages(hub, zh.id)
    [(_, english)] = _messages(hub, en.id)
    assert (chinese["caller"]["place"], chinese["caller"]["carrier"]) == ("北京市", "中国移动")
    assert (english["caller"]["place"], english["caller"]["carrier"]) == ("Beijing", "China Mobile")
