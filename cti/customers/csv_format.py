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

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from cti.phone import PhoneInfo, normalise

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

_HEADER = {alias: column for column, names in ALIASES.items() for alias in names}
_TIER = {alias: tier for tier, names in TIERS.items() for alias in names}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_CONTROL_KEEP_NL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"[ \u3000]{2,}")
_PHONE_SEP = re.compile(r"[;；,，、\r\n]+")
_PRODUCT_SEP = re.compile(r"[;；\r\n]+")
_FIELD_SEP = re.compile(r"[|｜]")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_CHUNK = 1 << 16


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


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem; ``code`` is for translation, ``value`` the offending text."""

    line: int
    column: str
    message: str
    code: str
    value: str = ""


class EncodingError(ValueError):
    """The bytes are neither UTF-8 nor GB18030; ``line`` is where decoding failed."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: the file is neither UTF-8 nor GB18030")
        self.line = line


class _RowProblem(Exception):
    def __init__(self, column: str, code: str, message: str, value: str = "") -> None:
        super().__init__(message)
        self.column, self.code, self.message, self.value = column, code, message, value


def detect_encoding(data: bytes) -> str:
    """``"utf-8-sig"`` (BOM), ``"utf-8"`` or ``"gb18030"``; raises :class:`EncodingError`.

    >>> detect_encoding("姓名".encode("utf-8")), detect_encoding("姓名".encode("gb18030"))
    ('utf-8', 'gb18030')
    >>> detect_encoding(codecs.BOM_UTF8 + b"name")
    'utf-8-sig'
    """
    return _detect_stream(io.BytesIO(data))


def file_encoding(source: str | os.PathLike[str] | bytes) -> str:
    """:func:`detect_encoding` for a path (read in chunks) or bytes."""
    with _open_binary(source) as binary:
        return _detect_stream(binary)


def read_rows(source: str | os.PathLike[str] | bytes | BinaryIO, *, region: str = "CN") -> Iterator[ImportRow | RowError]:
    """Yield one :class:`ImportRow` per good record and one :class:`RowError` per bad one.

    ``source`` is a path, the file's bytes, or a seekable binary file.

    >>> rows = list(read_rows("姓名,电话\\n张三,138 0013 8000\\n,13800138000\\n".encode()))
    >>> rows[0].name, rows[0].phones[0].e164
    ('张三', '+8613800138000')
    >>> rows[1]
    RowError(line=3, column='name', message='name is required', code='required', value='')
    """
    with _open_binary(source) as binary:
        try:
            encoding = _detect_stream(binary)
        except EncodingError as exc:
            yield RowError(exc.line, "", str(exc), "bad_encoding")
            return
        binary.seek(0)
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        try:
            yield from _read_records(csv.reader(text), region)
        finally:
            text.detach()


# --- reading ---------------------------------------------------------------------------


@contextmanager
def _open_binary(source: str | os.PathLike[str] | bytes | BinaryIO) -> Iterator[BinaryIO]:
    """Bytes or a path are opened (and closed) here; a caller's file object is left open."""
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(source))
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as binary:
            yield binary
    else:
        yield source


def _detect_stream(binary: BinaryIO) -> str:
    head = binary.read(len(codecs.BOM_UTF8))
    if head == codecs.BOM_UTF8:
        _decode_all(binary, "utf-8")
        return "utf-8-sig"
    binary.seek(0)
    try:
        _decode_all(binary, "utf-8")
        return "utf-8"
    except EncodingError:
        binary.seek(0)
        _decode_all(binary, "gb18030")
        return "gb18030"


def _decode_all(binary: BinaryIO, encoding: str) -> None:
    """Decode the rest of ``binary`` strictly, in chunks; raise EncodingError with the line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    while True:
        chunk = binary.read(_CHUNK)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise EncodingError(line + chunk.count(b"\n", 0, max(exc.start, 0))) from None
        if not chunk:
            return
        line += chunk.count(b"\n")


def _read_records(reader: Iterator[list[str]], region: str) -> Iterator[ImportRow | RowError]:
    columns: dict[str, int] | None = None
    width = 0
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1  # type: ignore[attr-defined]
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns, problems = _read_header(cells, line)
                yield from problems
                if any(p.code != "unknown_column" for p in problems):
                    return
                width = len(cells)
                continue
            yield _parse_row(line, cells, columns, width, region)
    except csv.Error as exc:
        yield RowError(start, "", f"broken CSV: {exc}", "csv_syntax")
        return
    if columns is None:
        yield RowError(1, "", "the file is empty: a header row is required", "empty_file")


def _read_header(cells: list[str], line: int) -> tuple[dict[str, int], list[RowError]]:
    columns: dict[str, int] = {}
    problems: list[RowError] = []
    for index, cell in enumerate(cells):
        key = re.sub(r"[\s*＊_]+", "", cell.replace("\ufeff", "")).lower()
        if not key:
            continue
        column = _HEADER.get(key)
        if column is None:
            problems.append(RowError(line, cell.strip(), f"unknown column {cell.strip()!r} ignored", "unknown_column", cell))
        elif column in columns:
            problems.append(RowError(line, column, f"column {column!r} appears twice", "duplicate_column", cell))
        else:
            columns[column] = index
    for column in REQUIRED:
        if column not in columns:
            problems.append(RowError(line, column, f"required column {column!r} is missing", "missing_column"))
    return columns, problems


# --- one row ------------------------------------------------------------------------------


def _parse_row(line: int, cells: list[str], columns: dict[str, int], width: int, region: str) -> ImportRow | RowError:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else ""

    try:
        if any(c.strip() for c in cells[width:]):
            raise _RowProblem("", "extra_fields", f"{len(cells)} fields, the header has {width}")
        name = _limited("name", _one_line(cell("name")))
        if not name:
            raise _RowProblem("name", "required", "name is required")
        phones = _parse_phones(cell("phones"), region)
        tier = _parse_tier(cell("tier"))
        products = _parse_products(cell("products"))
        notes = _limited("notes", _multi_line(cell("notes")))
        city = _limited("city", _one_line(cell("city")))
        address = _limited("address", _one_line(cell("address")))
    except _RowProblem as problem:
        return RowError(line, problem.column, problem.message, problem.code, problem.value)
    return ImportRow(line, name, tier, notes, city, address, phones, products)


def _parse_phones(text: str, region: str) -> list[PhoneInfo]:
    found: dict[str, PhoneInfo] = {}
    for item in (part.strip() for part in _PHONE_SEP.split(text)):
        if not item:
            continue
        if _SCIENTIFIC.match(item):
            raise _RowProblem("phones", "phone_scientific",
                              f"phone {item!r} was turned into a number by a spreadsheet; format the column as text", item)  # fmt: skip
        info = normalise(item, region=region)
        if info.e164 is None:
            raise _RowProblem("phones", "invalid_phone", f"invalid phone number {item!r}", item)
        found.setdefault(info.e164, info)
    if not found:
        raise _RowProblem("phones", "required", "at least one phone number is required")
    return list(found.values())


def _parse_tier(text: str) -> str:
    key = re.sub(r"\s+", "", text).lower()
    if not key:
        return "standard"
    if key not in _TIER:
        raise _RowProblem("tier", "bad_tier", f"unknown tier {text.strip()!r} (standard, vip, enterprise)", text)
    return _TIER[key]


def _parse_products(text: str) -> list[ProductIn]:
    return [_parse_product(item.strip()) for item in _PRODUCT_SEP.split(text) if item.strip()]


def _parse_product(item: str) -> ProductIn:
    parts = [part.strip() for part in _FIELD_SEP.split(item)]
    if len(parts) != 4 or not parts[0]:
        raise _RowProblem("products", "bad_product", f"product {item!r} is not model|serial|purchase_date|warranty_months", item)
    model = _limited("model", _one_line(parts[0]), "products")
    serial = _limited("serial", _one_line(parts[1]), "products")
    return ProductIn(model, serial, _parse_date(parts[2]), _parse_warranty(parts[3]))


def _parse_date(text: str) -> date:
    match = _DATE.match(text)
    try:
        if match:
            return date(*(int(group) for group in match.groups()))
    except ValueError:
        pass
    raise _RowProblem("products", "bad_date", f"purchase date {text!r} is not a date YYYY-MM-DD", text)


def _parse_warranty(text: str) -> int:
    if text.isascii() and text.isdigit() and int(text) <= MAX_WARRANTY_MONTHS:
        return int(text)
    raise _RowProblem("products", "bad_warranty", f"warranty {text!r} is not a whole number of months 0-{MAX_WARRANTY_MONTHS}", text)


def _one_line(text: str) -> str:
    """Control characters and line breaks become spaces; runs of spaces shrink to one."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def _multi_line(text: str) -> str:
    """Keep line breaks (as ``\\n``); other control characters become spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", part).strip() for part in _CONTROL_KEEP_NL.sub(" ", text).split("\n")).strip()


def _limited(what: str, text: str, column: str | None = None) -> str:
    limit = MAX_LENGTH[what]
    if len(text) > limit:
        raise _RowProblem(column or what, "too_long", f"{what} is longer than {limit} characters", text[:limit])
    return text
