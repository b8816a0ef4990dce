"""The complaint rate per product model in Chromium: an administrator opens the reports from the navigation,
the model's row is in the table (its name written as text), ECharts draws the chart from the page's
embedded JSON (a canvas inside the chart element, no script error), and the XLSX downloads with the row."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from browser_support import expect

pytestmark = pytest.mark.browser

MODEL = "冰箱<b>BCD-1</b>"  # written as text, never as HTML


def a_complaint_about_a_model(stack) -> None:
    """Four units of the model sold, one complaint today; today's aggregates rebuilt, as the service's job does."""
    from cti.customers.models import Customer, Product
    from cti.http import keys
    from cti.supervision.reports_build import rebuild
    from cti.tickets.models import Ticket

    zone = stack.app[keys.SETTINGS].zone

    async def work() -> None:
        now = dt.datetime.now(dt.UTC)
        async with stack.db.session() as s:
            owner = Customer(name="报表客户", products=[Product(model=MODEL, purchase_date=dt.date(2025, 5, 1))
                                                        for _ in range(4)])
            s.add(owner)
            await s.flush()
            s.add(Ticket(number="T-REPORT-1", customer_id=owner.id, product_model=MODEL, service_type="complaint",
                         workflow="complaint", state="new", opened_by="test", opened_at=now))
            await s.commit()
        today = now.astimezone(zone).date()
        await rebuild(stack.db, today, today, zone)

    stack.run(work())


def test_the_complaint_rate_per_model_is_drawn_and_downloads(stack, agent):
    a_complaint_about_a_model(stack)
    page = agent("admin")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.get_by_test_id("nav-reports").click()
    expect(page).to_have_url(re.compile(r"/reports$"))
    page.get_by_test_id("report-link-models").click()
    expect(page).to_have_url(re.compile(r"/reports/models\?period=month$"))

    row = page.get_by_test_id("report-row").filter(has_text=MODEL)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("25.00%")  # 1 complaint ÷ 4 units
    chart = page.get_by_test_id("report-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.locator("canvas").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200

    with page.expect_download() as event:
        page.get_by_test_id("export-xlsx").click()
    download = event.value
    assert re.fullmatch(r"models-\d{8}-\d{8}-\d{8}-\d{4}\.xlsx", download.suggested_filename)
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[0][0] == "型号" and [MODEL, 4, 1, 25.0] in [r[:4] for r in cells[1:]]
    assert errors == []
