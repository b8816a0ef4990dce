"""The call log as a table for a spreadsheet: its columns and a call's cells. :mod:`cti.sheets` writes
them as CSV (UTF-8 with BOM, opens in Excel) or XLSX, formula-safe: caller names come from the PBX and
are attacker-controlled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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
    return values  # the writers make every cell formula-safe
