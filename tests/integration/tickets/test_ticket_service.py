"""Tickets on a real database (SQLite file and PostgreSQL): opening, numbering, warranty, states,
SLA clocks, notifications, reopening, search, and the pop's open tickets."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from cti.audit.models import AuditEntry
from cti.events import TicketChanged, TicketOpened, TicketResolved
from cti.tickets import queries
from cti.tickets.models import SlaClock, Ticket, TicketCall, TicketCounter, TicketNotification
from cti.tickets.service import NewTicket, TicketError
from tests.integration.domains.helpers import add_customer
from tests.integration.tickets.support import AGENT, ENGINEER, SUPERVISOR, local, make_desk

TUESDAY_10 = local(2026, 12, 1, 10, 0)  # a working Tuesday in Shanghai


async def _customer(db, *, purchased=dt.date(2026, 6, 1), months=12):
    return await add_customer(db, "王芳", "+8613800138000",
                              products=[("KFR-35GW", "SN-1", purchased, months), ("XQB80", "SN-2", dt.date(2020, 1, 1), 12)])


async def _count(db, model) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_repair_ticket_opened_from_a_call_has_a_readable_number_warranty_and_first_contact_promise(db):
    customer = await _customer(db)
    desk, clock, published = make_desk(db, TUESDAY_10)
    in_warranty = next(p for p in customer.products if p.model == "KFR-35GW")
    ticket_id, number = await desk.open(NewTicket(customer.id, "repair", "carry_in", product_id=in_warranty.id,
                                                  description="空调不制冷，外机有异响", call_id="1764554400.17"), AGENT)
    assert number == "T20261201-0001"
    async with db.session() as s:
        ticket = await s.get(Ticket, ticket_id)
        assert (ticket.state, ticket.workflow, ticket.warranty, ticket.product_model) == (
            "awaiting_repair", "carry_in", "in", "KFR-35GW")
        links = (await s.scalars(select(TicketCall.call_id).where(TicketCall.ticket_id == ticket_id))).all()
        assert links == ["1764554400.17"]
        first = await s.scalar(select(SlaClock).where(SlaClock.ticket_id == ticket_id, SlaClock.kind == "first_contact"))
        # 24 business hours on 09:00–18:00 weekdays from Tuesday 10:00: 8 h Tue, 9 h Wed, 7 h Thu → Thu 16:00
        assert first.due_at == local(2026, 12, 3, 16, 0)
        assert await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket_id), AuditEntry.action == "open")) == 1
    assert [type(e) for e in published] == [TicketOpened]


async def test_product_out_of_warranty_is_marked_chargeable_at_opening(db):
    customer = await _customer(db)
    desk, _, _ = make_desk(db, TUESDAY_10)
    old = next(p for p in customer.products if p.model == "XQB80")
    ticket_id, _ = await desk.open(NewTicket(customer.id, "repair", "on_site", product_id=old.id), AGENT)
    async with db.session() as s:
        ticket = await s.get(Ticket, ticket_id)
    assert (ticket.warranty, ticket.warranty_ends, ticket.state) == ("out", dt.date(2021, 1, 1), "to_dispatch")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"product_id": 999_999}, "unknown_product"),
        ({"service_type": "teleport"}, "unknown_type"),
        ({"service_mode": None}, "mode_needed"),
        ({"priority": "asap"}, "unknown_priority"),
        ({"description": "长" * 4001}, "too_long"),
        ({"claim_unit": True}, "claim_unit_role"),
    ],
)
async def test_bad_input_is_refused_with_a_reason_and_writes_nothing(db, change, code):
    customer = await _customer(db)
    desk, _, published = make_desk(db, TUESDAY_10)
    fields = {"customer_id": customer.id, "service_type": "repair", "service_mode": "carry_in"} | change
    with pytest.raises(TicketError) as refused:
        await desk.open(NewTicket(**fields), AGENT)
    assert refused.value.code == code
    assert await _count(db, Ticket) == 0 and await _count(db, TicketCounter) == 0 and published == []


async def test_numbers_stay_unique_when_many_tickets_open_at_once(db):
    customer = await _customer(db)
    desk, _, _ = make_desk(db, TUESDAY_10)
    results = await asyncio.gather(*(desk.open(NewTicket(customer.id, "enquiry", keep_open=True), AGENT)
                                     for _ in range(20)))
    numbers = sorted(number for _, number in results)
    assert numbers == [f"T20261201-{n:04d}" for n in range(1, 21)]


async def test_numbers_restart_each_local_day(db):
    customer = await _customer(db)
    desk, clock, _ = make_desk(db, local(2026, 12, 1, 23, 59))
    _, late = await desk.open(NewTicket(customer.id, "enquiry"), AGENT)
    clock.now = local(2026, 12, 2, 0, 1)  # still 1 December in UTC
    _, early = await desk.open(NewTicket(customer.id, "enquiry"), AGENT)
    assert (late, early) == ("T20261201-0001", "T20261202-0001")


async def test_a_change_the_workflow_does_not_allow_is_refused_and_changes_nothing(db):
    customer = await _customer(db)
    desk, _, published = make_desk(db, TUESDAY_10)
    ticket_id, _ = await desk.open(NewTicket(customer.id, "repair", "carry_in"), AGENT)
    with pytest.raises(TicketError) as refused:
        await desk.change_state(ticket_id, "picked_up", AGENT)  # 待修 → 已取 skips the repair
    assert refused.value.code == "refused.not_allowed"
    async with db.session() as s:
        assert (await s.get(Ticket, ticket_id)).state == "awaiting_repair"
    assert [type(e) for e in published] == [TicketOpened]


async def test_waiting_for_parts_pauses_the_promise_and_asks_to_notify_the_customer(db):
    customer = await _customer(db)
    desk, clock, _ = make_desk(db, TUESDAY_10)
    ticket_id, _ = await desk.open(NewTicket(customer.id, "complaint", description="维修拖延"), AGENT)
    repair_id, _ = await desk.open(NewTicket(customer.id, "repair", "carry_in"), AGENT)
    await desk.change_state(repair_id, "in_repair", ENGINEER)
    clock.now = local(2026, 12, 1, 11, 0)
    await desk.change_state(repair_id, "awaiting_parts", ENGINEER, note="压缩机缺货")
    async with db.session() as s:
        rows = (await s.scalars(select(SlaClock).where(SlaClock.ticket_id == repair_id))).all()
        notes = (await s.scalars(select(TicketNotification.kind).where(TicketNotification.ticket_id == repair_id))).all()
    assert notes == ["awaiting_parts"]
    running = [r for r in rows if r.stopped_at is None]
    assert running and all(r.due_at is None and r.paused_at is not None for r in running)
    clock.now = local(2026, 12, 2, 11, 0)  # one business day later the parts arrive
    await desk.change_state(repair_id, "in_repair", ENGINEER)
    async with db.session() as s:
        rows = (await s.scalars(select(SlaClock).where(SlaClock.ticket_id == repair_id))).all()
        kinds = (await s.scalars(select(TicketNotification.kind).where(TicketNotification.ticket_id == repair_id)
                                 .order_by(TicketNotification.id))).all()
    assert kinds == ["awaiting_parts", "parts_arrived"]
    assert all(r.due_at is not None for r in rows if r.stopped_at is None)
    assert ticket_id != repair_id


async def test_resolving_publishes_ticket_resolved_once(db):
    customer = await _customer(db)
    desk, _, published = make_desk(db, TUESDAY_10)
    ticket_id, number = await desk.open(NewTicket(customer.id, "complaint", description="态度差"), AGENT)
    await desk.change_state(ticket_id, "processing", AGENT)
    await desk.change_state(ticket_id, "resolved", AGENT, note="已道歉并补偿")
    await desk.change_state(ticket_id, "closed", SUPERVISOR)
    resolved = [e for e in published if isinstance(e, TicketResolved)]
    assert [(e.ticket_id, e.number, e.agent) for e in resolved] == [(ticket_id, number, "agent1")]
    assert sum(isinstance(e, TicketChanged) for e in published) == 3


async def test_an_enquiry_is_closed_on_save_and_can_be_reopened_within_the_window(db):
    customer = await _customer(db)
    desk, clock, published = make_desk(db, TUESDAY_10)
    ticket_id, _ = await desk.open(NewTicket(customer.id, "enquiry", description="问保修政策"), AGENT)
    async with db.session() as s:
        ticket = await s.get(Ticket, ticket_id)
        assert (ticket.state, ticket.is_open) == ("closed", False)
        assert await s.scalar(select(func.count()).select_from(SlaClock)) == 0
    clock.now = TUESDAY_10 + dt.timedelta(days=8)
    with pytest.raises(TicketError) as late:
        await desk.reopen(ticket_id, AGENT, "又来问")
    assert late.value.code == "reopen_window"
    clock.now = TUESDAY_10 + dt.timedelta(days=6)
    await desk.reopen(ticket_id, AGENT, "又来问")
    async with db.session() as s:
        ticket = await s.get(Ticket, ticket_id)
    assert (ticket.state, ticket.is_open, ticket.reopened) == ("open", True, 1)


async def test_pop_lists_open_tickets_most_urgent_first_and_recently_resolved_for_reopening(db):
    customer = await _customer(db)
    other = await add_customer(db, "李雷", "+8613900139000")
    desk, clock, _ = make_desk(db, TUESDAY_10)
    complaint, _ = await desk.open(NewTicket(customer.id, "complaint", priority="urgent"), AGENT)
    repair, _ = await desk.open(NewTicket(customer.id, "repair", "carry_in"), AGENT)
    done, _ = await desk.open(NewTicket(customer.id, "enquiry"), AGENT)
    async with db.session() as s:
        found = await s.run_sync(queries.open_by_customers, [customer.id, other.id], now=clock.now)
    mine = found[customer.id]
    assert [t["id"] for t in mine["open"]] == [complaint, repair]  # urgent: due sooner
    assert mine["open_count"] == 2 and [t["id"] for t in mine["reopenable"]] == [done]
    assert found[other.id] == {"open": [], "open_count": 0, "reopenable": []}


async def test_full_text_search_finds_chinese_words_inside_descriptions_and_notes(db):
    customer = await _customer(db)
    desk, _, _ = make_desk(db, TUESDAY_10)
    leak, _ = await desk.open(NewTicket(customer.id, "repair", "carry_in", description="洗衣机漏水严重，E21 报错"), AGENT)
    noise, _ = await desk.open(NewTicket(customer.id, "repair", "carry_in", description="空调不制冷"), AGENT)
    await desk.add_note(noise, AGENT, "客户说外机结霜")

    async def search(text):
        async with db.session() as s:
            rows, total = await s.run_sync(queries.list_tickets, queries.Filters(text=text))
        return sorted(r["id"] for r in rows)

    assert await search("漏水") == [leak]
    assert await search("e21") == [leak]
    assert await search("结霜") == [noise]  # from a note
    assert await search("不制冷") == [noise]
    assert await search("冰箱") == []
    assert await search("水") == [leak]  # one character: a prefix of a pair


async def test_a_search_lists_its_matches_newest_first_page_by_page_with_the_other_filters(db):
    customer = await _customer(db)
    desk, clock, _ = make_desk(db, TUESDAY_10)
    leaks = []
    for n in range(5):
        clock.now += dt.timedelta(minutes=5)
        kind, mode = ("enquiry", None) if n == 3 else ("repair", "carry_in")  # an enquiry is closed on save
        leaks.append((await desk.open(NewTicket(customer.id, kind, mode, description=f"漏水 第{n}次"), AGENT))[0])
    await desk.open(NewTicket(customer.id, "repair", "carry_in", description="空调不制冷"), AGENT)

    async def page(n, **filters):
        async with db.session() as s:
            rows, total = await s.run_sync(lambda s: queries.list_tickets(
                s, queries.Filters(text="漏水", page=n, **filters), page_size=2))
        return [r["id"] for r in rows], total

    assert await page(1) == ([leaks[4], leaks[3]], 5)
    assert await page(3) == ([leaks[0]], 5)
    assert await page(1, open_only=True) == ([leaks[4], leaks[2]], 4)
    assert await page(1, descending=False) == ([leaks[0], leaks[1]], 5)


async def test_the_list_and_the_search_count_up_to_their_caps(db, monkeypatch):
    customer = await _customer(db)
    desk, _, _ = make_desk(db, TUESDAY_10)
    for _ in range(4):
        await desk.open(NewTicket(customer.id, "repair", "carry_in", description="漏水"), AGENT)
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 1)

    async with db.session() as s:
        everything = await s.run_sync(queries.list_tickets, queries.Filters())
        searched = await s.run_sync(queries.list_tickets, queries.Filters(text="漏水"))
        few = await s.run_sync(queries.list_tickets, queries.Filters(text="不存在"))
    assert len(everything[0]) == len(searched[0]) == 4  # the page is whole
    assert everything[1] == 3 and searched[1] == 2  # each count stops at its cap + 1: "more than 2", "more than 1"
    assert few == ([], 0)
