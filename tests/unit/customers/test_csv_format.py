"""cti.customers.csv_format: encodings, per-row errors with line numbers, products."""

from __future__ import annotations

import codecs
import doctest
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cti.customers.csv_format as csv_format
from cti.customers.csv_format import (
    EncodingError,
    ImportRow,
    ProductIn,
    RowError,
    detect_encoding,
    file_encoding,
    read_rows,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "csv"
HEADER = "name,phones,tier,notes,city,address,products\n"


def rows_of(source: object) -> list[ImportRow]:
    found = list(read_rows(source))  # type: ignore[arg-type]
    assert all(isinstance(r, ImportRow) for r in found), found
    return found  # type: ignore[return-value]


def errors_of(source: object) -> list[RowError]:
    return [r for r in read_rows(source) if isinstance(r, RowError)]  # type: ignore[arg-type]


def one(text: str) -> ImportRow | RowError:
    (result,) = read_rows((HEADER + text + "\n").encode())
    return result


def test_utf8_file_without_bom() -> None:
    path = FIXTURES / "customers_utf8.csv"
    assert file_encoding(path) == "utf-8"
    zhang, li, acme = rows_of(path)
    assert (zhang.line, zhang.name, zhang.tier, zhang.city) == (2, "张三", "vip", "北京市")
    assert [p.e164 for p in zhang.phones] == ["+8613800138000", "+861088888888"]
    assert zhang.notes == "VIP 客户\n来电优先接听"
    assert (li.line, li.tier, li.products) == (4, "standard", [])  # zhang's notes took lines 2-3
    assert [p.region for p in acme.phones] == ["US", "GB"]


def test_products_are_parsed() -> None:
    zhang, _, acme = rows_of(FIXTURES / "customers_utf8.csv")
    assert zhang.products == [
        ProductIn("空调 KFR-35GW/BP3DN8Y", "KT2024060100123", date(2024, 6, 1), 36),
        ProductIn("冰箱 BCD-470WDPG", "BX2023110500456", date(2023, 11, 5), 12),
    ]
    assert acme.products == [ProductIn("扫地机器人 SR-T10 Pro", "", date(2025, 3, 9), 12)]  # no serial, slashes


def test_utf8_file_with_bom_and_chinese_headers() -> None:
    path = FIXTURES / "customers_utf8_bom.csv"
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    assert file_encoding(path) == "utf-8-sig"
    wang, zhao = rows_of(path)
    assert (wang.name, wang.tier, wang.phones[0].e164) == ("王五", "enterprise", "+8618612345678")
    assert (zhao.line, zhao.name, zhao.tier, zhao.city) == (3, "赵六", "standard", "广州市")
    assert zhao.products[0].purchase_date == date(2024, 12, 16)


def test_gb18030_file_with_chinese_names() -> None:
    path = FIXTURES / "customers_gb18030.csv"
    assert file_encoding(path) == "gb18030"
    ouyang, long_, rare = rows_of(path)
    assert (ouyang.name, ouyang.tier, ouyang.notes) == ("欧阳娜娜", "vip", "只接受周末上门")
    assert [p.e164 for p in ouyang.phones] == ["+8613800138000", "+862162888888"]  # full-width ；
    assert (long_.name, long_.phones[0].e164, long_.phones[0].place) == ("龙韵", "+8675526338888", "广东省深圳市")
    assert rare.name == "䶮（生僻字）"  # four-byte GB18030


def test_the_same_content_reads_the_same_in_every_encoding() -> None:
    text = (FIXTURES / "customers_utf8.csv").read_text(encoding="utf-8")
    expected = rows_of(text.encode("utf-8"))
    assert rows_of(codecs.BOM_UTF8 + text.encode("utf-8")) == expected
    assert rows_of(text.encode("gb18030")) == expected


def test_bad_rows_give_one_error_each_with_its_line_and_reading_goes_on() -> None:
    results = list(read_rows(FIXTURES / "customers_errors.csv"))
    summary = [(r.line, r.code, r.column) if isinstance(r, RowError) else (r.line, "ok", r.name) for r in results]
    assert summary == [
        (2, "ok", "好人甲"),
        (3, "required", "name"),
        (4, "invalid_phone", "phones"),
        (5, "bad_date", "products"),
        (6, "bad_warranty", "products"),
        (8, "ok", "多行 名字"),  # CR/LF collapsed; the record spans lines 8-9
        (10, "ok", '=HYPERLINK("http://evil.example";"点我")'),  # data, escaped at output
        (11, "ok", "<script>alert(1)</script>"),
        (12, "phone_scientific", "phones"),
        (13, "bad_tier", "tier"),
        (14, "required", "phones"),
        (15, "bad_product", "products"),
        (16, "extra_fields", ""),
        (17, "invalid_phone", "phones"),  # "anonymous" is not a customer's phone
        (18, "ok", "好人乙"),
    ]


def test_errors_name_the_offending_value_in_english() -> None:
    errors = {e.line: e for e in errors_of(FIXTURES / "customers_errors.csv")}
    assert errors[4].value == "1380013800" and "'1380013800'" in errors[4].message
    assert errors[5].value == "2024-02-30" and "date" in errors[5].message
    assert errors[6].value == "twelve" and "warranty" in errors[6].message
    assert errors[3].message == "name is required"


def test_duplicate_phones_in_a_row_count_once() -> None:
    (row,) = [r for r in read_rows(FIXTURES / "customers_errors.csv") if isinstance(r, ImportRow) and r.line == 8]
    assert [p.e164 for p in row.phones] == ["+8613800138000"]  # written three ways


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("张三,13800138000,,,,,空调|S|2024-13-01|12", "bad_date"),
        ("张三,13800138000,,,,,空调|S|24/06/01|12", "bad_date"),
        ("张三,13800138000,,,,,空调|S|2024-06-01|-1", "bad_warranty"),
        ("张三,13800138000,,,,,空调|S|2024-06-01|121", "bad_warranty"),
        ("张三,13800138000,,,,,空调|S|2024-06-01|1.5", "bad_warranty"),
        ("张三,13800138000,,,,,空调|S|2024-06-01|", "bad_warranty"),
        ("张三,13800138000,,,,,|S|2024-06-01|12", "bad_product"),
        ("张三,13800138000,,,,,空调|S|2024-06-01|12|extra", "bad_product"),
        ("张三,13800138000;abc,,,,,", "invalid_phone"),
        ("张三,13800138000,,,," + "长" * 301 + ",", "too_long"),
        ("" + "名" * 101 + ",13800138000,,,,,", "too_long"),
        ("   ,13800138000,,,,,", "required"),
    ],
)
def test_bad_values_are_reported_by_code(row: str, code: str) -> None:
    result = one(row)
    assert isinstance(result, RowError) and result.code == code and result.line == 2


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("", "standard"), ("VIP", "vip"), ("贵宾", "vip"), ("Enterprise", "enterprise"), ("大客户", "enterprise"), ("普通", "standard")],
)
def test_tier_accepts_english_and_chinese_labels(tier: str, expected: str) -> None:
    result = one(f"张三,13800138000,{tier},,,,")
    assert isinstance(result, ImportRow) and result.tier == expected


def test_names_lose_control_characters_but_notes_keep_line_breaks() -> None:
    result = one('"张\t三\r\n\x00",13800138000,,"第一行\r\n第二行\x07","北京\n市","朝阳区\r\n建国路",')
    assert isinstance(result, ImportRow)
    assert (result.name, result.notes, result.city, result.address) == ("张 三", "第一行\n第二行", "北京 市", "朝阳区 建国路")


def test_missing_required_column_stops_with_header_errors() -> None:
    errors = errors_of(FIXTURES / "missing_column.csv")
    assert [(e.line, e.code, e.column) for e in errors] == [
        (1, "unknown_column", "contact"),
        (1, "missing_column", "phones"),
    ]


def test_unknown_columns_are_reported_and_ignored() -> None:
    results = list(read_rows("客户编号,姓名,手机\nC001,张三,13800138000\n".encode()))
    assert isinstance(results[0], RowError) and results[0].code == "unknown_column"
    assert isinstance(results[1], ImportRow) and results[1].name == "张三"


def test_header_is_case_insensitive_and_tolerates_marks() -> None:
    (row,) = rows_of(" *Name* , PHONES ,Tier\n张三,13800138000,vip\n".encode())
    assert (row.name, row.tier) == ("张三", "vip")


def test_duplicate_column_stops() -> None:
    (error,) = errors_of("name,phones,电话\n张三,1,2\n".encode())
    assert (error.line, error.code, error.column) == (1, "duplicate_column", "phones")


def test_empty_file_and_blank_lines() -> None:
    assert [e.code for e in errors_of(b"")] == ["empty_file"]
    assert [e.code for e in errors_of(b"\n\n  \n")] == ["empty_file"]
    (row,) = rows_of(b"\n" + HEADER.encode() + "\n张三,13800138000\n\n".encode())
    assert row.line == 4


def test_undecodable_file_is_one_error_with_the_line() -> None:
    data = HEADER.encode() + "张三,13800138000\n".encode() + b"\xff\xff\xff,1\n"
    (error,) = read_rows(data)
    assert isinstance(error, RowError) and (error.code, error.line) == ("bad_encoding", 3)
    with pytest.raises(EncodingError):
        detect_encoding(data)


def test_detect_encoding() -> None:
    assert detect_encoding(b"name,phones\n") == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + "姓名".encode()) == "utf-8-sig"
    assert detect_encoding("姓名,电话\n张三".encode("gb18030")) == "gb18030"
    assert detect_encoding("姓名,电话\n张三".encode("gbk")) == "gb18030"


def test_reads_a_caller_file_object_and_leaves_it_open() -> None:
    binary = io.BytesIO((HEADER + "张三,13800138000\n").encode())
    (row,) = rows_of(binary)
    assert row.name == "张三" and not binary.closed


def test_rows_stream_lazily() -> None:
    lines = "".join(f"客户{i},1380013{i:04d}\n" for i in range(5000))
    stream = read_rows((HEADER + lines).encode())
    first = next(stream)
    assert isinstance(first, ImportRow) and first.line == 2
    stream.close()


def test_doctests_run() -> None:
    result = doctest.testmod(csv_format)
    assert result.attempted > 0 and result.failed == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: (HEADER + t).encode("utf-8")))
def test_any_bytes_give_rows_or_errors_never_an_exception(data: bytes) -> None:
    for result in read_rows(data):
        assert isinstance(result, ImportRow | RowError)
        assert result.line >= 1


def test_broken_csv_ends_with_one_error() -> None:
    data = (HEADER + '"' + "x" * 200_000 + '",13800138000\n').encode()
    (error,) = read_rows(data)
    assert isinstance(error, RowError) and (error.code, error.line) == ("csv_syntax", 2)
