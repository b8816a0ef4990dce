"""`cti tickets import` and `cti tickets export` as an operator runs them: a real process on a SQLite file,
a progress bar on stderr, one summary line, exit 1 when a row failed."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from cti.tickets.export import COLUMNS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "csv"


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_import_then_again_then_export_the_open_repairs(run, tmp_path):
    first = run("tickets", "import", str(FIXTURES / "tickets_import.csv"))
    assert first.returncode == 0, first.stderr
    assert last_line(first.stdout) == "imported 8, skipped 0, 0 errors (utf-8)"
    again = run("tickets", "import", str(FIXTURES / "tickets_import.csv"))
    assert (again.returncode, last_line(again.stdout)) == (0, "imported 0, skipped 8, 0 errors (utf-8)")
    out = tmp_path / "repairs.xlsx"
    exported = run("tickets", "export", "--format", "xlsx", "--type", "repair", "--open", "--since", "2026-11-02",
                   "--until", "2026-11-03", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert last_line(exported.stdout) == f"exported 2 tickets to {out}"
    lines = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert lines[0] == COLUMNS
    assert [(r[COLUMNS.index("external_ref")], r[COLUMNS.index("state")]) for r in lines[1:]] == [
        ("OLD-1001", "in_repair"), ("OLD-1002", "dispatched")]


def test_export_as_csv_by_state_to_the_default_file(run, tmp_path):
    assert run("tickets", "import", str(FIXTURES / "tickets_import.csv")).returncode == 0
    result = run("tickets", "export", "--state", "reopened")
    assert result.returncode == 0, result.stderr
    name = last_line(result.stdout).removeprefix("exported 1 tickets to ")
    assert name.startswith("tickets-") and name.endswith(".csv")
    with (tmp_path / name).open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["external_ref"], row["type"], row["customer"]) == ("OLD-1008", "complaint", "赵六")


def test_bad_rows_are_reported_with_their_line_and_exit_1(run, tmp_path):
    errors = tmp_path / "errors.csv"
    result = run("tickets", "import", str(FIXTURES / "tickets_import_errors.csv"), "--errors", str(errors))
    assert result.returncode == 1
    assert last_line(result.stdout) == "imported 3, skipped 0, 4 errors (utf-8)"
    assert "line 1: unknown column 'legacy_field' ignored" in result.stderr
    assert "line 3: phone: invalid phone number '1380013800'" in result.stderr
    assert "line 6: external_ref: external_ref 'E-1' is on line 2 too" in result.stderr
    with errors.open(encoding="utf-8-sig") as fh:
        assert [(r["line"], r["code"]) for r in csv.DictReader(fh)] == [
            ("3", "invalid_phone"), ("4", "bad_state"), ("6", "duplicate_ref"), ("7", "required")]


def test_a_dry_run_writes_nothing_and_gb18030_is_read(run):
    dry = run("tickets", "import", "--dry-run", str(FIXTURES / "tickets_import_gb18030.csv"))
    assert (dry.returncode, last_line(dry.stdout)) == (
        0, "dry run, nothing written: imported 8, skipped 0, 0 errors (gb18030)")
    real = run("tickets", "import", str(FIXTURES / "tickets_import_gb18030.csv"))
    assert last_line(real.stdout) == "imported 8, skipped 0, 0 errors (gb18030)"  # the dry run left nothing behind


def test_a_missing_file_is_one_line_and_exit_1(run):
    result = run("tickets", "import", "nope.csv")
    assert (result.returncode, result.stderr.strip()) == (1, "cti: no such file: nope.csv")
