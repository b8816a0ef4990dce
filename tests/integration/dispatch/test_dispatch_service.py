"""On-site work on a real database (SQLite file and PostgreSQL): given out, checked in, reported
(完工单), reviewed (审核); each step one transaction with its history and audit rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from cti.audit.models import AuditEntry
from cti.dispatch import queries
from cti.dispatch.models import CompletionReport
from cti.dispatch.rules import DispatchError
from cti.events import TicketChanged
from cti.tickets.models import Ticket, TicketEvent
from tests.integration.dispatch.support import (
    add_crew,
    add_customer_with_products,
    arrive,
    complete,
    open_on_site,
    review,
    schedule,
)
from tests.integration.tickets.support import AGENT, SHANGHAI, SUPERVISOR, local, make_desk

TUESDAY_10 = local(2026, 12, 1, 10, 0)
WEDNESDAY_9 = local(2026, 12, 2, 9, 0)


async def _ticket(db, ticket_id: int) -> Ticket:
    async with db.session() as s:
        return await s.get(Ticket, ticket_id)


async def _history(db, ticket_id: int) -> list[tuple[str, str, str]]:
    async with db.session() as s:
        rows = await s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
        return [(e.action, e.from_state, e.to_state) for e in rows]


async def _audit(db, entity: str, entity_id) -> list[str]:
    async with db.session() as s:
        rows = await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == entity,
                                                               AuditEntry.entity_id == str(entity_id))
                               .order_by(AuditEntry.id))
        return list(rows)


async def _report(db, report_id: int) -> CompletionReport:
    async with db.session() as s:
        report = await s.get(CompletionReport, report_id)
        await s.refresh(report, ["parts"])
        return report


async def test_dispatch_arrive_complete_approve_closes_the_ticket_with_history_and_audit(db):
    crew = await add_crew(db)
    customer = await add_customer_with_products(db)
    desk, clock, published = make_desk(db, TUESDAY_10)
    eng1 = crew.actor("eng1")
    ticket_id = await open_on_site(desk, customer, warranty="out", actor=AGENT)

    await desk.run(schedule(ticket_id, crew.engineers["eng1"], WEDNESDAY_9, AGENT))
    ticket = await _ticket(db, ticket_id)
    assert (ticket.state, ticket.engineer_id, ticket.outlet_id) == ("dispatched", crew.engineers["eng1"], crew.outlet)
    assert (ticket.appointment_start, ticket.appointment_end) == (WEDNESDAY_9, local(2026, 12, 2, 12, 0))
    changed = [e for e in published if isinstance(e, TicketChanged)]
    assert changed and all(e.engineer_user_id == crew.logins["eng1"] for e in changed)  # eng1's list refreshes

    clock.now = local(2026, 12, 2, 9, 20)
    await desk.run(arrive(ticket_id, eng1))
    clock.now = local(2026, 12, 2, 10, 5)
    parts = [("压缩机电容", 2, Decimal("35.50")), ("冷媒 R32", 1, Decimal("120"))]
    report_id = await desk.run(complete(ticket_id, eng1, parts=parts, labour="80"))

    report = await _report(db, report_id)
    assert (report.review, report.engineer_id) == ("pending", crew.engineers["eng1"])
    assert (report.arrived_at, report.completed_at) == (local(2026, 12, 2, 9, 20), local(2026, 12, 2, 10, 5))
    assert (report.labour_charge, report.parts_charge) == (Decimal("80.00"), Decimal("191.00"))
    assert [(p.name, p.quantity, p.unit_price) for p in report.parts] == [
        ("压缩机电容", 2, Decimal("35.50")), ("冷媒 R32", 1, Decimal("120.00"))]
    assert (await _ticket(db, ticket_id)).state == "completed"

    clock.now = local(2026, 12, 2, 15, 0)
    await desk.run(review(ticket_id, SUPERVISOR, approve=True))
    ticket = await _ticket(db, ticket_id)
    assert (ticket.state, ticket.is_open, ticket.closed_at) == ("closed", False, local(2026, 12, 2, 15, 0))
    report = await _report(db, report_id)
    assert (report.review, report.reviewed_by, report.reviewed_at) == ("approved", "sup1", local(2026, 12, 2, 15, 0))

    assert await _history(db, ticket_id) == [
        ("opened", "", "to_dispatch"),
        ("state", "to_dispatch", "dispatched"),
        ("field_assigned", "", ""),
        ("state", "dispatched", "on_site"),
        ("state", "on_site", "completed"),
        ("state", "completed", "closed"),
    ]
    assert await _audit(db, "ticket", ticket_id) == ["open", "dispatch", "field_assign", "arrive", "complete", "approve"]
    assert await _audit(db, "completion_report", report_id) == ["complete", "approve"]


async def test_in_warranty_work_refuses_charges_and_saves_nothing(db):
    crew = await add_crew(db)
    customer = await add_customer_with_products(db)
    desk, clock, _ = make_desk(db, TUESDAY_10)
    eng1 = crew.actor("eng1")
    ticket_id = await open_on_site(desk, customer, warranty="in", actor=AGENT)
    await desk.run(schedule(ticket_id, crew.engineers["eng1"], WEDNESDAY_9, AGENT))
    clock.now = local(2026, 12, 2, 9, 20)
    await desk.run(arrive(ticket_id, eng1))

    for parts, labour in (([], "80"), ([("电容", 1, Decimal("35"))], "0")):
        with pytest.raises(DispatchError) as refused:
            await desk.run(complete(ticket_id, eng1, parts=parts, labour=labour))
        assert (refused.value.code, refused.value.field) == ("charges_in_warranty", "charges")
    async with db.session() as s:
        assert (await s.scalars(select(CompletionReport))).all() == []
    assert (await _ticket(db, ticket_id)).state == "on_site"

    report_id = await desk.run(complete(ticket_id, eng1, parts=[("电容", 1, Decimal("0"))]))  # free parts: fine
    report = await _report(db, report_id)
    assert (report.labour_charge, report.parts_charge, len(report.parts)) == (Decimal("0.00"), Decimal("0.00"), 1)


async def test_an_engineer_cannot_check_in_or_report_on_another_engineers_job(db):
    crew = await add_crew(db)
    customer = await add_customer_with_products(db)
    desk, clock, _ = make_desk(db, TUESDAY_10)
    ticket_id = await open_on_site(desk, customer, warranty="out", actor=AGENT)
    await desk.run(schedule(ticket_id, crew.engineers["eng1"], WEDNESDAY_9, AGENT))
    clock.now = local(2026, 12, 2, 9, 20)
    with pytest.raises(DispatchError) as refused:
        await desk.run(arrive(ticket_id, crew.actor("eng2")))
    assert refused.value.code == "not_found"
    await desk.run(arrive(ticket_id, crew.actor("eng1")))
    with pytest.raises(DispatchError) as refused:
        await desk.run(complete(ticket_id, crew.actor("eng2")))
    assert refused.value.code == "not_found"
    assert (await _ticket(db, ticket_id)).state == "on_site"


async def test_a_rejected_report_sends_the_job_back_with_the_note(db):
    crew = await add_crew(db)
    customer = await add_customer_with_products(db)
    desk, clock, _ = make_desk(db, TUESDAY_10)
    eng1 = crew.actor("eng1")
    ticket_id = await open_on_site(desk, customer, warranty="out", actor=AGENT)
    await desk.run(schedule(ticket_id, crew.engineers["eng1"], WEDNESDAY_9, AGENT))
    clock.now = local(2026, 12, 2, 9, 20)
    await desk.run(arrive(ticket_id, eng1))
    first = await desk.run(complete(ticket_id, eng1))

    with pytest.raises(DispatchError) as refused:
        await desk.run(review(ticket_id, SUPERVISOR, approve=False, note="  "))
    assert (refused.value.code, refused.value.field) == ("review_note_missing", "note")
    await desk.run(review(ticket_id, SUPERVISOR, approve=False, note="未拍试机照片，请补充", back_to="on_site"))
    assert (await _ticket(db, ticket_id)).state == "on_site"
    assert ((await _report(db, first)).review, (await _report(db, first)).review_note) == ("rejected", "未拍试机照片，请补充")
    async with db.session() as s:
        jobs = await s.run_sync(lambda ss: queries.work_list(ss, crew.engineers["eng1"], now=clock.now, zone=SHANGHAI))
    assert [(j["id"], j["rejected"]) for j in jobs["on_site"]] == [(ticket_id, "未拍试机照片，请补充")]

    second = await desk.run(complete(ticket_id, eng1, work_done="已补拍照片"))
    await desk.run(review(ticket_id, SUPERVISOR, approve=False, note="客户反映仍有异响", back_to="dispatched"))
    ticket = await _ticket(db, ticket_id)
    assert (ticket.state, ticket.engineer_id) == ("dispatched", crew.engineers["eng1"])  # another visit, same engineer
    assert (await _report(db, second)).review == "rejected"
    assert [h for h in await _history(db, ticket_id) if h[0] == "state"][-2:] == [
        ("state", "on_site", "completed"), ("state", "completed", "dispatched")]
    assert await _audit(db, "completion_report", second) == ["complete", "reject"]


async def test_reassigning_moves_the_job_between_work_lists(db):
    crew = await add_crew(db)
    customer = await add_customer_with_products(db)
    desk, _, published = make_desk(db, TUESDAY_10)
    ticket_id = await open_on_site(desk, customer, warranty="out", actor=AGENT)
    await desk.run(schedule(ticket_id, crew.engineers["eng1"], WEDNESDAY_9, AGENT))
    published.clear()
    await desk.run(schedule(ticket_id, crew.engineers["eng2"], local(2026, 12, 3, 14, 0), AGENT, hours=2))
    ticket = await _ticket(db, ticket_id)
    assert (ticket.state, ticket.engineer_id, ticket.outlet_id) == ("dispatched", crew.engineers["eng2"], None)
    assert {e.engineer_user_id for e in published} == {crew.logins["eng1"], crew.logins["eng2"]}
    async with db.session() as s:
        lists = await s.run_sync(lambda ss: [queries.work_list(ss, crew.engineers[n], now=TUESDAY_10, zone=SHANGHAI)
                                             for n in ("eng1", "eng2")])
    assert [sum(len(v) for v in jobs.values()) for jobs in lists] == [0, 1]
    assert [j["id"] for j in lists[1]["upcoming"]] == [ticket_id]


@pytest.mark.parametrize(
    ("start", "hours", "code"),
    [(local(2026, 12, 1, 8, 0), 3, "window_past"), (local(2026, 12, 16, 9, 0), 3, "window_too_far"),
     (local(2026, 12, 2, 9, 0), 0, "window_order")],
)
async def test_a_bad_window_dispatches_nothing(db, start, hours, code):
    crew = await add_crew(db)
    customer = await add_customer_with_products(db)
    desk, _, _ = make_desk(db, TUESDAY_10)
    ticket_id = await open_on_site(desk, customer, warranty="out", actor=AGENT)
    with pytest.raises(DispatchError) as refused:
        await desk.run(schedule(ticket_id, crew.engineers["eng1"], start, AGENT, hours=hours))
    assert refused.value.code == code
    ticket = await _ticket(db, ticket_id)
    assert (ticket.state, ticket.engineer_id, ticket.appointment_start) == ("to_dispatch", None, None)


async def test_the_board_suggests_by_district_then_city(db):
    crew = await add_crew(db)
    desk, _, _ = make_desk(db, TUESDAY_10)
    ids = {}
    for name, phone, city, address in (("甲", "+8613800000001", "北京市", "北京市朝阳区建国路1号"),
                                       ("乙", "+8613800000002", "北京市", "北京市海淀区学院路2号"),
                                       ("丙", "+8613800000003", "上海市", "上海市徐汇区漕溪路3号")):
        customer = await add_customer_with_products(db, name, phone)
        async with db.session() as s:
            row = await s.get(type(customer), customer.id)
            row.city, row.address = city, address
            await s.commit()
        ids[name] = await open_on_site(desk, customer, warranty="out", actor=AGENT)
    async with db.session() as s:
        board = await s.run_sync(lambda ss: queries.board(ss, zone=SHANGHAI))
    found = {j["customer"]: j["suggestion"] for j in board["to_dispatch"]}
    assert (found["甲"]["engineer"], found["甲"]["outlet"], found["甲"]["scope"]) == ("张伟", "北京朝阳服务网点", "district")
    assert (found["乙"]["engineer"], found["乙"]["scope"]) == ("王磊", "city")
    assert found["丙"] is None
    assert board["to_dispatch_total"] == 3 and board["dispatched"] == []
