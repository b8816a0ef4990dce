"""Importing the replaced system's open tickets (SQLite file and PostgreSQL): customers found by phone
or added, products by serial or model, tickets opened at their time and walked to their state by
"import", a second import skipping, bad rows reported by line while the rest goes in, GB18030, dry runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from cti.audit.models import AuditEntry
from cti.customers.models import Customer, CustomerPhone, Product
from cti.tickets.importer import import_file
from cti.tickets.models import SlaClock, Ticket, TicketEvent
from tests.integration.domains.helpers import add_customer
from tests.integration.tickets.support import SHANGHAI, local

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "csv"
SAMPLE = FIXTURES / "tickets_import.csv"
NOW = local(2026, 12, 1, 16, 0)  # a working Tuesday afternoon in Shanghai
STATES = {"OLD-1001": "in_repair", "OLD-1002": "dispatched", "OLD-1003": "to_dispatch", "OLD-1004": "on_site",
          "OLD-1005": "processing", "OLD-1006": "open", "OLD-1007": "ready_for_pickup", "OLD-1008": "reopened"}


async def run(db, path: Path = SAMPLE, **kwargs):
    return await import_file(db, path, zone=SHANGHAI, now=NOW, **kwargs)


async def count(db, model, *where) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)))


async def tickets_by_ref(db) -> dict[str, Ticket]:
    async with db.session() as s:
        return {t.external_ref: t for t in await s.scalars(select(Ticket))}


async def li_si(db) -> int:
    """李四 is known already, with the washing machine of OLD-1002."""
    customer = await add_customer(db, "李四", "+8613912345678", products=[("洗衣机 XQG80", "XQ2023009",
                                                                            dt.date(2023, 3, 15), 12)])
    return customer.id


async def test_the_sample_becomes_tickets_in_their_states_with_the_old_numbers(db):
    li = await li_si(db)
    report = await run(db)
    assert (report.imported, report.skipped, report.errors, report.encoding) == (8, 0, [], "utf-8")
    assert report.summary == "imported 8, skipped 0, 0 errors"
    found = await tickets_by_ref(db)
    assert {ref: t.state for ref, t in found.items()} == STATES
    first = found["OLD-1001"]
    assert first.opened_at == local(2026, 11, 2, 9, 30) and first.number == "T20261102-0001"  # its own day
    assert (first.service_type, first.service_mode, first.priority, first.is_open) == ("repair", "carry_in", "normal", True)
    assert found["OLD-1003"].description == '=HYPERLINK("http://evil.example","点我")'  # data, kept as it was
    assert (found["OLD-1005"].service_type, found["OLD-1005"].priority) == ("complaint", "urgent")
    assert (found["OLD-1002"].customer_id, found["OLD-1004"].customer_id) == (li, li)  # matched, two written forms


async def test_customers_are_matched_by_phone_or_added_with_their_name(db):
    li = await li_si(db)
    await run(db)
    async with db.session() as s:
        names = dict((await s.execute(select(Customer.name, func.count(Customer.id)).group_by(Customer.name))).all())
        assert names == {"张三": 1, "李四": 1, "王五": 1, "赵六": 1}
        zhang = await s.scalar(select(Customer).where(Customer.name == "张三"))
        assert (zhang.city, zhang.district, zhang.address) == ("北京市", "朝阳区", "建国路88号")
        # OLD-1005 names 张三 by a second number: the known one finds him; OLD-1007 by the same mobile
        found = await tickets_by_ref(db)
        assert found["OLD-1005"].customer_id == found["OLD-1007"].customer_id == found["OLD-1001"].customer_id == zhang.id
        phones = (await s.scalars(select(CustomerPhone.e164).where(CustomerPhone.customer_id == li))).all()
        assert phones == ["+8613912345678"]  # a known customer is not changed
    assert await count(db, AuditEntry, AuditEntry.entity == "customer", AuditEntry.action == "import") == 3


async def test_products_are_matched_by_serial_or_added_with_the_purchase_date(db):
    await li_si(db)
    await run(db)
    found = await tickets_by_ref(db)
    async with db.session() as s:
        washer = await s.scalar(select(Product).where(Product.serial == "XQ2023009"))
        assert found["OLD-1002"].product_id == washer.id and found["OLD-1002"].warranty == "out"
        aircon = await s.scalar(select(Product).where(Product.serial == "KT2024001"))
        assert found["OLD-1001"].product_id == found["OLD-1007"].product_id == aircon.id  # added once, then found
        assert (aircon.purchase_date, aircon.warranty_months) == (dt.date(2024, 6, 1), 36)
        heater = await s.scalar(select(Product).where(Product.model == "热水器 JSQ30"))
        assert (heater.serial, heater.purchase_date, heater.warranty_months) == ("", dt.date(2026, 10, 30), 12)
    assert found["OLD-1003"].warranty == "in" and found["OLD-1006"].product_id is None
    assert await count(db, Product) == 4


async def test_history_audit_and_clocks_are_the_services(db):
    await run(db)
    found = await tickets_by_ref(db)
    reopened, waiting = found["OLD-1008"], found["OLD-1003"]
    async with db.session() as s:
        history = (await s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == reopened.id)
                                   .order_by(TicketEvent.id))).all()
        assert [(e.action, e.to_state, e.actor) for e in history] == [
            ("opened", "pending", "import"), ("state", "processing", "import"), ("state", "resolved", "import"),
            ("state", "reopened", "import")]
        assert history[0].at == local(2026, 11, 9, 9, 0) and {e.at for e in history[1:]} == {NOW}
        assert history[2].note and history[3].note  # resolve and reopen need a note: the walk gives one
        clock = await s.scalar(select(SlaClock).where(SlaClock.ticket_id == waiting.id,
                                                      SlaClock.kind == "first_contact"))
        assert clock.running_since == local(2026, 11, 4, 10, 0) and clock.stopped_at is None  # from opened_at
    assert waiting.sla_status == "breached"  # four weeks without a first contact, as of now
    assert await count(db, AuditEntry, AuditEntry.entity == "ticket", AuditEntry.actor == "import",
                       AuditEntry.action == "open") == 8


async def test_a_second_import_of_the_same_file_skips_every_row(db):
    await run(db)
    again = await run(db)
    assert (again.imported, again.skipped, again.errors) == (0, 8, [])
    assert await count(db, Ticket) == 8 and await count(db, Customer) == 4


async def test_bad_rows_are_reported_by_line_and_the_others_imported(db):
    report = await run(db, FIXTURES / "tickets_import_errors.csv")
    assert [(e.line, e.column, e.code) for e in report.errors] == [
        (3, "phone", "invalid_phone"), (4, "state", "bad_state"), (6, "external_ref", "duplicate_ref"),
        (7, "customer", "required")]
    assert [(n.line, n.code) for n in report.notices] == [(1, "unknown_column")]  # a notice, not a failure
    assert (report.imported, report.skipped) == (3, 0)
    assert set(await tickets_by_ref(db)) == {"E-1", "E-4", "E-6"}
    assert await count(db, Customer, Customer.name == "无效号码") == 0  # nothing of a refused row stays


async def test_a_gb18030_file_from_chinese_excel(db):
    report = await run(db, FIXTURES / "tickets_import_gb18030.csv")
    assert (report.encoding, report.imported, report.errors) == ("gb18030", 8, [])
    found = await tickets_by_ref(db)
    assert found["GB-1001"].description == "空调不制冷" and found["GB-1008"].state == "reopened"


async def test_a_dry_run_checks_every_row_and_writes_nothing(db):
    await li_si(db)
    dry = await run(db, dry_run=True)
    assert (dry.imported, dry.skipped, dry.errors) == (8, 0, [])
    assert await count(db, Ticket) == 0 and await count(db, Customer) == 1 and await count(db, Product) == 1
    bad = await run(db, FIXTURES / "tickets_import_errors.csv", dry_run=True)
    assert [e.line for e in bad.errors] == [3, 4, 6, 7] and await count(db, Ticket) == 0
