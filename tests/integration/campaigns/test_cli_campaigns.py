"""``cti campaigns import`` and ``cti campaigns export`` as an operator runs them: a real process on a SQLite
file; each row not added said on stderr with its line, a summary line on stdout; the export formula-safe,
CSV and XLSX, results or attempts; a campaign that does not exist is one line and exit 1."""

from __future__ import annotations

import csv

import openpyxl

from cti.campaigns import admin
from cti.store import Database
from tests.integration.campaigns.support import TUESDAY_10, values


async def a_campaign(run, tmp_path, name: str = "双十二回访") -> int:
    assert run("migrate").returncode == 0
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    try:
        return await db.write(admin.create, values(name=name, kind="list"), actor="boss", now=TUESDAY_10)
    finally:
        await db.close()


async def test_contacts_are_imported_by_campaign_name_with_every_row_not_added_on_stderr(run, tmp_path):
    await a_campaign(run, tmp_path)
    source = tmp_path / "名单.csv"
    source.write_text("电话,姓名,备注\n13800138000,张三,=1+1\n12345,坏号码,\n13800138000,又是张三,\n", encoding="gb18030")
    result = run("campaigns", "import", "双十二回访", str(source))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "added 1, duplicates 1, do-not-call 0, refused 1 (gb18030)"
    assert result.stderr.strip().splitlines() == ["line 3: number: invalid_phone 12345",
                                                  "line 4: number: duplicate +8613800138000"]

    out = tmp_path / "results.csv"
    exported = run("campaigns", "export", "双十二回访", "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"exported 1 contacts to {out}"
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["number"], r["name"], r["state"], r["note"]) for r in rows] == [("'+8613800138000", "张三", "pending", "'=1+1")]


async def test_the_attempts_export_as_xlsx_by_campaign_number(run, tmp_path):
    campaign_id = await a_campaign(run, tmp_path)
    out = tmp_path / "attempts.xlsx"
    result = run("campaigns", "export", str(campaign_id), "--format", "xlsx", "--attempts", "-o", str(out))
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(out).active
    assert (sheet.title, [c.value for c in sheet[1]][:5]) == ("attempts", ["attempt_id", "contact_id", "number", "name", "attempt"])


async def test_an_unknown_campaign_is_one_line_and_exit_1(run, tmp_path):
    await a_campaign(run, tmp_path)
    source = tmp_path / "x.csv"
    source.write_text("number\n13800138000\n")
    result = run("campaigns", "import", "没有这个活动", str(source))
    assert (result.returncode, result.stderr.strip()) == (1, "cti: no campaign named or numbered '没有这个活动'")
    result = run("campaigns", "export", "42")
    assert (result.returncode, result.stderr.strip()) == (1, "cti: no campaign named or numbered '42'")
