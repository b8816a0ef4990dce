"""The ticket import's CSV format (``cti tickets import``): columns, the trade's words, one row's checks.
No database: what needs one (is the customer known, is the row imported already) is the importer's.

Reading (encodings UTF-8, UTF-8 with BOM, GB18030; the header; lines; errors) is
:mod:`cti.csv_input`'s, as for customers. Columns (header names in English or Chinese, any order;
README.md, "Ticket import format", lists them all):

* ``external_ref`` (工单号) — required: the replaced system's number; a row whose number is
  already imported is skipped, so the same file can be imported again.
* ``phone`` (客户电话) — required: one or more numbers; the customer is found by them.
* ``customer`` (客户姓名) — the name, needed when no customer has the number.
* ``type`` (服务类型) — required: 报修, 安装, 送货, 调换货, 投诉, 咨询, 赞誉 or the codes.
* ``mode`` (服务方式) — 送修 or 上门 (``carry_in``, ``on_site``): needed for a repair.
* ``state`` (状态) — a state of the ticket's workflow, in the trade's words or as a code; empty:
  the workflow's first state.
* ``priority`` (优先级) — 低, 普通, 高, 加急 or the codes; empty: normal.
* ``model`` (产品型号), ``serial`` (序列号), ``purchase_date`` (购买日期), ``warranty_months``
  (保修月数, default 12) — the product, found among the customer's by serial, else by model;
  added when missing (then it needs the model and the purchase date).
* ``description`` (描述), ``opened_at`` (受理时间, local ``YYYY-MM-DD HH:MM[:SS]`` or a day; empty:
  the time of the import; not in the future), ``city`` (城市), ``district`` (区县), ``address`` (地址)
  — the last three for a new customer.

Row codes: ``required``, ``too_long``, ``invalid_phone``, ``phone_scientific``, ``bad_type``,
``bad_mode``, ``bad_state``, ``bad_priority``, ``bad_date``, ``bad_time``, ``future_time``,
``bad_warranty``, ``extra_fields``; the file's: see :mod:`cti.csv_input`.

>>> zone = dt.timezone(dt.timedelta(hours=8))
>>> now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
>>> data = "工单号,客户电话,服务类型,服务方式,状态\\nA-1,13800138000,报修,送修,修理中\\n".encode()
>>> (row,) = read_rows(data, zone=zone, now=now)
>>> row.external_ref, row.service_type, row.service_mode, row.state, row.phones[0].e164
('A-1', 'repair', 'carry_in', 'in_repair', '+8613800138000')
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from cti.csv_input import (
    Record, RowError, RowProblem, header_key, limited, multi_line, one_line, parse_date, parse_phones, read_records,
    whole_number,
)  # fmt: skip
from cti.phone import PhoneInfo
from cti.tickets import workflow
from cti.tickets.service import MAX_DESCRIPTION

ALIASES: Mapping[str, tuple[str, ...]] = {
    "external_ref": ("工单号", "原工单号", "工单编号", "单号", "ref", "ticket_no"),
    "phone": ("phones", "mobile", "tel", "客户电话", "电话", "手机", "手机号", "联系电话", "电话号码"),
    "customer": ("name", "customer_name", "客户姓名", "客户", "姓名", "客户名称"),
    "type": ("service_type", "服务类型", "类型", "工单类型"),
    "mode": ("service_mode", "服务方式"),
    "state": ("status", "状态", "工单状态"),
    "priority": ("优先级", "紧急程度"),
    "model": ("product_model", "产品型号", "型号"),
    "serial": ("serial_number", "sn", "序列号", "机身编码", "条码"),
    "purchase_date": ("购买日期",),
    "warranty_months": ("保修月数", "保修期"),
    "description": ("描述", "故障描述", "问题描述", "内容"),
    "opened_at": ("opened", "受理时间", "创建时间", "报修时间"),
    "city": ("城市",),
    "district": ("区县", "区"),
    "address": ("地址", "客户地址"),
}
REQUIRED = ("external_ref", "phone", "type")
TYPES = {"repair": ("报修", "维修"), "installation": ("安装",), "delivery": ("送货", "调换货", "送货/调换货", "换货"),
         "complaint": ("投诉",), "enquiry": ("咨询",), "praise": ("赞誉", "表扬")}
MODES = {"carry_in": ("送修",), "on_site": ("上门",)}
PRIORITIES = {"low": ("低",), "normal": ("普通", "一般", "正常"), "high": ("高", "紧急"), "urgent": ("加急", "特急")}
STATES = {  # the first word is the console's (web/i18n/zh.json)
    "awaiting_repair": ("待修",), "in_repair": ("修理中", "维修中"), "awaiting_parts": ("待件", "等待配件"),
    "hard_repair": ("难修",), "ready_for_pickup": ("待取", "修复待取"), "picked_up": ("已取",),
    "repair_stopped": ("终止维修",), "to_dispatch": ("待派工",), "dispatched": ("已派工",), "on_site": ("已上门",),
    "completed": ("已完工",), "closed": ("已关闭", "关闭"), "cancelled": ("已取消", "取消"),
    "pending": ("待处理",), "processing": ("处理中",), "resolved": ("已解决",), "reopened": ("重开",),
    "open": ("待处理",),  # an enquiry's: the same word as a complaint's pending, told apart by the workflow
}
DEFAULT_WARRANTY_MONTHS = 12
MAX_WARRANTY_MONTHS = 120
MAX_LENGTH = {"external_ref": 60, "customer": 200, "model": 100, "serial": 100, "city": 100, "district": 100,
              "address": 300, "description": MAX_DESCRIPTION}
_TIME = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One good row: a ticket to open (``opened_at`` aware, or None for the time of the import)."""

    line: int
    external_ref: str
    phones: list[PhoneInfo]
    customer: str
    service_type: str
    service_mode: str | None
    workflow: str
    state: str
    priority: str
    model: str
    serial: str
    purchase_date: dt.date | None
    warranty_months: int
    description: str
    opened_at: dt.datetime | None
    city: str
    district: str
    address: str


def read_rows(source: str | os.PathLike[str] | bytes | BinaryIO, *, zone: dt.tzinfo, now: dt.datetime,
              region: str = "CN") -> Iterator[TicketRow | RowError]:
    """One :class:`TicketRow` per good record, one :class:`RowError` per problem, in the file's order."""
    for item in read_records(source, ALIASES, REQUIRED):
        yield item if isinstance(item, RowError) else parse_row(item, zone=zone, now=now, region=region)


def parse_row(record: Record, *, zone: dt.tzinfo, now: dt.datetime, region: str = "CN") -> TicketRow | RowError:
    """Check one record: its first problem as a :class:`RowError`, or the ticket it describes."""
    try:
        return _parse(record, zone, now, region)
    except RowProblem as problem:
        return problem.at(record.line)


def _parse(r: Record, zone: dt.tzinfo, now: dt.datetime, region: str) -> TicketRow:
    ref = _text(r, "external_ref")
    if not ref:
        raise RowProblem("external_ref", "required", "external_ref (the replaced system's number) is required")
    phones = parse_phones(r["phone"], region, "phone")
    service_type = _word(r, "type", TYPES, "bad_type") or _missing("type")
    mode = _word(r, "mode", MODES, "bad_mode") or None
    try:
        flow = workflow.workflow_for(service_type, mode)
    except ValueError as exc:
        raise RowProblem("mode", "bad_mode", str(exc), r["mode"]) from None
    purchase = r["purchase_date"].strip()
    months = r["warranty_months"].strip()
    return TicketRow(
        line=r.line, external_ref=ref, phones=phones, customer=_text(r, "customer"), service_type=service_type,
        service_mode=mode, workflow=flow.name, state=state_of(flow, r["state"]),
        priority=_word(r, "priority", PRIORITIES, "bad_priority") or "normal",
        model=_text(r, "model"), serial=_text(r, "serial"),
        purchase_date=parse_date(purchase, "purchase_date", "purchase date") if purchase else None,
        warranty_months=whole_number(months, "warranty_months", "bad_warranty", "warranty in months",
                                     MAX_WARRANTY_MONTHS) if months else DEFAULT_WARRANTY_MONTHS,
        description=limited(multi_line(r["description"]), MAX_LENGTH["description"], "description"),
        opened_at=opened_at(r["opened_at"], zone, now), city=_text(r, "city"), district=_text(r, "district"),
        address=_text(r, "address"),
    )


def _text(r: Record, column: str) -> str:
    return limited(one_line(r[column]), MAX_LENGTH[column], column)


def _missing(column: str) -> str:
    raise RowProblem(column, "required", f"{column} is required")


def _keys(words: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Each code with the forms its cell may take, compared as header names are (no case, spaces, ``_``)."""
    return {code: frozenset(header_key(w) for w in (code, *known)) for code, known in words.items()}


_KEYS = {"type": _keys(TYPES), "mode": _keys(MODES), "priority": _keys(PRIORITIES)}
_STATE_KEYS = _keys(STATES)


def _word(r: Record, column: str, words: Mapping[str, tuple[str, ...]], code: str) -> str:
    """A code from its code or one of its words; empty for an empty cell."""
    key = header_key(r[column])
    if not key:
        return ""
    found = next((value for value, forms in _KEYS[column].items() if key in forms), None)
    if found is None:
        choices = ", ".join(f"{known[0]}/{value}" for value, known in words.items())
        raise RowProblem(column, code, f"unknown {column} {r[column].strip()!r} (use {choices})", r[column])
    return found


def state_of(flow: workflow.Workflow, text: str) -> str:
    """A state of ``flow`` from its code or its words; the first state for an empty cell.

    >>> state_of(workflow.WORKFLOWS["complaint"], "待处理"), state_of(workflow.WORKFLOWS["note_only"], "待处理")
    ('pending', 'open')
    """
    key = header_key(text)
    if not key:
        return flow.initial
    found = next((state for state in flow.states if key in _STATE_KEYS[state]), None)
    if found is None:
        choices = ", ".join(f"{STATES[s][0]}/{s}" for s in flow.states)
        raise RowProblem("state", "bad_state",
                         f"state {text.strip()!r} is not one of the {flow.name} workflow's ({choices})", text)
    return found


def opened_at(text: str, zone: dt.tzinfo, now: dt.datetime) -> dt.datetime | None:
    """A local time (or a day: its midnight) in ``zone`` as aware UTC; None when empty; not after ``now``.

    >>> opened_at("2026/2/27 9:05", dt.timezone(dt.timedelta(hours=8)), dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    datetime.datetime(2026, 2, 27, 1, 5, tzinfo=datetime.timezone.utc)
    """
    text = text.strip()
    if not text:
        return None
    match = _TIME.match(text)
    try:
        if not match:
            raise ValueError(text)
        parts = [int(g) if g else 0 for g in match.groups()]
        at = dt.datetime(*parts, tzinfo=zone).astimezone(dt.UTC)  # type: ignore[misc]
    except ValueError:
        raise RowProblem("opened_at", "bad_time", f"opened_at {text!r} is not a time YYYY-MM-DD HH:MM", text) from None
    if at > now:
        raise RowProblem("opened_at", "future_time", f"opened_at {text!r} is in the future", text)
    return at
