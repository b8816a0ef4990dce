"""The do-not-call list and a campaign's exports on a real database (SQLite file and PostgreSQL): a number
added with a note from any written form, refused when invalid or listed already, removed, found by a part
of it; a CSV file imported whole or not at all; every change audited. A campaign's results and attempts
written as CSV and XLSX with every cell formula-safe, the contact's latest outcome, attempts and rating."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from cti import sheets
from cti.campaigns import dnc, export
from cti.campaigns.models import CampaignContact, DoNotCall
from tests.integration.campaigns.support import (
    SHANGHAI, TUESDAY_10, add_attempt, add_contacts, audit_rows, new_campaign, rate,
)  # fmt: skip


async def listed(db) -> dict[str, DoNotCall]:
    async with db.session() as s:
        return {e.e164: e for e in await s.scalars(select(DoNotCall))}


async def add(db, raw: str, note: str = "", actor: str = "boss"):
    return await db.write(lambda s: dnc.add(s, raw, note, actor=actor, region="CN", now=TUESDAY_10).e164)


async def test_a_number_is_listed_from_any_written_form_with_its_note_and_audited(db):
    assert await add(db, "138-0013-8000", "客户投诉后要求不再来电") == "+8613800138000"
    entry = (await listed(db))["+8613800138000"]
    assert (entry.source, entry.note, entry.added_by, entry.added_at) == ("manual", "客户投诉后要求不再来电", "boss",
                                                                        TUESDAY_10)
    [audited] = await audit_rows(db, "do_not_call")
    assert (audited.actor, audited.entity_id, audited.action, audited.after) == (
        "boss", "+8613800138000", "add", {"source": "manual", "note": "客户投诉后要求不再来电"})


@pytest.mark.parametrize(("raw", "note", "code"), [("12345", "", "invalid_number"), ("95588", "", "invalid_number"),
                                                   ("13800138000", "长" * 201, "note_too_long")])
async def test_a_number_that_cannot_be_listed_is_refused_and_nothing_is_written(db, raw, note, code):
    with pytest.raises(dnc.DncError) as refused:
        await add(db, raw, note)
    assert refused.value.code == code
    assert await listed(db) == {} and await audit_rows(db) == []


async def test_a_number_listed_already_is_said_so(db):
    await add(db, "13800138000")
    with pytest.raises(dnc.DncError) as refused:
        await add(db, "+86 138 0013 8000", actor="other")
    assert (refused.value.code, refused.value.problems[0].params) == ("already_listed", {"number": "+8613800138000"})


async def test_a_number_is_removed_audited_and_found_by_a_part_of_it(db):
    for raw in ("13800138000", "13800138001", "010 8888 8888"):
        await add(db, raw, "备注" if raw.startswith("010") else "")
    found = await db.read(lambda s: dnc.search(s, "0013800", region="CN"))
    assert sorted(e.e164 for e in found[0]) == ["+8613800138000", "+8613800138001"] and found[1] == 2
    assert [e.e164 for e in (await db.read(lambda s: dnc.search(s, "010-8888-8888", region="CN")))[0]] == ["+861088888888"]
    assert [e.e164 for e in (await db.read(lambda s: dnc.search(s, "备注", region="CN")))[0]] == ["+861088888888"]

    assert await db.write(lambda s: dnc.remove(s, "+8613800138000", actor="lead")) is True
    assert await db.write(lambda s: dnc.remove(s, "+8613800138000", actor="lead")) is False
    assert "+8613800138000" not in await listed(db)
    removed = (await audit_rows(db, "do_not_call"))[-1]
    assert (removed.actor, removed.action, removed.before["added_by"], removed.after) == ("lead", "remove", "boss", None)


def test_every_bad_row_of_a_file_is_reported_with_its_line():
    data = "号码,备注\n13800138000,投诉\n12345,\n13800138001,\n1.38E+10,\n".encode("gb18030")
    found = dnc.read_import(data, region="CN")
    assert [(e.line, e.column, e.code) for e in found.errors] == [(3, "number", "invalid_phone"),
                                                                  (5, "number", "phone_scientific")]
    assert found.encoding == "gb18030" and [e.e164 for e in found.entries] == ["+8613800138000", "+8613800138001"]


async def test_a_good_file_is_listed_in_one_go_numbers_already_there_left_as_they_were(db):
    await add(db, "13800138000", "原来的备注")
    found = dnc.read_import(b"number,note\n13800138000,x\n13800138001,y\n+8613800138001,z\n", region="CN")
    assert (found.errors, found.repeated) == ([], 1)
    added, already = await db.write(dnc.store_import, found.entries, actor="lead", now=TUESDAY_10, filename="dnc.csv")
    assert (added, already) == (1, 1)
    entries = await listed(db)
    assert (entries["+8613800138000"].note, entries["+8613800138001"].source, entries["+8613800138001"].note) == (
        "原来的备注", "import", "y")
    assert (await audit_rows(db, "do_not_call"))[-1].after == {"file": "dnc.csv", "added": 1, "already": 1}


async def test_the_list_is_exported_whole(db):
    await add(db, "13800138000", "=cmd|' /C calc'!A0")
    rows = [r async for r in dnc.export_rows(db, SHANGHAI)]
    assert rows == [["+8613800138000", "manual", "=cmd|' /C calc'!A0", "boss", "2026-12-01 10:00:00"]]
    out = io.BytesIO()
    await sheets.write("csv", dnc.COLUMNS, _aiter(rows), out, title="dnc")
    assert "'+8613800138000,manual,'=cmd|' /C calc'!A0,boss" in out.getvalue().decode("utf-8-sig")


async def _aiter(rows):
    for row in rows:
        yield row


async def test_a_campaigns_results_and_attempts_are_exported_formula_safe(db):
    campaign_id = await new_campaign(db, state="running")
    ids = await add_contacts(db, campaign_id, [("+8613800138000", "done", "answered"), ("+8613700000001", "pending", "busy"),
                                               ("+8613900000003", "pending", "")], attempts=1)
    async with db.session() as s:
        first = await s.get(CampaignContact, ids[0])
        first.name, first.reason = '=HYPERLINK("http://evil","点我")', "-2+3"
        await s.commit()
    await add_attempt(db, campaign_id, ids[0], 1, outcome="answered", call_id="1764554400.17")
    await add_attempt(db, campaign_id, ids[1], 1, outcome="busy", cause=17)
    await rate(db, campaign_id, ids[0], 5)

    results = [r async for r in export.results(db, campaign_id, SHANGHAI)]
    assert [r[:8] for r in results] == [
        [ids[0], "+8613800138000", '=HYPERLINK("http://evil","点我")', "", "done", "answered", 1, "2026-12-01 10:00:00"],
        [ids[1], "+8613700000001", "", "", "pending", "busy", 1, "2026-12-01 10:00:00"],
        [ids[2], "+8613900000003", "", "", "pending", "", 1, ""]]
    assert [r[9] for r in results] == [5, "", ""] and results[0][12] == "-2+3"

    xlsx = io.BytesIO()
    await sheets.write("xlsx", export.RESULT_COLUMNS, _aiter(results), xlsx, title="results")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.getvalue())).active
    assert [c.value for c in sheet[1]] == list(export.RESULT_COLUMNS)
    assert sheet["C2"].value == "'=HYPERLINK(\"http://evil\",\"点我\")" and sheet["B2"].value == "'+8613800138000"
    assert sheet["M2"].value == "'-2+3" and sheet["J2"].value == 5

    attempts = [r async for r in export.attempts(db, campaign_id, SHANGHAI)]
    assert [(r[1], r[4], r[9], r[10], r[11]) for r in attempts] == [
        (ids[0], 1, "answered", "", "1764554400.17"), (ids[1], 1, "busy", 17, "")]
    assert await db.read(export.count, campaign_id) == 3
    assert await db.read(export.count, campaign_id, of_attempts=True) == 2
