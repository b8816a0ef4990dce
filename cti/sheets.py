"""Tables for spreadsheets: CSV (UTF-8 with BOM, opens in Excel) and XLSX, streamed and safe against
formula injection. The call log's and the tickets' exports write through here.

Names and descriptions come from outside (the PBX, callers, a replaced system): a cell that starts
with ``=``, ``+``, ``-``, ``@``, tab or CR is prefixed with ``'`` so that a spreadsheet shows it as
text instead of running it.

>>> formula_safe('=HYPERLINK("http://x")')
'\\'=HYPERLINK("http://x")'
>>> formula_safe("+8613800138000"), formula_safe(42)
("'+8613800138000", 42)
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from typing import Any, BinaryIO

from openpyxl import Workbook

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def formula_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def safe_row(values: Sequence[Any]) -> list[Any]:
    return [formula_safe(v) for v in values]


async def write_csv(header: Sequence[str], rows: AsyncIterable[Sequence[Any]], fh: io.TextIOBase) -> int:
    """Stream rows into an open text file (UTF-8 with BOM, CRLF, every cell formula-safe); the number of rows."""
    writer = csv.writer(fh, lineterminator="\r\n")
    fh.write("\ufeff")
    writer.writerow(header)
    n = 0
    async for values in rows:
        writer.writerow(safe_row(values))
        n += 1
    return n


async def write_xlsx(header: Sequence[str], rows: AsyncIterable[Sequence[Any]], target: Any, *, title: str) -> int:
    """Write rows to an XLSX file or binary stream (write-only mode: constant memory); the number of rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(list(header))
    n = 0
    async for values in rows:
        ws.append(safe_row(values))
        n += 1
    wb.save(target)
    return n


async def write(kind: str, header: Sequence[str], rows: AsyncIterable[Sequence[Any]], binary: BinaryIO, *,
                title: str) -> int:
    """``kind`` ``"csv"`` or ``"xlsx"`` into a binary file; the number of rows."""
    if kind == "xlsx":
        return await write_xlsx(header, rows, binary, title=title)
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=True)
    try:
        return await write_csv(header, rows, text)
    finally:
        text.detach()  # the caller's file stays open


async def counted(rows: AsyncIterable[Any], progress: Callable[[int], None], *, every: int = 500) -> AsyncIterator[Any]:
    """The same rows, calling ``progress(n)`` every ``every`` rows and at the end (a progress bar)."""
    n = 0
    async for item in rows:
        yield item
        n += 1
        if n % every == 0:
            progress(n)
    progress(n)
