"""Ticket pages: the list (filters, full-text search, sortable columns, pages) and one ticket whole.

The tickets domain decides (``cti.tickets``); these handlers read its queries and show them in the
user's language and in local time (``CTI_TIMEZONE``). The actions on a ticket are in
:mod:`cti.http.ticket_actions`, which shows this page again when the domain refuses one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import select

from cti.campaigns import surveys
from cti.customers import service as customers
from cti.customers.models import Customer
from cti.http import i18n, keys
from cti.http.auth import STAFF, allow, may_export
from cti.http.templating import LANG_KEY, USER_KEY, render
from cti.tickets import queries, service, workflow
from cti.tickets.clocks import describe
from cti.users import service as users

LIST_SORTS = ("number", "opened", "updated", "priority", "due")
SLA_STATUSES = ("ok", "at_risk", "breached")
WARRANTIES = ("in", "out", "none")
STATES = tuple(dict.fromkeys(s for wf in workflow.WORKFLOWS.values() for s in wf.states))
TEXT_LIMIT = 100
FLASH = "ticket_done"  # what the last action on a ticket did, said once on its page


def local(value: dt.datetime | str | None, zone: dt.tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (aware, or ISO text from a query's line) on the console's clock."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return i18n.local_time(value, zone, fmt)


def span(lang: str, seconds: float, *, days: bool = True) -> str:
    """A length of time as people say it: days and hours, hours and minutes, or minutes. Business time
    (``days=False``) is said in hours: a working day is not 24 of them.

    >>> span("zh", 26 * 3600 + 600), span("en", -(26 * 3600 + 600), days=False), span("en", 59)
    ('1 天 2 小时', '26 h 10 min', '0 min')
    """
    minutes = max(0, int(abs(seconds)) // 60)
    d, rest = divmod(minutes, 24 * 60) if days else (0, minutes)
    h, m = divmod(rest, 60)
    if d:
        return i18n.translate(lang, "ticket.span.dh", d=d, h=h)
    if h:
        return i18n.translate(lang, "ticket.span.hm", h=h, m=m)
    return i18n.translate(lang, "ticket.span.m", m=m)


# --- the list ------------------------------------------------------------------------------------


def _day(text: str, zone: dt.tzinfo) -> dt.datetime | None:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), zone)
    except ValueError:
        return None


def read_filters(request: web.Request) -> tuple[dict[str, str], queries.Filters]:
    """The query's filters as typed (for the form) and as the domain's ``Filters``; unknown values are dropped."""
    zone = request.app[keys.SETTINGS].zone
    q = request.query
    raw = {k: q.get(k, "").strip()[:TEXT_LIMIT] for k in
           ("state", "type", "priority", "sla", "warranty", "model", "city", "from", "to", "q", "sort", "dir")}
    choices = {"state": STATES, "type": workflow.SERVICE_TYPES, "priority": workflow.PRIORITIES,
               "sla": SLA_STATUSES, "warranty": WARRANTIES, "sort": LIST_SORTS, "dir": ("asc", "desc")}
    for name, allowed in choices.items():
        if raw[name] not in allowed:
            raw[name] = ""
    since, until = _day(raw["from"], zone), _day(raw["to"], zone)
    raw["from"], raw["to"] = (raw["from"] if since else ""), (raw["to"] if until else "")
    raw["open"] = "1" if q.get("open") == "1" else ""
    raw["mine"] = "1" if q.get("mine") == "1" else ""
    try:
        page = max(1, min(int(q.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    sort = raw["sort"] or "opened"
    flt = queries.Filters(
        state=raw["state"], service_type=raw["type"], priority=raw["priority"], sla=raw["sla"],
        warranty=raw["warranty"], model=raw["model"], city=raw["city"], open_only=bool(raw["open"]),
        assignee_id=request[USER_KEY].id if raw["mine"] else None, since=since,
        until=until + dt.timedelta(days=1) if until else None, text=raw["q"], sort=sort,
        descending=(raw["dir"] or ("asc" if sort in ("due", "number") else "desc")) == "desc", page=page,
    )
    return raw, flt


def _url(query: dict[str, str], **changes: Any) -> str:
    merged = {k: v for k, v in (query | {k: str(v) for k, v in changes.items()}).items() if v}
    return "/tickets" + (f"?{urlencode(merged)}" if merged else "")


def _export_query(query: dict[str, str]) -> str:
    """The list's filters for the export buttons (the export takes every page, oldest first)."""
    return urlencode({k: v for k, v in query.items() if k not in ("page", "sort", "dir")})


def _sort_links(raw: dict[str, str], flt: queries.Filters) -> dict[str, dict[str, str]]:
    """Each sortable column: the link that sorts by it (or turns the order round) and its aria-sort."""
    query = {k: v for k, v in raw.items() if v and k != "page"}
    out = {}
    for column in LIST_SORTS:
        current = flt.sort == column
        natural = "asc" if column in ("due", "number") else "desc"  # soonest due, lowest number first
        direction = ("asc" if flt.descending else "desc") if current else natural
        out[column] = {"url": _url(query, sort=column, dir=direction),
                       "aria": ("descending" if flt.descending else "ascending") if current else "none"}
    return out


def _line(row: dict[str, Any], names: dict[int, str], zone: dt.tzinfo, lang: str, now: dt.datetime) -> dict[str, Any]:
    """A ticket as a row of a list: the query's line with local times, the customer and the time left."""
    out = dict(row, opened=local(row["opened_at"], zone), customer_name=names.get(row.get("customer_id"), ""))
    out["due_local"] = local(row["due"], zone, "%m-%d %H:%M") if row["due"] else ""
    out["left"] = ""
    if row["due"] and row["open"]:
        left = (dt.datetime.fromisoformat(row["due"]) - now).total_seconds()
        key = "ticket.due_in" if left >= 0 else "ticket.overdue_by"
        out["left"] = i18n.translate(lang, key, span=span(lang, left))
    return out


def lines(rows: list[dict[str, Any]], names: dict[int, str], request: web.Request) -> list[dict[str, Any]]:
    zone, lang = request.app[keys.SETTINGS].zone, request[LANG_KEY]
    now = request.app[keys.SERVICE].tickets.clock()
    return [_line(r, names, zone, lang, now) for r in rows]


def _customer_names(session: Any, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all()) if ids else {}


def _list_page(session: Any, flt: queries.Filters) -> tuple[list[dict[str, Any]], int, dict[int, str]]:
    """One read: the page of tickets, the total, and the names of their customers."""
    rows, total = queries.list_tickets(session, flt)
    return rows, total, _customer_names(session, {r["customer_id"] for r in rows})


@allow(STAFF)
async def ticket_list(request: web.Request) -> web.StreamResponse:
    raw, flt = read_filters(request)
    rows, total, names = await request.app[keys.DB].read(_list_page, flt)
    cap = queries.count_cap(flt)
    capped = total > cap
    pages = max(1, -(-min(total, cap) // queries.PAGE_SIZE))
    query = {k: v for k, v in raw.items() if v}
    return await render(request, "tickets.html", {
        "filters": raw, "rows": lines(rows, names, request), "total": total, "capped": capped,
        "count_cap": cap, "page": flt.page, "pages": pages,
        "prev_url": _url(query, page=flt.page - 1) if flt.page > 1 else "",
        "next_url": _url(query, page=flt.page + 1) if flt.page < pages else "",
        "can_export": may_export(request), "export_query": _export_query(query),
        "sorts": _sort_links(raw, flt), "states": STATES, "types": workflow.SERVICE_TYPES,
        "priorities": workflow.PRIORITIES, "slas": SLA_STATUSES, "warranties": WARRANTIES, "nav": "tickets",
    })


# --- one ticket ----------------------------------------------------------------------------------


def _history_line(lang: str, ev: Any, people: dict[str, str], by_id: dict[int, str]) -> str:
    """What one history row says, in the user's words (an action this page does not know: its code)."""
    data = ev.data or {}

    def tr(key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    def state(code: str) -> str:
        return tr(f"ticket.state.{code}")

    if ev.action == "state":
        return tr("ticket.history.state", action=tr(f"ticket.action.{data.get('action', '')}"),
                  source=state(ev.from_state), target=state(ev.to_state))
    if ev.action in ("opened", "reopened"):
        return tr(f"ticket.history.{ev.action}", target=state(ev.to_state))
    if ev.action in ("call", "call_unlinked"):
        return tr(f"ticket.history.{ev.action}", call=data.get("call_id", ""))
    if ev.action in ("notified", "notify_attempt"):
        return tr(f"ticket.history.{ev.action}", kind=tr(f"ticket.notify.{data.get('kind', '')}"),
                  n=data.get("attempts", 0))
    if ev.action == "assigned":
        who = data.get("assignee_id")
        return tr("ticket.history.assigned", name=by_id.get(who, f"#{who}")) if who else tr("ticket.history.unassigned")
    if ev.action == "claim_unit":
        return tr("ticket.history.claim_unit_on" if data.get("claim_unit") else "ticket.history.claim_unit_off")
    key = f"ticket.history.{ev.action}"
    text = tr(key)
    return ev.action if text == key else text


def _clock(row: Any, promises: Any, now: dt.datetime, zone: dt.tzinfo, lang: str) -> dict[str, Any]:
    shown = describe(row, promises, now)
    left = ""
    if not shown["stopped"]:
        key = "ticket.clock.left" if shown["left"] >= 0 else "ticket.clock.over"
        left = i18n.translate(lang, key, span=span(lang, shown["left"], days=False))
    return shown | {"left_text": left, "due_local": local(shown["due"], zone) if shown["due"] else "",
                    "stopped_local": local(shown["stopped"], zone) if shown["stopped"] else ""}


async def ticket_context(request: web.Request, ticket_id: int) -> dict[str, Any]:
    """Everything the ticket page shows (404 when there is no such ticket)."""
    found = await request.app[keys.DB].read(queries.detail, ticket_id)
    if found is None:
        raise web.HTTPNotFound()
    ticket, user, lang = found["ticket"], request[USER_KEY], request[LANG_KEY]
    zone, desk = request.app[keys.SETTINGS].zone, request.app[keys.SERVICE].tickets
    promises, now = await desk.promises(), desk.clock()
    ratings = await request.app[keys.DB].read(surveys.ratings_of_ticket, ticket_id)
    async with request.app[keys.DB].session() as s:
        customer = await customers.get(s, ticket.customer_id)
        everyone = await users.all_users(s)
    people = {u.username: u.display_name or u.username for u in everyone}
    by_id = {u.id: u.display_name or u.username for u in everyone}
    flow = workflow.WORKFLOWS[ticket.workflow]
    steps = workflow.allowed(flow, ticket.state, user.role)
    resolved = ticket.resolved_at is not None
    card = customers.card(customer, today=now.astimezone(zone).date()) if customer else None
    return {
        "tk": ticket, "nav": "tickets",
        "customer": card,
        "opened": local(ticket.opened_at, zone), "opened_by": people.get(ticket.opened_by, ticket.opened_by),
        "assignee": by_id.get(ticket.assignee_id, "") if ticket.assignee_id else "",
        "steps": steps,
        "reopen": resolved and not any(s.action == "reopen" for s in steps)
        and (service.may_reopen(ticket, now) or user.role in service.SUPERVISORS),
        "reopen_days": service.REOPEN_WINDOW.days,
        "clocks": [_clock(row, promises, now, zone, lang) for row in found["clocks"]],
        "contact": ticket.is_open and any(c.kind == "first_contact" and c.stopped_at is None for c in found["clocks"]),
        "history": [{"at": local(ev.at, zone), "who": people.get(ev.actor, ev.actor),
                     "text": _history_line(lang, ev, people, by_id), "note": ev.note}
                    for ev in reversed(found["history"])],
        "calls": [{"id": c.call_id, "at": local(c.at, zone), "direction": c.direction,
                   "by": people.get(c.linked_by, c.linked_by)} for c in found["calls"]],
        "notifications": [{"id": n.id, "kind": n.kind, "state": n.state, "attempts": n.attempts,
                           "created": local(n.created_at, zone), "last": local(n.last_attempt_at, zone),
                           "done": local(n.done_at, zone), "done_by": people.get(n.done_by, n.done_by), "note": n.note}
                          for n in found["notifications"]],
        "agents": [u for u in everyone if u.role == "agent" and u.active],
        "ratings": [r | {"at": local(r["at"], zone), "by": people.get(r["by"], r["by"])} for r in ratings],
        "callback": _callback_fields(ticket, card),
        "is_supervisor": user.role in service.SUPERVISORS,
        "error": None, "error_for": "", "values": {},
    }


def _callback_fields(ticket: Any, card: dict[str, Any] | None) -> dict[str, Any]:
    """What the ticket's "schedule a callback" prefills: the customer's first number, the customer, the ticket."""
    phones = card["phones"] if card is not None else []
    name = card["name"] if card is not None else ""
    return {"number": phones[0]["display"] if phones else "", "customer": ticket.customer_id, "ticket": ticket.id,
            "name": name, "label": " · ".join(x for x in (name, ticket.number) if x)}


def ticket_id_of(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None


async def show(request: web.Request, ticket_id: int, *, status: int = 200, **extra: Any) -> web.Response:
    """The ticket page; the actions pass ``error``, ``error_for`` (which form) and ``values`` (kept input)."""
    context = await ticket_context(request, ticket_id)
    context.update(extra)
    return await render(request, "ticket.html", context, status=status)


@allow(STAFF)
async def ticket_page(request: web.Request) -> web.StreamResponse:
    ticket_id = ticket_id_of(request)
    done = (await get_session(request)).pop(FLASH, None) or {}
    said = done.get("text", "") if done.get("ticket") == ticket_id else ""
    return await show(request, ticket_id, done=said)
