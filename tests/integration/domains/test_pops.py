"""Screen pops: which agent's console receives what, from domain events, with a real database and hub."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from cti.events import (
    AgentRingEnded,
    AgentRinging,
    CallAnswered,
    CallEnded,
    CallTransferred,
    Direction,
    Disposition,
    RingOutcome,
)
from cti.bus import BatchPartlyFailed
from cti.calls.models import Call
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
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
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
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
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
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
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
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001", caller="+861088888888", name="BEIJING"))
    [(_, pop)] = _messages(hub, ids["1001"])
    assert sorted(c["name"] for c in pop["customers"]) == ["公司 李会计", "公司总机 王经理"]


async def test_place_and_carrier_come_in_each_agents_language(db):
    async with db.session() as s:
        zh = await users.create(s, username="1001", password="demo1001pw", interface="PJSIP/1001", language="zh")
        en = await users.create(s, username="2001", password="demo2001pw", interface="PJSIP/1001", language="en")
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001"))
    [(_, chinese)] = _messages(hub, zh.id)
    [(_, english)] = _messages(hub, en.id)
    assert (chinese["caller"]["place"], chinese["caller"]["carrier"]) == ("北京市", "中国移动")
    assert (english["caller"]["place"], english["caller"]["carrier"]) == ("Beijing", "China Mobile")


async def _past_calls(db, e164, customer_id, count, *, start_hour=8):
    """``count`` finished calls from ``e164`` on the morning of the test day, one a minute (call ids p<n>)."""
    async with db.session() as s:
        for n in range(count):
            at = dt.datetime.fromtimestamp(ts(start_hour, n), dt.UTC)
            s.add(Call(call_id=f"{e164}-p{n}", direction="inbound", caller_raw=e164, caller_e164=e164,
                       customer_id=customer_id, offered_at=at, ended_at=at, disposition="answered",
                       answered_by="PJSIP/1002", talk_seconds=60 + n))
        await s.commit()


def _ring(call_id, caller, iface="PJSIP/1001"):
    return AgentRinging(call_id, ts(14), iface, "Agent", f"{iface}-1", "support", caller, "")


async def test_the_pop_lists_the_last_ten_calls_newest_first_without_the_ringing_one(db):
    ids = await _agents(db, "1001")
    zhang = await add_customer(db, "张三", "13800138000")
    await _past_calls(db, "+8613800138000", zhang.id, 12)
    await _past_calls(db, "+8613912345678", None, 2, start_hour=9)  # an unknown caller who called twice
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ring("+8613800138000-p11", "13800138000"))  # the call already in the log rings
    await pops.handle(_ring("c2", "13912345678"))
    known, unknown = (m.data for m in hub.connect(ids["1001"], last_id=0).pending())
    history = known["customers"][0]["recent_calls"]
    assert [h["call_id"] for h in history] == [f"+8613800138000-p{n}" for n in range(10, 0, -1)]
    assert history[0] == {"call_id": "+8613800138000-p10", "at": "2026-11-27 16:10", "direction": "inbound",
                          "agent": "PJSIP/1002", "disposition": "answered", "talk_seconds": 70}
    assert unknown["customers"] == []
    assert [h["call_id"] for h in unknown["recent_calls"]] == ["+8613912345678-p1", "+8613912345678-p0"]


async def test_a_burst_of_ringing_calls_is_looked_up_together_and_each_pop_is_its_own(db):
    """Events queued behind each other arrive as one batch: every caller is looked up in a few queries
    (not three per call), and each pop still gets its own customers and its own history."""
    ids = await _agents(db, "1001", "1002", "1003")
    zhang = await add_customer(db, "张三", "13800138000", "+14155550123")
    await add_customer(db, "公司总机 王经理", "010 8888 8888")
    await add_customer(db, "公司 李会计", "01088888888")
    await _past_calls(db, "+8613800138000", zhang.id, 3)
    await _past_calls(db, "+8613912345678", None, 1, start_hour=9)
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ring("warm-up", "anonymous", "PJSIP/9999"))  # loads the agent directory; nobody rung
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(db.read_engine, "before_cursor_execute", listen)
    try:
        await pops.handle_batch([
            _ring("a", "13800138000", "PJSIP/1001"),
            _ring("b", "+14155550123", "PJSIP/1002"),  # the same customer from a second number
            _ring("a", "13800138000", "PJSIP/1002"),  # ring-all: the first call rings a second phone
            _ring("c", "+86 10 8888 8888", "PJSIP/1003"),
            _ring("d", "13912345678", "PJSIP/1003"),
            _ring("e", "anonymous", "PJSIP/1003"),
            _ring("+8613800138000-p2", "13800138000", "PJSIP/1003"),
        ])
    finally:
        event.remove(db.read_engine, "before_cursor_execute", listen)
    queries = [st for st in statements if not st.startswith("BEGIN")]  # SQLite: the read's own BEGIN
    assert len(queries) == 4  # cards with their products, open tickets, customers' calls, unknown numbers' calls
    pops_of = {uid: [m.data for m in hub.connect(uid, last_id=0).pending() if m.type == "pop"] for uid in ids.values()}
    first, same_customer = pops_of[ids["1001"]][0], pops_of[ids["1002"]][0]
    assert first["call_id"] == "a" and [c["name"] for c in first["customers"]] == ["张三"]
    assert same_customer["call_id"] == "b" and [c["name"] for c in same_customer["customers"]] == ["张三"]
    assert pops_of[ids["1002"]][1]["call_id"] == "a"
    shared, unknown, anonymous, replayed = pops_of[ids["1003"]]
    assert sorted(c["name"] for c in shared["customers"]) == ["公司 李会计", "公司总机 王经理"]
    assert unknown["customers"] == [] and [h["call_id"] for h in unknown["recent_calls"]] == ["+8613912345678-p0"]
    assert anonymous["caller"]["anonymous"] is True and anonymous["customers"] == []
    assert [h["call_id"] for h in first["customers"][0]["recent_calls"]] == [f"+8613800138000-p{n}" for n in (2, 1, 0)]
    assert [h["call_id"] for h in replayed["customers"][0]["recent_calls"]] == ["+8613800138000-p1", "+8613800138000-p0"]


class _FailingReads:
    """The database for the pops: the first ``failures`` reads fail (a connection reset)."""

    def __init__(self, db, failures):
        self.db, self.failures = db, failures
        self.session = db.session

    async def read(self, fn, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            raise ConnectionResetError("database connection reset")
        return await self.db.read(fn, *args, **kwargs)


async def test_a_failed_batch_lookup_falls_back_to_one_call_at_a_time_and_loses_no_pop(db):
    ids = await _agents(db, "1001", "1002")
    await add_customer(db, "张三", "13800138000")
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ring("warm-up", "anonymous", "PJSIP/9999"))  # loads the agent directory
    pops._db = _FailingReads(db, failures=1)  # the batch's lookup hits the hiccup
    await pops.handle_batch([_ring("a", "13800138000", "PJSIP/1001"), _ring("b", "13912345678", "PJSIP/1002")])
    [(_, first)] = _messages(hub, ids["1001"])
    [(_, second)] = _messages(hub, ids["1002"])
    assert [c["name"] for c in first["customers"]] == ["张三"]
    assert second["customers"] == [] and second["caller"]["e164"] == "+8613912345678"


async def test_when_the_database_stays_down_only_the_new_rings_fail_and_the_bus_is_told_how_many(db):
    ids = await _agents(db, "1001", "1002")
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ring("a", "13800138000", "PJSIP/1001"))  # popped while the database was up
    pops._db = _FailingReads(db, failures=99)
    answered = CallAnswered("a", ts(14, 0, 5), "PJSIP/1001", "Agent 1001", "support", 5, 5)
    with pytest.raises(BatchPartlyFailed) as failed:
        await pops.handle_batch([_ring("b", "13912345678", "PJSIP/1002"), answered])
    assert failed.value.failed == 1
    assert [(k, d["state"]) for k, d in _messages(hub, ids["1001"])] == [("pop", "ringing"), ("call", "answered")]
    assert _messages(hub, ids["1002"]) == []


def _answered(iface, at=ts(14, 38, 40), call_id=CALL, caller="+8613800138000", name="Zhang San"):
    return CallAnswered(call_id, at, iface, f"Agent {iface[-4:]}", "support", 5, 2, caller, name)


def _ended(call_id=CALL):
    return CallEnded(call_id, ts(14, 39), Disposition.ANSWERED, Direction.INBOUND, "+8613800138000", "Zhang San",
                     "4008001234", "support", ts(14, 38, 32), ts(14, 38, 40), 5, 20, "PJSIP/1002", "PJSIP/1002", (), 16)


async def test_a_new_caller_number_keeps_who_was_popped_and_tells_them_the_end(db):
    """1001 rings with the trunk's number; the number changes (CallerIdentified, a transfer) and 1002
    rings with the new one and answers: 1001's pop is told who answered and that the call ended."""
    ids = await _agents(db, "1001", "1002")
    await add_customer(db, "张三", "13800138000")
    await add_customer(db, "李四", "13912345678")
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001", caller="+8613800138000"))
    await pops.handle(_ringing("PJSIP/1002", caller="+8613912345678", name="Li Si"))
    await pops.handle(_answered("PJSIP/1002", caller="+8613912345678", name="Li Si"))
    await pops.handle(_ended())
    first = _messages(hub, ids["1001"])
    assert [(k, d["state"]) for k, d in first] == [("pop", "ringing"), ("call", "answered_elsewhere"), ("call", "ended")]
    assert [c["name"] for c in first[0][1]["customers"]] == ["张三"]
    second = _messages(hub, ids["1002"])
    assert [c["name"] for c in second[0][1]["customers"]] == ["李四"]
    assert [d["state"] for _, d in second] == ["ringing", "answered", "ended"]


async def test_live_pops_follow_the_call_on_each_interface(db):
    """What a console that connects now is shown: the calls ringing or answered on its phone."""
    await _agents(db, "1001", "1002")
    await add_customer(db, "张三", "13800138000")
    pops = PopService(db, Hub(), _describe, ZoneInfo("Asia/Shanghai"))
    assert pops.live("PJSIP/1001", "zh") == []
    await pops.handle(_ringing("PJSIP/1001"))
    await pops.handle(_ringing("PJSIP/1002"))
    [ringing] = pops.live("PJSIP/1001", "en")
    assert (ringing["call_id"], ringing["state"], ringing["interface"]) == (CALL, "ringing", "PJSIP/1001")
    assert [c["name"] for c in ringing["customers"]] == ["张三"] and ringing["caller"]["place"] == "Beijing"
    await pops.handle(_answered("PJSIP/1002"))
    assert pops.live("PJSIP/1001", "zh") == []  # answered elsewhere: nothing left to do on 1001
    [answered] = pops.live("PJSIP/1002", "zh")
    assert answered["state"] == "answered" and answered["caller"]["place"] == "北京市"
    await pops.handle(CallTransferred(CALL, ts(14, 39), "PJSIP/1002", "transfer,1003", "blind"))
    assert pops.live("PJSIP/1002", "zh") == []
    assert pops.live(None, "zh") == [] and pops.live("PJSIP/9999", "zh") == []


async def test_a_user_shown_a_live_pop_gets_its_later_updates(db):
    """Bound to the phone after it started ringing (or enabled again): the snapshot shows the pop, and
    the answer and the end reach that user too."""
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_ringing("PJSIP/1001"))  # nobody is bound to 1001 yet
    ids = await _agents(db, "1001")
    [shown] = pops.live("PJSIP/1001", "zh", ids["1001"])
    assert shown["state"] == "ringing"
    await pops.handle(_answered("PJSIP/1001"))
    await pops.handle(_ended())
    assert [d["state"] for _, d in _messages(hub, ids["1001"])] == ["answered", "ended"]


async def test_a_call_answered_before_this_process_saw_it_ring_pops_as_answered(db):
    """After a restart the resync brings a call in progress back as CallOffered + CallAnswered: the agent
    talking on it gets its card (state answered) and a console opened later shows it; until it ends."""
    ids = await _agents(db, "1001")
    await add_customer(db, "张三", "13800138000")
    hub = Hub()
    pops = PopService(db, hub, _describe, ZoneInfo("Asia/Shanghai"))
    await pops.handle(_answered("PJSIP/1001"))
    [(kind, pop)] = _messages(hub, ids["1001"])
    assert (kind, pop["state"], pop["call_id"]) == ("pop", "answered", CALL)
    assert [c["name"] for c in pop["customers"]] == ["张三"]
    assert [p["state"] for p in pops.live("PJSIP/1001", "zh")] == ["answered"]
    await pops.handle(_answered("PJSIP/9999", call_id="2.2"))  # a phone nobody is bound to: no lookup, no pop
    assert "2.2" not in pops._calls
    await pops.handle(_ended())
    assert pops.live("PJSIP/1001", "zh") == []
    assert [d["state"] for _, d in _messages(hub, ids["1001"])] == ["answered", "ended"]
