"""Reading a CSV file from outside (a spreadsheet, a replaced system): encoding, header, records, errors.

What every import shares (the customers' and the tickets'; their own columns and checks are in
:mod:`cti.customers.csv_format` and :mod:`cti.tickets.import_format`):

* Encoding: UTF-8 with or without a byte-order mark, or GB18030 (which covers GBK/GB2312, what
  Excel writes on Chinese Windows); the file is tried as UTF-8 strictly first, then as GB18030.
* The first non-blank line is the header. Names are matched without case, spaces, ``*`` and ``_``
  (``Purchase Date``, ``purchase_date`` and ``*购买日期`` are one name) against each column's
  aliases. An unknown column is reported (line 1) and ignored; a column given twice or a required
  one missing ends the reading.
* Each record keeps the physical line where it starts (the header is line 1); blank lines are
  skipped; more cells than the header is an error of that row (``extra_fields``).
* A bad row is one :class:`RowError` (its first problem) and the reading goes on; a format's check
  raises :class:`RowProblem`, which becomes that error. Broken quoting ends the reading
  (``csv_syntax``), as does an undecodable file (``bad_encoding``) or an empty one (``empty_file``).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from cti.phone import PhoneInfo, normalise

Source = str | os.PathLike[str] | bytes | BinaryIO
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_CONTROL_KEEP_NL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"[ \u3000]{2,}")
_PHONE_SEP = re.compile(r"[;；,，、\r\n]+")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem; ``code`` is for translation, ``value`` the offending text."""

    line: int
    column: str
    message: str
    code: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Record:
    """A data row: the physical line where it starts and its cells by column (absent columns: ``""``)."""

    line: int
    cells: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


class EncodingError(ValueError):
    """The bytes are neither UTF-8 nor GB18030; ``line`` is where decoding failed."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: the file is neither UTF-8 nor GB18030")
        self.line = line


class RowProblem(Exception):
    """Raised by a format's check of one row; the reader turns it into that row's :class:`RowError`."""

    def __init__(self, column: str, code: str, message: str, value: str = "") -> None:
        super().__init__(message)
        self.column, self.code, self.message, self.value = column, code, message, value

    def at(self, line: int) -> RowError:
        return RowError(line, self.column, self.message, self.code, self.value)


def header_key(name: str) -> str:
    """A header cell or alias as it is compared.

    >>> header_key(" *Purchase_Date "), header_key("\\ufeff客户 电话")
    ('purchasedate', '客户电话')
    """
    return re.sub(r"[\s*＊_]+", "", name.replace("\ufeff", "")).lower()


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


def count_records(path: str | os.PathLike[str]) -> int:
    """Lines after the header: the total a progress bar counts towards (quoted new lines make it an upper bound)."""
    with open(path, "rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    return max(lines - 1, 0)


def read_records(source: Source, aliases: Mapping[str, Sequence[str]],
                 required: Sequence[str] = ()) -> Iterator[Record | RowError]:
    """Yield a :class:`Record` per data row and a :class:`RowError` per problem of the file or a row.

    ``source`` is a path, the file's bytes, or a seekable binary file; ``aliases`` maps each column
    to the header names it is known by.

    >>> found = list(read_records("电话,x\\n138,\\n".encode(), {"phone": ("phone", "电话")}, ("phone",)))
    >>> found[0].code, found[1]
    ('unknown_column', Record(line=2, cells={'phone': '138'}))
    """
    names = {header_key(alias): column for column, known in aliases.items() for alias in (column, *known)}
    with _open_binary(source) as binary:
        try:
            encoding = _detect_stream(binary)
        except EncodingError as exc:
            yield RowError(exc.line, "", str(exc), "bad_encoding")
            return
        binary.seek(0)
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        try:
            yield from _records(csv.reader(text), names, required)
        finally:
            text.detach()


# --- checks a format uses on one cell ----------------------------------------------------------------


def one_line(text: str) -> str:
    """Control characters and line breaks become spaces; runs of spaces shrink to one."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def multi_line(text: str) -> str:
    """Keep line breaks (as ``\\n``); other control characters become spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", part).strip() for part in _CONTROL_KEEP_NL.sub(" ", text).split("\n")).strip()


def limited(text: str, limit: int, column: str, what: str | None = None) -> str:
    """``text`` when at most ``limit`` characters; a ``too_long`` problem of ``column`` otherwise."""
    if len(text) > limit:
        raise RowProblem(column, "too_long", f"{what or column} is longer than {limit} characters", text[:limit])
    return text


def parse_date(text: str, column: str, what: str) -> date:
    """``YYYY-MM-DD`` (also ``/`` or ``.``); a ``bad_date`` problem otherwise."""
    match = _DATE.match(text.strip())
    try:
        if match:
            return date(*(int(group) for group in match.groups()))
    except ValueError:
        pass
    raise RowProblem(column, "bad_date", f"{what} {text!r} is not a date YYYY-MM-DD", text)


def whole_number(text: str, column: str, code: str, what: str, high: int) -> int:
    """A whole number from 0 to ``high`` (ASCII digits); a ``code`` problem otherwise."""
    text = text.strip()
    if text.isascii() and text.isdigit() and int(text) <= high:
        return int(text)
    raise RowProblem(column, code, f"{what} {text!r} is not a whole number 0-{high}", text)


def parse_phones(text: str, region: str, column: str) -> list[PhoneInfo]:
    """One or more numbers separated by ``;`` ``,`` ``、`` (full-width too), each once; at least one."""
    found: dict[str, PhoneInfo] = {}
    for item in (part.strip() for part in _PHONE_SEP.split(text)):
        if not item:
            continue
        if _SCIENTIFIC.match(item):
            raise RowProblem(column, "phone_scientific",
                             f"phone {item!r} was turned into a number by a spreadsheet; format the column as text", item)  # fmt: skip
        info = normalise(item, region=region)
        if info.e164 is None:
            raise RowProblem(column, "invalid_phone", f"invalid phone number {item!r}", item)
        found.setdefault(info.e164, info)
    if not found:
        raise RowProblem(column, "required", "at least one phone number is required")
    return list(found.values())


# --- reading ------------------------------------------------------------------------------------------


@contextmanager
def _open_binary(source: Source) -> Iterator[BinaryIO]:
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


def _records(reader: Iterator[list[str]], names: Mapping[str, str],
             required: Sequence[str]) -> Iterator[Record | RowError]:
    columns: dict[str, int] | None = None
    width = 0
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1  # type: ignore[attr-defined]
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns, problems = _read_header(cells, line, names, required)
                yield from problems
                if any(p.code != "unknown_column" for p in problems):
                    return
                width = len(cells)
                continue
            if any(c.strip() for c in cells[width:]):
                yield RowError(line, "", f"{len(cells)} fields, the header has {width}", "extra_fields")
                continue
            yield Record(line, {column: cells[i] if i < len(cells) else "" for column, i in columns.items()})
    except csv.Error as exc:
        yield RowError(start, "", f"broken CSV: {exc}", "csv_syntax")
        return
    if columns is None:
        yield RowError(1, "", "the file is empty: a header row is required", "empty_file")


def _read_header(cells: list[str], line: int, names: Mapping[str, str],
                 required: Sequence[str]) -> tuple[dict[str, int], list[RowError]]:
    columns: dict[str, int] = {}
    problems: list[RowError] = []
    for index, cell in enumerate(cells):
        key = header_key(cell)
        if not key:
            continue
        column = names.get(key)
        if column is None:
            problems.append(RowError(line, cell.strip(), f"unknown column {cell.strip()!r} ignored", "unknown_column", cell))
        elif column in columns:
            problems.append(RowError(line, column, f"column {column!r} appears twice", "duplicate_column", cell))
        else:
            columns[column] = index
    for column in required:
        if column not in columns:
            problems.append(RowError(line, column, f"required column {column!r} is missing", "missing_column"))
    return columns, problems
