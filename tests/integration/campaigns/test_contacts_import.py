"""A CSV file of contacts imported into a campaign (SQLite file and PostgreSQL): numbers in E.164, Chinese
headers and GB18030 read, each refused row reported with its line and reason, duplicates (in the campaign
or the file) skipped, do-not-call numbers reported and not added, a ticket linked by its number; the
import's row tells how far it got at every batch; the same file imported again adds nothing twice; a
finished campaign takes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from cti.campaigns import contacts_import as imports
from cti.campaigns.forms import CampaignError
from cti.campaigns.models import CampaignContact, CampaignImport, DoNotCall
from tests.integration.campaigns.support import TUESDAY_10, add_contacts, audit_rows, new_campaign, open_repair_for
from tests.integration.tickets.support import Clock

FILE = """号码,姓名,语言,工单号,备注
138 0013 8000,张三,中文,{ticket},空调回访
+86 137-0000-0001,<script>alert(1)</script>,en,,
12345,坏号码,,,
13800138000,张三重复,,,
010 8888 8888,北京座机,日语,,
13900000009,免打扰,,,
13900000010,李四,,T-NOT-HERE,"=HYPERLINK(""http://x"")"
"""


async def run_import(db, campaign_id: int, data: bytes, *, batch: int = 500, actor: str = "boss", seen=None):
    job_id = await db.write(imports.start, campaign_id, filename="名单.csv", total=imports.count_rows(data),
                            encoding=imports.encoding_of(data), actor=actor, now=TUESDAY_10)
    return await imports.run(db, job_id, data, region="CN", clock=Clock(TUESDAY_10), batch=batch,
                             progress=(seen.append if seen is not None else lambda n: None))


async def contacts(db, campaign_id: int) -> dict[str, CampaignContact]:
    async with db.session() as s:
        return {c.e164: c for c in await s.scalars(select(CampaignContact).where(
            CampaignContact.campaign_id == campaign_id).order_by(CampaignContact.id))}


@pytest.fixture
async def ticket(db):
    """A ticket opened for 张三 (+8613800138000): its number, its id, the customer's id."""
    return await open_repair_for(db, "张三", "+8613800138000")


async def test_a_file_is_imported_with_a_report_line_for_each_row_not_added(db):
    campaign_id = await new_campaign(db, kind="list")
    async with db.session() as s:
        s.add(DoNotCall(e164="+8613900000009", source="manual"))
        await s.commit()
    data = FILE.format(ticket="T-NONE").encode("utf-8")
    seen: list[int] = []
    job = await run_import(db, campaign_id, data, batch=3, seen=seen)

    assert (job.state, job.total, job.done, job.added, job.duplicates, job.do_not_call, job.invalid) == (
        "done", 7, 7, 3, 1, 1, 2)
    assert seen == [3, 6, 7]  # a batch at a time
    assert job.report == [[2, "ticket", "ticket_not_found", "T-NONE"], [4, "number", "invalid_phone", "12345"],
                          [5, "number", "duplicate", "+8613800138000"], [6, "language", "bad_language", "日语"],
                          [7, "number", "do_not_call", "+8613900000009"],
                          [8, "ticket", "ticket_not_found", "T-NOT-HERE"]]
    found = await contacts(db, campaign_id)
    assert list(found) == ["+8613800138000", "+8613700000001", "+8613900000010"]
    zhang = found["+8613800138000"]
    assert (zhang.name, zhang.language, zhang.reason, zhang.source, zhang.state, zhang.next_at, zhang.dedupe_key) == (
        "张三", "zh", "空调回访", "import", "pending", TUESDAY_10, "+8613800138000")
    assert found["+8613700000001"].name == "<script>alert(1)</script>" and found["+8613700000001"].language == "en"
    assert found["+8613900000010"].reason == '=HYPERLINK("http://x")'  # data; escaped wherever it is shown
    entry = (await audit_rows(db, "campaign"))[-1]
    assert (entry.actor, entry.action, entry.after["added"], entry.after["state"]) == ("boss", "import", 3, "done")


async def test_a_ticket_named_by_its_number_is_linked_with_its_customer(db, ticket):
    number, ticket_id, customer_id = ticket
    campaign_id = await new_campaign(db)
    job = await run_import(db, campaign_id, FILE.format(ticket=number).encode())
    assert [r for r in job.report if r[0] == 2] == []
    zhang = (await contacts(db, campaign_id))["+8613800138000"]
    assert (zhang.ticket_id, zhang.customer_id) == (ticket_id, customer_id)


async def test_a_gb18030_file_with_english_headers_is_read(db):
    campaign_id = await new_campaign(db)
    data = "Number,Name,Language,Note\n13800138000,王芳,zh,回访一\n".encode("gb18030")
    job = await run_import(db, campaign_id, data)
    assert (job.encoding, job.added) == ("gb18030", 1)
    assert (await contacts(db, campaign_id))["+8613800138000"].name == "王芳"


async def test_the_same_file_imported_again_adds_nothing_twice(db):
    campaign_id = await new_campaign(db)
    await add_contacts(db, campaign_id, [("+8613700000001", "done", "answered")])  # there already
    data = "电话\n13800138000\n13700000001\n".encode()
    first = await run_import(db, campaign_id, data)
    second = await run_import(db, campaign_id, data)
    assert (first.added, first.duplicates, second.added, second.duplicates) == (1, 1, 0, 2)
    assert len(await contacts(db, campaign_id)) == 2


async def test_a_file_without_a_number_column_imports_nothing_and_says_why(db):
    campaign_id = await new_campaign(db)
    job = await run_import(db, campaign_id, "姓名,备注\n张三,x\n".encode())
    assert (job.state, job.error, job.added) == ("failed", "missing_column", 0)
    assert job.report == [[1, "number", "missing_column", ""]]


async def test_a_finished_campaign_takes_no_import(db):
    campaign_id = await new_campaign(db, state="finished")
    with pytest.raises(CampaignError) as refused:
        await run_import(db, campaign_id, b"number\n13800138000\n")
    assert refused.value.code == "finished"
    async with db.session() as s:
        assert list(await s.scalars(select(CampaignImport))) == []


async def test_a_campaign_stopped_during_an_import_takes_no_more_rows(db, monkeypatch):
    from cti.campaigns import admin

    campaign_id = await new_campaign(db, state="running")
    data = ("number\n" + "".join(f"1380000{n:04d}\n" for n in range(10))).encode()
    job_id = await db.write(imports.start, campaign_id, filename="x.csv", total=10, encoding="utf-8", actor="boss",
                            now=TUESDAY_10)
    batches: list[int] = []
    store = imports.store_batch

    def stopped_after_the_first_batch(session, *args, **kwargs):
        if batches:  # a supervisor stops the campaign between two batches
            admin.transition(session, campaign_id, "stop", actor="lead", now=TUESDAY_10)
            session.commit()
        batches.append(1)
        return store(session, *args, **kwargs)

    monkeypatch.setattr(imports, "store_batch", stopped_after_the_first_batch)
    job = await imports.run(db, job_id, data, region="CN", clock=Clock(TUESDAY_10), batch=4)
    assert (job.state, job.error, job.added, job.done) == ("failed", "finished", 4, 4)
    assert len(await contacts(db, campaign_id)) == 4


async def test_an_import_whose_process_stopped_reads_as_interrupted(db):
    campaign_id = await new_campaign(db)
    job_id = await db.write(imports.start, campaign_id, filename="x.csv", total=10, encoding="utf-8", actor="boss",
                            now=TUESDAY_10)
    async with db.session() as s:
        job = await s.get(CampaignImport, job_id)
    assert imports.state_of(job, TUESDAY_10 + imports.STALE) == "running"  # still moving on, as far as anyone knows
    assert imports.state_of(job, TUESDAY_10 + imports.STALE + dt.timedelta(seconds=1)) == "interrupted"
