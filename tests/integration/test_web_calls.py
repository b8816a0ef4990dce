"""The call log page: filters in local time, pagination, customer links; CSV and XLSX exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo

import openpyxl
from web_support import web  # noqa: F401

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
EVIL = '=HYPERLINK("http://evil.example","click")'


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def rows(html: str) -> int:
    return html.count('data-testid="call-row"')


async def seed(web) -> int:
    zhang = await web.add_customer("张三", "13800138000")
    await web.add_call("late", at=local(2026, 3, 10, 23, 30), customer_id=zhang, name=EVIL)  # 15:30 UTC on the 10th
    await web.add_call("early", at=local(2026, 3, 11, 0, 30), caller="+8613912345678", disposition="missed",
                       agent="PJSIP/1002")  # still the 10th in UTC
    await web.add_call("before", at=local(2026, 3, 9, 12, 0), caller="02162888888", disposition="abandoned",
                       agent="")
    return zhang


async def test_date_filters_are_local_days(web):
    await seed(web)
    client = await web.login()
    html = await (await client.get("/calls?from=2026-03-10&to=2026-03-10")).text()
    assert rows(html) == 1 and "2026-03-10 23:30:00" in html
    html = await (await client.get("/calls?from=2026-03-11")).text()
    assert rows(html) == 1 and "2026-03-11 00:30:00" in html
    html = await (await client.get("/calls?to=2026-03-09")).text()
    assert rows(html) == 1 and "2026-03-09 12:00:00" in html
    assert rows(await (await client.get("/calls?from=not-a-date")).text()) == 3  # a bad date is ignored


async def test_number_agent_and_disposition_filters(web):
    await seed(web)
    client = await web.login()
    for number in ("+86 138 0013 8000", "013800138000", "0013 8000"):
        html = await (await client.get("/calls", params={"number": number})).text()
        assert rows(html) == 1 and "138 0013 8000" in html, number
    html = await (await client.get("/calls", params={"number": "021-6288-8888"})).text()
    assert rows(html) == 1 and "021 6288 8888" in html
    html = await (await client.get("/calls", params={"agent": "PJSIP/1002"})).text()
    assert rows(html) == 1 and "139 1234 5678" in html
    html = await (await client.get("/calls", params={"disposition": "abandoned"})).text()
    assert rows(html) == 1 and "disp-abandoned" in html and "放弃" in html
    assert rows(await (await client.get("/calls", params={"disposition": "nonsense"})).text()) == 3


async def test_rows_link_to_the_customer_and_show_times(web):
    zhang = await seed(web)
    client = await web.login()
    html = await (await client.get("/calls")).text()
    assert f'<a href="/customers/{zhang}" data-testid="call-customer">张三</a>' in html
    assert "disp-answered" in html and "disp-missed" in html
    assert "王芳" in html  # PJSIP/1001 shown as its agent's name
    assert "1:00" in html  # talk seconds as m:ss


async def test_pagination_keeps_the_filters(web):
    start = local(2026, 1, 5, 9, 0)
    for i in range(60):
        await web.add_call(f"p{i}", at=start + dt.timedelta(minutes=i), disposition="missed")
    client = await web.login()
    first = await (await client.get("/calls?disposition=missed")).text()
    assert rows(first) == 50 and "第 1 / 2 页" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "disposition=missed" in next_link and "page=2" in next_link
    second = await (await client.get(next_link)).text()
    assert rows(second) == 10 and 'rel="next"' not in second


async def test_csv_export_uses_the_filters_and_is_formula_safe(web):
    await seed(web)
    client = await web.login("boss")  # exports are for supervisors (docs/PERMISSIONS.md)
    html = await (await client.get("/calls?from=2026-03-10&to=2026-03-10")).text()
    assert 'href="/calls/export.csv?from=2026-03-10&amp;to=2026-03-10"' in html
    resp = await client.get("/calls/export.csv?from=2026-03-10&to=2026-03-10")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="calls-')
    assert resp.headers["Cache-Control"] == "no-store"
    body = (await resp.read()).decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["call_id"] for r in table] == ["late"]
    assert table[0]["caller_name"] == "'" + EVIL
    assert table[0]["offered_at"] == "2026-03-10 23:30:00"


async def test_xlsx_export_opens_in_openpyxl_and_is_formula_safe(web):
    await seed(web)
    client = await web.login("boss")  # exports are for supervisors (docs/PERMISSIONS.md)
    resp = await client.get("/calls/export.xlsx", params={"number": "13800138000"})
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(await resp.read()))
    sheet = book["calls"]
    header = [c.value for c in sheet[1]]
    data = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [r["call_id"] for r in data] == ["late"]
    assert data[0]["caller_name"] == "'" + EVIL
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # no formula anywhere


async def test_export_of_everything(web):
    await seed(web)
    client = await web.login("boss")  # exports are for supervisors (docs/PERMISSIONS.md)
    body = (await (await client.get("/calls/export.csv")).read()).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(body)))) == 3
