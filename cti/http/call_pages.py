"""The call log: filtered, paginated list and CSV/XLSX exports of the same filter."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select

from cti.calls import export, queries as calls
from cti.customers.models import Customer
from cti.http import keys
from cti.http.auth import STAFF, allow, may_export
from cti.http.console import agent_names
from cti.http.downloads import sheet_exports
from cti.http.i18n import phone_display
from cti.http.templating import render
from cti.phone import search_keys
from cti.tickets import queries as tickets

PAGE_SIZE = 50
FILTERS = ("from", "to", "number", "agent", "disposition", "call")


def read_filters(request: web.Request) -> tuple[dict[str, str], calls.CallFilter]:
    """The query's filters as typed (for the form) and as a CallFilter (dates are local days, inclusive)."""
    settings = request.app[keys.SETTINGS]
    raw = {k: request.query.get(k, "").strip()[:64] for k in FILTERS}
    zone = settings.zone
    since = _day(raw["from"], zone)
    until = _day(raw["to"], zone)
    if not since:
        raw["from"] = ""
    if not until:
        raw["to"] = ""
    if raw["disposition"] not in calls.DISPOSITIONS:
        raw["disposition"] = ""
    number = raw["number"]
    flt = calls.CallFilter(
        since=since,
        until=until + dt.timedelta(days=1) if until else None,
        number=number,
        e164=tuple(search_keys(number, region=settings.default_region)) if number else (),
        agent=raw["agent"],
        disposition=raw["disposition"],
        call_id=raw["call"],
    )
    return raw, flt


def _day(text: str, zone: dt.tzinfo) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time(), zone)


@allow(STAFF)
async def call_log(request: web.Request) -> web.StreamResponse:
    raw, flt = read_filters(request)
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    settings = request.app[keys.SETTINGS]
    zone = settings.zone
    async with request.app[keys.DB].session() as s:
        rows, total = await calls.page(s, flt, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        ids = {r.customer_id for r in rows if r.customer_id}
        names: dict[int, str] = {}
        if ids:  # the customers' names, for the links
            names = dict((await s.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))).all())
    linked = await request.app[keys.DB].read(tickets.tickets_of_calls, [r.call_id for r in rows])  # one query a page
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    query = {k: v for k, v in raw.items() if v}
    return await render(request, "calls.html", {
        "filters": raw,
        "rows": [_with_tickets(_row(r, zone, names, settings.default_region), linked.get(r.call_id, [])) for r in rows],
        "total": total,
        "page": page,
        "pages": pages,
        "prev_url": _url("/calls", query, page - 1) if page > 1 else "",
        "next_url": _url("/calls", query, page + 1) if page < pages else "",
        "export_query": urlencode(query),
        "can_export": may_export(request),
        "dispositions": calls.DISPOSITIONS,
        "agents": await agent_names(request),
        "nav": "calls",
    })


def _url(path: str, query: dict[str, str], page: int) -> str:
    return f"{path}?{urlencode(dict(query, page=str(page)))}"


def _known(value: str | None) -> str:
    return "" if value is None or value.strip() in ("", "<unknown>") else value


def _row(call: Any, zone: dt.tzinfo, names: dict[int, str], region: str) -> dict[str, Any]:
    return {
        "at": call.offered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        "direction": call.direction,
        "caller_name": _known(call.caller_name),  # Asterisk's "<unknown>" is no name to show an agent
        "caller": phone_display(call.caller_e164, _known(call.caller_raw), region=region),
        "customer_id": call.customer_id,
        "customer_name": names.get(call.customer_id, ""),
        "queue": call.queue,
        "agent": call.answered_by or call.last_agent,
        "wait": call.wait_seconds,
        "talk": call.talk_seconds if call.answered_at else None,  # no talk time for a call nobody took
        "disposition": call.disposition or "in_progress",
        "callback": _callback_fields(call, names.get(call.customer_id, ""), region) if call.caller_e164 else None,
    }


def _with_tickets(row: dict[str, Any], tickets: list) -> dict[str, Any]:
    """The row with the tickets its call is linked to; a callback scheduled from it links the only one."""
    if row["callback"] is not None and len(tickets) == 1:
        row["callback"]["ticket"] = tickets[0][0]
    return row | {"tickets": tickets}


def _callback_fields(call: Any, customer_name: str, region: str) -> dict[str, Any]:
    """What "schedule a callback" on this row prefills: the caller's number, the customer, the call."""
    name, number = customer_name or _known(call.caller_name), phone_display(call.caller_e164, region=region)
    return {"number": number, "customer": call.customer_id or "", "call": call.call_id, "name": name,
            "label": " · ".join(x for x in (name, number) if x)}


async def _export_rows(request: web.Request) -> AsyncIterator[list[Any]]:
    """The calls the log's filters find, oldest first, as the export's cells."""
    _, flt = read_filters(request)
    zone = request.app[keys.SETTINGS].zone
    async with request.app[keys.DB].session() as s:
        async for call in calls.stream(s, flt):
            yield export.row(call, zone)


export_csv, export_xlsx = sheet_exports("calls", export.COLUMNS, _export_rows)
