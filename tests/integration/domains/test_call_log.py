"""The call log in a real database, written by the CallRecorder from domain events."""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cti.events import (
    AgentLeg,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    Direction,
    Disposition,
    RingOutcome,
)
from cti.calls import queries
from cti.calls.models import Call
from cti.calls.recorder import CallRecorder
from cti.customers import service as customers
from cti.phone import normalise

from .helpers import add_customer, ts


def _ids(session, e164s):
    return customers.ids_by_phones(session, e164s)


def _answered_call(call_id="1795790312.0", caller="+8613800138000"):
    offered = ts(14, 38, 32)
    legs = (
        AgentLeg("PJSIP/1001", "Agent 1001", offered + 1, RingOutcome.ANSWERED, 2.0),
        AgentLeg("PJSIP/1002", "Agent 1002", offered + 1, RingOutcome.ANSWERED_ELSEWHERE, 2.0),
    )
    return [
        CallOffered(call_id, offered, Direction.INBOUND, caller, "Zhang San", "4008001234", "PJSIP/carrier-00000000"),
        CallQueued(call_id, offered + 1, "support", 1, caller, "Zhang San"),
        CallAnswered(call_id, offered + 3, "PJSIP/1001", "Agent 1001", "support", 2, 2),
        CallEnded(
            call_id, offered + 6, Disposition.ANSWERED, Direction.INBOUND, caller, "Zhang San", "4008001234",
            "support", offered, offered + 3, 2, 3, "PJSIP/1001", "PJSIP/1001", legs, 16,
        ),
    ]


async def _record(db, events, batch=True):
    recorder = CallRecorder(db, normalise, _ids)
    if batch:
        await recorder.handle_batch(events)
    else:
        for e in events:
            await recorder.handle_batch([e])


async def _rows(db):
    async with db.session() as s:
        return list(await s.scalars(select(Call).options(selectinload(Call.legs))))


async def test_answered_call_becomes_one_row_linked_to_its_customer(db):
    zhang = await add_customer(db, "张三", "13800138000")
    await _record(db, _answered_call(), batch=False)
    [row] = await _rows(db)
    assert (row.direction, row.disposition, row.queue, row.dnis) == ("inbound", "answered", "support", "4008001234")
    assert (row.caller_raw, row.caller_e164, row.caller_name) == ("+8613800138000", "+8613800138000", "Zhang San")
    assert (row.wait_seconds, row.talk_seconds, row.answered_by, row.hangup_cause) == (2, 3, "PJSIP/1001", 16)
    assert row.customer_id == zhang.id
    assert row.offered_at == dt.datetime(2026, 11, 27, 14, 38, 32, tzinfo=dt.UTC)
    assert (row.answered_at - row.offered_at).total_seconds() == 3
    assert {(leg.interface, leg.outcome) for leg in row.legs} == {
        ("PJSIP/1001", "answered"), ("PJSIP/1002", "answered_elsewhere"),
    }


async def test_the_same_call_offered_again_after_a_resync_is_not_doubled(db):
    events = _answered_call()
    await _record(db, [events[0]])
    await _record(db, events)  # the resync replays the offer
    assert len(await _rows(db)) == 1


async def test_a_number_shared_by_two_customers_is_not_linked_to_either(db):
    await add_customer(db, "公司总机 王经理", "010 8888 8888")
    await add_customer(db, "公司 李会计", "01088888888")
    await _record(db, _answered_call(caller="+861088888888"))
    [row] = await _rows(db)
    assert row.customer_id is None and row.caller_e164 == "+861088888888"


async def test_filters_by_number_agent_disposition_and_date(db):
    await _record(db, _answered_call("1.1", "+8613800138000") + _answered_call("1.2", "+8613912345678"))
    async with db.session() as s:
        by_number, n = await queries.page(s, queries.CallFilter(number="0013 8000"))
        assert [c.call_id for c in by_number] == ["1.1"] and n == 1
        rung, _ = await queries.page(s, queries.CallFilter(agent="PJSIP/1002"))
        assert {c.call_id for c in rung} == {"1.1", "1.2"}
        none, _ = await queries.page(s, queries.CallFilter(disposition="abandoned"))
        assert none == []
        day = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
        later, _ = await queries.page(s, queries.CallFilter(since=day))
        assert later == []


async def test_withheld_caller_keeps_the_raw_value_but_no_fake_name(db):
    events = _answered_call(caller="<unknown>")
    events[0] = CallOffered(events[0].call_id, events[0].at, Direction.INBOUND, "<unknown>", "<unknown>", "4008001234",
                            "PJSIP/carrier-00000000")
    await _record(db, events[:1])
    [row] = await _rows(db)
    assert (row.caller_raw, row.caller_name, row.caller_e164, row.customer_id) == ("<unknown>", "", None, None)
