"""Customer CSV import format: parsing and validation, no database.

Format
------

A CSV file (comma-separated, fields with commas, quotes or line breaks in
double quotes, as spreadsheets write them). The first non-blank line is the
header; column names are case-insensitive, in any order, and may be given in
Chinese:

* ``name`` — required; also 姓名, 名称, 客户, 客户名称, 客户姓名. The customer
  or company name, one line.
* ``phones`` — required; also phone, phone number, mobile, tel, telephone,
  电话, 手机, 手机号, 联系电话, 电话号码, 号码. One or more numbers separated by
  ``;`` (also ``；`` ``,`` ``，`` ``、``), in any usual written form
  (``13800138000``, ``+86 138-0013-8000``, ``010-8888 8888``, ``+1 415 555 0142``).
* ``tier`` — optional; also 等级, 客户等级, 级别. ``standard`` (the default when
  empty), ``vip`` or ``enterprise``; 普通/标准, VIP/贵宾/重要客户 and
  企业/企业客户/大客户 are accepted too.
* ``notes`` — optional; also note, 备注. Free text, line breaks kept.
* ``city`` — optional; also 城市. One line, e.g. 北京市.
* ``address`` — optional; also 地址. One line.
* ``products`` — optional; also product, 产品, 购买产品. See below.

``products`` holds one or more appliances separated by ``;``, each
``model|serial|purchase_date|warranty_months``: the model is required, the
serial may be empty, the date is ``YYYY-MM-DD`` (``YYYY/MM/DD`` also
accepted), the warranty a whole number of months from 0 to 120. Example::

    name,phones,tier,city,address,products
    张三,13800138000;010-8888 8888,vip,北京市,朝阳区建国路88号,空调 KFR-35GW|KT2024001|2024-06-01|36

Encoding: UTF-8 with or without a byte-order mark, or GB18030 (which covers
GBK/GB2312, what Excel writes on Chinese Windows). The file is tried as
UTF-8 strictly first, then as GB18030; :func:`file_encoding` says which.
Reading (encoding, header, lines, errors) is :mod:`cti.csv_input`'s, shared
with the tickets' import.

Phones are normalised like caller IDs (``cti.phone``, home region CN): a
number that does not normalise makes the row an error; the same number twice
in one row counts once. A number Excel has turned into ``1.38001E+10`` is
reported as such (format the column as text). Names, cities, addresses,
models and serials are single lines: line breaks and control characters
become spaces. Text such as ``=HYPERLINK(…)`` or ``<script>`` is kept as
data; it is escaped where it is shown or exported. Unknown columns are
reported (line 1) and ignored; blank lines are skipped.

Errors: each bad row gives one :class:`RowError` (its first problem) and the
reading goes on; ``line`` is the physical line where the record starts (the
header is line 1). ``code`` is stable for translation; ``message`` is English;
``value`` is the offending text. A missing required column, a column given
twice, an undecodable file or broken CSV quoting end the reading.

Codes: ``required`` (no name / no phone), ``invalid_phone``,
``phone_scientific``, ``bad_tier``, ``bad_product`` (not four ``|`` fields or
no model), ``bad_date``, ``bad_warranty``, ``too_long``, ``extra_fields``
(more cells than the header); file level: ``unknown_column``,
``missing_column``, ``duplicate_column``, ``empty_file``, ``bad_encoding``,
``csv_syntax``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from cti.csv_input import (
    EncodingError, Record, RowError, RowProblem, detect_encoding, file_encoding, limited, multi_line, one_line,
    parse_date, parse_phones, read_records, whole_number,
)  # fmt: skip
from cti.phone import PhoneInfo

__all__ = [
    "ProductIn", "ImportRow", "RowError", "EncodingError", "read_rows", "detect_encoding",
    "file_encoding", "COLUMNS", "TIERS",
]  # fmt: skip

COLUMNS = ("name", "phones", "tier", "notes", "city", "address", "products")
REQUIRED = ("name", "phones")
ALIASES = {
    "name": ("name", "姓名", "名称", "客户", "客户名称", "客户姓名"),
    "phones": ("phones", "phone", "phonenumber", "phonenumbers", "mobile", "tel", "telephone",
               "电话", "手机", "手机号", "联系电话", "电话号码", "号码"),
    "tier": ("tier", "等级", "客户等级", "级别"),
    "notes": ("notes", "note", "备注"),
    "city": ("city", "城市"),
    "address": ("address", "地址"),
    "products": ("products", "product", "产品", "购买产品"),
}
TIERS = {
    "standard": ("standard", "普通", "标准", "普通客户"),
    "vip": ("vip", "贵宾", "vip客户", "重要客户"),
    "enterprise": ("enterprise", "企业", "企业客户", "大客户"),
}
MAX_LENGTH = {"name": 100, "city": 50, "address": 300, "notes": 2000, "model": 100, "serial": 64}
MAX_WARRANTY_MONTHS = 120

_TIER = {alias: tier for tier, names in TIERS.items() for alias in names}
_PRODUCT_SEP = re.compile(r"[;；\r\n]+")
_FIELD_SEP = re.compile(r"[|｜]")


@dataclass(frozen=True, slots=True)
class ProductIn:
    model: str
    serial: str
    purchase_date: date
    warranty_months: int


@dataclass(slots=True)
class ImportRow:
    line: int
    name: str
    tier: str
    notes: str
    city: str
    address: str
    phones: list[PhoneInfo] = field(default_factory=list)
    products: list[ProductIn] = field(default_factory=list)


def read_rows(source: str | os.PathLike[str] | bytes | BinaryIO, *, region: str = "CN") -> Iterator[ImportRow | RowError]:
    """Yield one :class:`ImportRow` per good record and one :class:`RowError` per bad one.

    ``source`` is a path, the file's bytes, or a seekable binary file.

    >>> rows = list(read_rows("姓名,电话\\n张三,138 0013 8000\\n,13800138000\\n".encode()))
    >>> rows[0].name, rows[0].phones[0].e164
    ('张三', '+8613800138000')
    >>> rows[1]
    RowError(line=3, column='name', message='name is required', code='required', value='')
    """
    for item in read_records(source, ALIASES, REQUIRED):
        yield item if isinstance(item, RowError) else _parse_row(item, region)


# --- one row ------------------------------------------------------------------------------


def _parse_row(record: Record, region: str) -> ImportRow | RowError:
    try:
        name = _limited("name", one_line(record["name"]))
        if not name:
            raise RowProblem("name", "required", "name is required")
        phones = parse_phones(record["phones"], region, "phones")
        tier = _parse_tier(record["tier"])
        products = _parse_products(record["products"])
        notes = _limited("notes", multi_line(record["notes"]))
        city = _limited("city", one_line(record["city"]))
        address = _limited("address", one_line(record["address"]))
    except RowProblem as problem:
        return problem.at(record.line)
    return ImportRow(record.line, name, tier, notes, city, address, phones, products)


def _parse_tier(text: str) -> str:
    key = re.sub(r"\s+", "", text).lower()
    if not key:
        return "standard"
    if key not in _TIER:
        raise RowProblem("tier", "bad_tier", f"unknown tier {text.strip()!r} (standard, vip, enterprise)", text)
    return _TIER[key]


def _parse_products(text: str) -> list[ProductIn]:
    return [_parse_product(item.strip()) for item in _PRODUCT_SEP.split(text) if item.strip()]


def _parse_product(item: str) -> ProductIn:
    parts = [part.strip() for part in _FIELD_SEP.split(item)]
    if len(parts) != 4 or not parts[0]:
        raise RowProblem("products", "bad_product", f"product {item!r} is not model|serial|purchase_date|warranty_months", item)
    model = _limited("model", one_line(parts[0]), "products")
    serial = _limited("serial", one_line(parts[1]), "products")
    return ProductIn(model, serial, parse_date(parts[2], "products", "purchase date"), _parse_warranty(parts[3]))


def _parse_warranty(text: str) -> int:
    return whole_number(text, "products", "bad_warranty", "warranty in months", MAX_WARRANTY_MONTHS)


def _limited(what: str, text: str, column: str | None = None) -> str:
    return limited(text, MAX_LENGTH[what], column or what, what)
