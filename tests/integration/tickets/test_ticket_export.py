"""The ticket list's export (SQLite and PostgreSQL): over HTTP as CSV and XLSX with the list's filters,
formula-safe, for the export roles only; and the streamed read under it, fetched in chunks, which
neither loses nor repeats a ticket when many were opened at the same instant."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
from web_support import web  # noqa: F401

from cti.customers.service import NewProduct
from cti.tickets import export
from cti.tickets.queries import Filters
from cti.tickets.service import NewTicket
from tests.integration.tickets.support import SHANGHAI, SUPERVISOR, local, make_desk

FORMULA = '=HYPERLINK("http://evil.example","点我")'
DAY1, DAY2 = local(2026, 11, 30, 10, 0), local(2026, 12, 1, 9, 30)


async def seed(web) -> dict[str, str]:
    """Three tickets on two days: 张三's carry-in repair (its description a formula; stopped and picked up,
    so closed), his urgent complaint, and the next day 李四's installation."""
    zhang = await web.add_customer("张三", "13800138000", city="北京市",
                                   products=[NewProduct("空调 KFR-35GW", "SN-1", DAY1.date(), 24)])
    li = await web.add_customer("李四", "13912345678", city="上海市")
    desk, clock, _ = make_desk(web.db, DAY1)
    repair, repair_no = await desk.open(NewTicket(zhang, "repair", "carry_in", description=FORMULA,
                                                  external_ref="OLD-7"), SUPERVISOR)
    _, complaint_no = await desk.open(NewTicket(zhang, "complaint", priority="urgent",
                                                description="空调不制冷，维修师傅迟到"), SUPERVISOR)
    clock.now = DAY2
    _, install_no = await desk.open(NewTicket(li, "installation", description="新购空调上门安装"), SUPERVISOR)
    await desk.change_state(repair, "repair_stopped", SUPERVISOR, reason="客户取消")
    await desk.change_state(repair, "ready_for_pickup", SUPERVISOR)
    await desk.change_state(repair, "picked_up", SUPERVISOR)  # closed: not in an "open only" export
    return {"repair": repair_no, "complaint": complaint_no, "install": install_no}


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def exported(client, query: str = "") -> list[dict[str, str]]:
    resp = await client.get("/tickets/export.csv" + (f"?{query}" if query else ""))
    assert resp.status == 200, resp.status
    return csv_rows(await resp.read())


async def test_the_csv_has_the_documented_columns_and_a_formula_comes_out_as_text(web):
    numbers = await seed(web)
    boss = await web.login("boss")
    resp = await boss.get("/tickets/export.csv")
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="tickets-\d{8}-\d{4}\.csv"', resp.headers["Content-Disposition"])
    body = await resp.read()
    header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(header) == export.COLUMNS
    rows = {r["number"]: r for r in csv_rows(body)}
    assert list(rows) == [numbers["repair"], numbers["complaint"], numbers["install"]]  # oldest first
    repair = rows[numbers["repair"]]
    assert repair["description"] == "'" + FORMULA  # a spreadsheet shows it, never runs it
    assert (repair["opened_at"], repair["type"], repair["mode"], repair["state"]) == (
        "2026-11-30 10:00:00", "repair", "carry_in", "picked_up")  # local time
    assert (repair["customer"], repair["phone"], repair["external_ref"], repair["city"]) == (
        "张三", "'+8613800138000", "OLD-7", "北京市")  # E.164, kept as text
    assert repair["resolved_at"] == repair["closed_at"] == "2026-12-01 09:30:00"
    assert (rows[numbers["complaint"]]["priority"], rows[numbers["install"]]["mode"]) == ("urgent", "on_site")


async def test_the_xlsx_opens_in_openpyxl_with_text_cells(web):
    numbers = await seed(web)
    resp = await (await web.login("boss")).get("/tickets/export.xlsx")
    assert resp.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    assert sheet.title == "tickets"
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == export.COLUMNS and len(lines) == 4
    first = dict(zip(export.COLUMNS, lines[1], strict=True))
    assert first["number"] == numbers["repair"] and first["description"] == "'" + FORMULA
    assert sheet.cell(row=2, column=export.COLUMNS.index("description") + 1).data_type == "s"  # not a formula


async def test_the_lists_filters_apply(web):
    numbers = await seed(web)
    boss = await web.login("boss")

    async def found(query: str) -> list[str]:
        return [r["number"] for r in await exported(boss, query)]

    assert await found("open=1") == [numbers["complaint"], numbers["install"]]
    assert await found("type=complaint") == [numbers["complaint"]]
    assert await found("state=to_dispatch") == [numbers["install"]]
    assert await found("from=2026-12-01&to=2026-12-01") == [numbers["install"]]  # local days
    assert await found("to=2026-11-30") == [numbers["repair"], numbers["complaint"]]
    assert await found("q=不制冷") == [numbers["complaint"]]  # the list's full-text search
    assert await found("priority=urgent&open=1") == [numbers["complaint"]]
    assert await found("state=nonsense") == list(numbers.values())  # an unknown value is no filter, as on the list


async def test_the_buttons_carry_the_lists_filters_for_those_who_may_export(web):
    await seed(web)
    html = await (await (await web.login("boss")).get("/tickets?type=repair&open=1&page=2&sort=number&dir=asc")).text()
    hrefs = re.findall(r'href="(/tickets/export\.(?:csv|xlsx)[^"]*)"', html)
    assert hrefs == ["/tickets/export.csv?type=repair&amp;open=1", "/tickets/export.xlsx?type=repair&amp;open=1"]


async def test_an_agent_gets_403_and_no_buttons(web):
    await seed(web)
    agent = await web.login("agent1")
    html = await (await agent.get("/tickets")).text()
    assert 'data-testid="ticket-filters"' in html  # the list is theirs to read
    assert 'data-testid="export-csv"' not in html and 'data-testid="export-xlsx"' not in html
    for path in ("/tickets/export.csv", "/tickets/export.xlsx"):
        resp = await agent.get(path, allow_redirects=False)
        assert resp.status == 403, path
        assert "张三" not in await resp.text()


async def test_chunks_neither_lose_nor_repeat_tickets_opened_at_one_instant(db):
    """Chunks of two over five tickets of one instant: the order is the opening's, then the ticket's."""
    from tests.integration.domains.helpers import add_customer

    customer = await add_customer(db, "王芳", "+8613800138000")
    desk, clock, _ = make_desk(db, DAY1)
    numbers = [(await desk.open(NewTicket(customer.id, "enquiry", keep_open=True), SUPERVISOR))[1] for _ in range(5)]
    clock.now = DAY2
    numbers.append((await desk.open(NewTicket(customer.id, "complaint"), SUPERVISOR))[1])
    got = [cells[0] async for cells in export.rows(db, Filters(), SHANGHAI, size=2)]
    assert got == numbers
    assert await db.read(export.count, Filters(service_type="enquiry")) == 5
