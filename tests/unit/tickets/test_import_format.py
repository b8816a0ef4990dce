"""cti.tickets.import_format: which header names mean which column, and what one row may say."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cti.csv_input import RowError
from cti.tickets import workflow
from cti.tickets.import_format import ALIASES, STATES, TicketRow, read_rows

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "csv"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
HEADER = "external_ref,phone,customer,type,mode,state,priority,model,serial,purchase_date,warranty_months,opened_at\n"


def read(text: str) -> list[TicketRow | RowError]:
    return list(read_rows(text.encode("utf-8"), zone=SHANGHAI, now=NOW))


def one(row: str) -> TicketRow | RowError:
    (result,) = read(HEADER + row + "\n")
    return result


def problem(row: str) -> tuple[str, str]:
    result = one(row)
    assert isinstance(result, RowError), result
    assert result.line == 2
    return result.column, result.code


# --- the header ---------------------------------------------------------------------------------------


def test_chinese_and_english_names_of_every_column_are_the_same_column():
    chinese = "工单号,客户电话,客户姓名,服务类型,服务方式,状态,优先级,产品型号,序列号,购买日期,保修月数,描述,受理时间,城市,区县,地址"
    english = ("external_ref,phone,customer,type,mode,state,priority,model,serial,purchase_date,warranty_months,"
               "description,opened_at,city,district,address")
    row = "A-1,13800138000,张三,报修,送修,修理中,加急,KFR-35GW,SN1,2024-06-01,36,不制冷,2026-11-30 09:00,北京市,朝阳区,建国路88号"
    assert read(chinese + "\n" + row) == read(english + "\n" + row)
    (parsed,) = read(chinese + "\n" + row)
    assert isinstance(parsed, TicketRow)
    assert (parsed.external_ref, parsed.customer, parsed.model, parsed.serial, parsed.description) == (
        "A-1", "张三", "KFR-35GW", "SN1", "不制冷")
    assert (parsed.city, parsed.district, parsed.address, parsed.warranty_months) == ("北京市", "朝阳区", "建国路88号", 36)


def test_header_names_ignore_case_spaces_underscores_stars_and_a_bom():
    text = "\ufeff*External Ref,PHONE,Service_Type,服务 方式\nA-1,13800138000,repair,carry_in\n"
    (row,) = read(text)
    assert isinstance(row, TicketRow) and (row.external_ref, row.service_mode) == ("A-1", "carry_in")


def test_an_unknown_column_is_a_notice_on_line_1_and_the_rows_are_read():
    found = read("工单号,客户电话,服务类型,服务方式,旧系统字段\nA-1,13800138000,报修,送修,x\n")
    assert isinstance(found[0], RowError) and (found[0].line, found[0].code, found[0].column) == (
        1, "unknown_column", "旧系统字段")
    assert isinstance(found[1], TicketRow)


@pytest.mark.parametrize("header, column", [("客户电话,服务类型", "external_ref"), ("工单号,服务类型", "phone"),
                                            ("工单号,客户电话", "type")])
def test_a_missing_required_column_ends_the_reading(header, column):
    found = read(header + "\nx,y\n")
    assert [(e.code, e.column) for e in found] == [("missing_column", column)]  # type: ignore[union-attr]


def test_a_column_named_twice_ends_the_reading():
    (error,) = read("工单号,ref,客户电话,服务类型\nA,B,13800138000,报修\n")
    assert isinstance(error, RowError) and (error.code, error.column) == ("duplicate_column", "external_ref")


def test_every_alias_is_its_own():
    from cti.csv_input import header_key

    keys = [header_key(a) for column, names in ALIASES.items() for a in (column, *names)]
    assert len(keys) == len(set(keys)), "an alias names two columns"


# --- one row ------------------------------------------------------------------------------------------


def test_a_good_row_in_the_trades_words():
    row = one("A-1,138 0013 8000；010-8888 8888,张三,报修,上门,已派工,加急,KFR-35GW,SN1,2024/6/1,,2026-11-30 09:05")
    assert isinstance(row, TicketRow)
    assert [p.e164 for p in row.phones] == ["+8613800138000", "+861088888888"]
    assert (row.service_type, row.service_mode, row.workflow, row.state, row.priority) == (
        "repair", "on_site", "on_site", "dispatched", "urgent")
    assert row.purchase_date == dt.date(2024, 6, 1) and row.warranty_months == 12  # the default term
    assert row.opened_at == dt.datetime(2026, 11, 30, 1, 5, tzinfo=dt.UTC)  # 09:05 in Shanghai


def test_codes_are_accepted_as_well_as_words():
    row = one("A-1,13800138000,,complaint,,Processing,HIGH,,,,,")
    assert isinstance(row, TicketRow) and (row.service_type, row.state, row.priority) == (
        "complaint", "processing", "high")


@pytest.mark.parametrize("kind, expected", [("安装", "installation"), ("送货", "delivery"), ("调换货", "delivery"),
                                            ("咨询", "enquiry"), ("赞誉", "praise"), ("投诉", "complaint")])
def test_service_types_in_chinese(kind, expected):
    row = one(f"A-1,13800138000,,{kind},,,,,,,,")
    assert isinstance(row, TicketRow) and row.service_type == expected


def test_empty_state_and_priority_are_the_workflows_first_state_and_normal():
    row = one("A-1,13800138000,,投诉,,,,,,,,")
    assert isinstance(row, TicketRow) and (row.state, row.priority, row.opened_at) == ("pending", "normal", None)


def test_the_same_word_is_the_state_of_the_tickets_own_workflow():
    complaint, enquiry = one("A,13800138000,,投诉,,待处理,,,,,,"), one("B,13800138000,,咨询,,待处理,,,,,,")
    assert (complaint.state, enquiry.state) == ("pending", "open")  # type: ignore[union-attr]


@pytest.mark.parametrize("row, column, code", [
    (",13800138000,,报修,送修,,,,,,,", "external_ref", "required"),
    ("A,,,报修,送修,,,,,,,", "phone", "required"),
    ("A,1380013800,,报修,送修,,,,,,,", "phone", "invalid_phone"),
    ("A,1.38001E+10,,报修,送修,,,,,,,", "phone", "phone_scientific"),
    ("A,13800138000,,,送修,,,,,,,", "type", "required"),
    ("A,13800138000,,维权,,,,,,,,", "type", "bad_type"),
    ("A,13800138000,,报修,,,,,,,,", "mode", "bad_mode"),  # a repair needs its mode
    ("A,13800138000,,投诉,上门,,,,,,,", "mode", "bad_mode"),  # a complaint takes none
    ("A,13800138000,,报修,寄修,,,,,,,", "mode", "bad_mode"),
    ("A,13800138000,,安装,,待修,,,,,,", "state", "bad_state"),  # a carry-in state, not an installation's
    ("A,13800138000,,报修,送修,已完结,,,,,,", "state", "bad_state"),
    ("A,13800138000,,报修,送修,,十万火急,,,,,", "priority", "bad_priority"),
    ("A,13800138000,,报修,送修,,,M,S,2024-02-30,,", "purchase_date", "bad_date"),
    ("A,13800138000,,报修,送修,,,M,S,2024-02-01,三年,", "warranty_months", "bad_warranty"),
    ("A,13800138000,,报修,送修,,,M,S,2024-02-01,121,", "warranty_months", "bad_warranty"),
    ("A,13800138000,,报修,送修,,,,,,,昨天", "opened_at", "bad_time"),
    ("A,13800138000,,报修,送修,,,,,,,2026-11-31", "opened_at", "bad_time"),
    ("A,13800138000,,报修,送修,,,,,,,2026-12-01 17:00", "opened_at", "future_time"),  # 09:00 UTC, after now
    (f"{'X' * 61},13800138000,,报修,送修,,,,,,,", "external_ref", "too_long"),
    ("A,13800138000,,报修,送修,,,,,,,,extra", "", "extra_fields"),
])
def test_a_bad_row_names_its_column_and_reason(row, column, code):
    assert problem(row) == (column, code)


def test_a_bad_row_keeps_its_physical_line_after_a_quoted_line_break():
    found = read(HEADER + 'A,13800138000,"张\n三",报修,送修,,,,,,,\nB,13800138000,,报修,,,,,,,,\n')
    assert isinstance(found[0], TicketRow) and found[0].customer == "张 三"  # a name is one line
    assert isinstance(found[1], RowError) and found[1].line == 4


def test_the_sample_file_reads_whole_in_utf8_and_gb18030():
    utf8 = list(read_rows(FIXTURES / "tickets_import.csv", zone=SHANGHAI, now=NOW))
    gb = list(read_rows(FIXTURES / "tickets_import_gb18030.csv", zone=SHANGHAI, now=NOW))
    assert all(isinstance(r, TicketRow) for r in utf8 + gb) and len(utf8) == len(gb) == 8
    assert [r.state for r in utf8] == [r.state for r in gb]  # type: ignore[union-attr]
    assert [r.line for r in utf8] == [2, 3, 5, 6, 7, 8, 9, 10]  # OLD-1002's description takes two lines


def test_the_first_word_of_each_state_is_the_consoles():
    catalog = json.loads((ROOT / "web" / "i18n" / "zh.json").read_text(encoding="utf-8"))
    states = {s for wf in workflow.WORKFLOWS.values() for s in wf.states}
    assert set(STATES) == states
    assert {s: STATES[s][0] for s in states} == {s: catalog[f"ticket.state.{s}"] for s in states}
