"""The call log keeps every call it can when the database or one event misbehaves (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cti.events import AgentLeg, CallAnswered, CallEnded, CallOffered, Direction, Disposition, RingOutcome
from cti.bus import BatchPartlyFailed
from cti.calls.models import Call
from cti.calls.recorder import CallRecorder
from cti.customers import service as customers
from cti.customers.models import Customer
from cti.phone import normalise

T0 = 1795790312.0
LONG_IFACE = "PJSIP/" + "tenant-a-very-long-endpoint-name-" * 4  # 138 characters: more than the column holds


def answered_call(call_id: str, caller: str, interface: str = "PJSIP/1001") -> list:
    legs = (AgentLeg(interface, "Agent", T0 + 1, RingOutcome.ANSWERED, 2.0),)
    return [
        CallOffered(call_id, T0, Direction.INBOUND, caller, "Zhang San", "4008001234", "PJSIP/carrier-00000000"),
        CallAnswered(call_id, T0 + 3, interface, "Agent", "support", 2, 2),
        CallEnded(call_id, T0 + 6, Disposition.ANSWERED, Direction.INBOUND, caller, "Zhang San", "4008001234",
                  "support", T0, T0 + 3, 2, 3, interface, interface, legs, 16),
    ]


async def rows(db) -> dict[str, Call]:
    async with db.session() as s:
        return {r.call_id: r for r in await s.scalars(select(Call).options(selectinload(Call.legs)))}


async def test_a_transient_failure_in_a_batch_loses_no_call(db, caplog):
    calls = 0

    def flaky_match(session, e164s):  # the first lookup hits a database hiccup
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("database connection reset")
        return customers.ids_by_phones(session, e164s)

    recorder = CallRecorder(db, normalise, flaky_match)
    batch = answered_call("1.1", "+8613800138000") + answered_call("2.2", "+8613912345678")
    with caplog.at_level(logging.WARNING, logger="cti.calls.recorder"):
        await recorder.handle_batch(batch)

    logged = await rows(db)
    assert sorted(logged) == ["1.1", "2.2"]
    assert all(r.disposition == "answered" and r.talk_seconds == 3 for r in logged.values())
    assert "one at a time" in caplog.text


async def test_a_call_whose_offer_was_lost_is_logged_when_it_ends(db):
    recorder = CallRecorder(db, normalise, lambda s, numbers: _no_customers())
    *_, ended = answered_call("3.3", "+8613800138000")
    await recorder.handle_batch([ended])

    row = (await rows(db))["3.3"]
    assert (row.disposition, row.direction, row.dnis, row.answered_by) == ("answered", "inbound", "4008001234",
                                                                           "PJSIP/1001")
    assert row.offered_at.timestamp() == T0 and row.caller_e164 == "+8613800138000"


async def test_values_longer_than_their_column_do_not_lose_the_call(db):
    recorder = CallRecorder(db, normalise, lambda s, numbers: _no_customers())
    await recorder.handle_batch(answered_call("4.4", "+8613800138000", LONG_IFACE)
                                + answered_call("5.5", "+8613912345678"))

    logged = await rows(db)
    assert logged["4.4"].disposition == "answered" and logged["5.5"].disposition == "answered"
    assert logged["4.4"].answered_by == LONG_IFACE[:120]
    assert logged["4.4"].legs[0].interface == LONG_IFACE[:120]


def _no_customers() -> dict[str, list[int]]:
    return {}


async def test_a_restarted_recorder_applies_a_re_offered_call_to_its_existing_row(db):
    first = CallRecorder(db, normalise, lambda s, numbers: _no_customers())
    offered, answered, ended = answered_call("6.6", "+8613800138000")
    await first.handle_batch([offered])
    restarted = CallRecorder(db, normalise, lambda s, numbers: _no_customers())  # knows no call in memory
    await restarted.handle_batch([offered, answered])  # the resync offers it again, then it is answered
    await restarted.handle_batch([ended])

    logged = await rows(db)
    assert list(logged) == ["6.6"]
    assert logged["6.6"].disposition == "answered" and logged["6.6"].answered_by == "PJSIP/1001"
    assert [leg.interface for leg in logged["6.6"].legs] == ["PJSIP/1001"]


async def test_a_call_ended_again_has_its_legs_replaced(db):
    recorder = CallRecorder(db, normalise, lambda s, numbers: _no_customers())
    offered, answered, ended = answered_call("7.7", "+8613800138000")
    await recorder.handle_batch([offered, answered, ended])
    legs = (AgentLeg("PJSIP/1002", "Agent 2", T0 + 1, RingOutcome.NO_ANSWER, 4.0),)
    again = CallEnded("7.7", T0 + 9, Disposition.ANSWERED, Direction.INBOUND, "+8613800138000", "Zhang San",
                      "4008001234", "support", T0, T0 + 3, 2, 6, "PJSIP/1001", "PJSIP/1002", legs, 16)
    await recorder.handle_batch([again])

    row = (await rows(db))["7.7"]
    assert row.talk_seconds == 6 and row.last_agent == "PJSIP/1002"
    assert [(leg.interface, leg.outcome) for leg in row.legs] == [("PJSIP/1002", "no_answer")]


async def test_one_customer_lookup_per_batch_links_only_a_number_with_one_customer(db):
    asked: list[list[str]] = []

    def many(session, e164s):
        asked.append(list(e164s))
        return {"+8613800138000": [7], "+8613912345678": [8, 9]}

    async with db.session() as s:  # customers 7, 8, 9 exist for the foreign key
        for cid in (7, 8, 9):
            s.add(Customer(id=cid, name=f"c{cid}"))
        await s.commit()
    recorder = CallRecorder(db, normalise, many)
    await recorder.handle_batch(answered_call("8.8", "+8613800138000") + answered_call("9.9", "+8613912345678"))

    logged = await rows(db)
    assert len(asked) == 1 and sorted(asked[0]) == ["+8613800138000", "+8613912345678"]
    assert logged["8.8"].customer_id == 7 and logged["9.9"].customer_id is None


async def test_events_that_cannot_be_written_are_counted_and_the_other_calls_are_kept(db, caplog):
    def match(session, e164s):  # the customer lookup of one number always fails
        if "+8613912345678" in e164s:
            raise ConnectionResetError("database connection reset")
        return {}

    recorder = CallRecorder(db, normalise, match)
    batch = answered_call("5.5", "+8613800138000") + answered_call("6.6", "+8613912345678")
    with caplog.at_level(logging.ERROR, logger="cti.calls.recorder"), pytest.raises(BatchPartlyFailed) as failed:
        await recorder.handle_batch(batch)

    assert failed.value.failed == 2  # 6.6's offer and end need its number's customers and fail
    logged = await rows(db)
    assert "6.6" not in logged  # its answer alone has no row to update
    assert logged["5.5"].disposition == "answered" and logged["5.5"].talk_seconds == 3
    assert "2 of 6 events not recorded" in caplog.text
