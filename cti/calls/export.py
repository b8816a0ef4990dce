"""Call-log export to CSV (UTF-8 with BOM, opens in Excel) and XLSX, safe against formula injection.

Caller names come from the PBX and are attacker-controlled: a cell that starts
with ``=``, ``+``, ``-``, ``@``, tab or CR is prefixed with ``'`` so that a
spreadsheet shows it as text instead of running it.

>>> formula_safe('=HYPERLINK("http://x")')
'\\'=HYPERLINK("http://x")'
>>> formula_safe("+8613800138000"), formula_safe(42)
("'+8613800138000", 42)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Iterable
from typing import Any

from openpyxl import Workbook

from cti.calls.models import Call

COLUMNS = (
    "call_id",
    "direction",
    "offered_at",
    "answered_at",
    "ended_at",
    "caller_raw",
    "caller_e164",
    "caller_name",
    "dnis",
    "queue",
    "agents_rung",
    "answered_by",
    "last_agent",
    "wait_seconds",
    "talk_seconds",
    "disposition",
    "hangup_cause",
    "customer_id",
)
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def row(call: Call, tz: dt.tzinfo) -> list[Any]:
    def local(t: dt.datetime | None) -> str:
        return t.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if t else ""

    values = [
        call.call_id,
        call.direction,
        local(call.offered_at),
        local(call.answered_at),
        local(call.ended_at),
        call.caller_raw,
        call.caller_e164 or "",
        call.caller_name.replace("\r", " ").replace("\n", " "),
        call.dnis,
        call.queue,
        " ".join(f"{leg.interface}:{leg.outcome}" for leg in call.legs),
        call.answered_by,
        call.last_agent,
        call.wait_seconds if call.wait_seconds is not None else "",
        call.talk_seconds if call.talk_seconds is not None else "",
        call.disposition or "in_progress",
        call.hangup_cause if call.hangup_cause is not None else "",
        call.customer_id or "",
    ]
    return [formula_safe(v) for v in values]


async def write_csv(calls: AsyncIterator[Call], tz: dt.tzinfo, fh: io.TextIOBase) -> int:
    """Stream calls into an open text file (UTF-8 with BOM); returns the number of rows."""
    writer = csv.writer(fh, lineterminator="\r\n")
    fh.write("\ufeff")
    writer.writerow(COLUMNS)
    n = 0
    async for call in calls:
        writer.writerow(row(call, tz))
        n += 1
    return n


async def write_xlsx(calls: AsyncIterator[Call], tz: dt.tzinfo, target: Any) -> int:
    """Write calls to an XLSX file or binary stream (write-only mode: constant memory)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("calls")
    ws.append(list(COLUMNS))
    n = 0
    async for call in calls:
        ws.append(row(call, tz))
        n += 1
    wb.save(target)
    return n
