"""The dispatch board (/dispatch) for the hotline: on-site jobs to give out, each with the engineer or
outlet its region suggests and an appointment window; jobs given out (改派: to someone else or
another window); and, for supervisors, completion reports to review (审核: approve, or send back
with a note).

A refused dispatch comes back on the job's own form page (/dispatch/{id}) with every field's
message; nothing is saved. Times are typed on the local clock (``CTI_TIMEZONE``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from cti.dispatch import queries, rules, service
from cti.dispatch.rules import DispatchError
from cti.http import keys
from cti.http.auth import STAFF, SUPERVISORS, allow
from cti.http.dispatch_support import actor, desk, flash, flash_error, message, path_id, take_flash, text
from cti.http.templating import USER_KEY, render
from cti.store.base import utcnow

MAX_NOTE = 300
DEFAULT_WINDOW = ("09:00", "12:00")


def _zone(request: web.Request) -> dt.tzinfo:
    return request.app[keys.SETTINGS].zone


def _reviews_shown(request: web.Request) -> bool:
    return request[USER_KEY].role in SUPERVISORS


def _assignee(engineer_id: int | None, outlet_id: int | None) -> str:
    """The select's value: ``e:<id>`` an engineer (their outlet goes with them), ``o:<id>`` an outlet."""
    return f"e:{engineer_id}" if engineer_id else (f"o:{outlet_id}" if outlet_id else "")


def _proposal(item: dict[str, Any], tomorrow: dt.date) -> dict[str, str]:
    """What the form starts with: who has the job or whom the region suggests, tomorrow morning
    or the window it has."""
    if item["start"] is not None and item["state"] == "dispatched":
        return {"assignee": _assignee(item["engineer_id"], item["outlet_id"]), "day": item["start"].date().isoformat(),
                "start": item["start"].strftime("%H:%M"), "end": item["end"].strftime("%H:%M"), "note": ""}
    hint = item.get("suggestion") or {}
    return {"assignee": _assignee(hint.get("engineer_id"), hint.get("outlet_id")), "day": tomorrow.isoformat(),
            "start": DEFAULT_WINDOW[0], "end": DEFAULT_WINDOW[1], "note": ""}


def _tomorrow(request: web.Request) -> dt.date:
    return utcnow().astimezone(_zone(request)).date() + dt.timedelta(days=1)


async def _board(request: web.Request, *, review_errors: dict[int, str] | None = None,
                 review_values: dict[int, dict[str, str]] | None = None, status: int = 200) -> web.Response:
    zone, reviews_shown = _zone(request), _reviews_shown(request)

    def read(session: Any) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        found = queries.board(session, zone=zone)
        return found, queries.choices(session), queries.reviews(session, zone=zone) if reviews_shown else []

    board, choices, reviews = await request.app[keys.DB].read(read)
    tomorrow = _tomorrow(request)
    for item in board["to_dispatch"]:
        item["proposal"] = _proposal(item, tomorrow)
    return await render(request, "dispatch.html", {
        "board": board, "choices": choices, "reviews": reviews, "reviews_shown": reviews_shown,
        "review_errors": review_errors or {}, "review_values": review_values or {},
        "flash": await take_flash(request), "nav": "dispatch",
    }, status=status)


@allow(STAFF)
async def board(request: web.Request) -> web.StreamResponse:
    return await _board(request)


async def _ticket_page(request: web.Request, ticket_id: int, values: dict[str, str] | None,
                       errors: dict[str, str], status: int = 200) -> web.Response:
    zone = _zone(request)

    def read(session: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        return queries.ticket(session, ticket_id, zone=zone), queries.choices(session)

    item, choices = await request.app[keys.DB].read(read)
    if item is None:
        raise web.HTTPNotFound()
    return await render(request, "dispatch_ticket.html", {
        "item": item, "choices": choices, "values": values or _proposal(item, _tomorrow(request)),
        "errors": errors, "open": item["state"] in ("to_dispatch", "dispatched"), "nav": "dispatch",
    }, status=status)


@allow(STAFF)
async def ticket_form(request: web.Request) -> web.StreamResponse:
    return await _ticket_page(request, path_id(request), None, {})


def _assignment(request: web.Request, values: dict[str, str], errors: dict[str, str]) -> service.Assignment | None:
    kind, _, ident = values["assignee"].partition(":")
    engineer_id = outlet_id = None
    if kind in ("e", "o") and ident.isdigit() and len(ident) < 12:
        engineer_id, outlet_id = (int(ident), None) if kind == "e" else (None, int(ident))
    else:
        errors["assignee"] = message(request, DispatchError("assignee_missing", "assignee"))
    window = None
    try:
        window = rules.appointment(values["day"], values["start"], values["end"], zone=_zone(request), now=utcnow())
    except DispatchError as refused:
        errors[refused.field] = message(request, refused)
    if len(values["note"]) > MAX_NOTE:
        errors["note"] = message(request, DispatchError("too_long", "note", max=MAX_NOTE))
    return None if errors or window is None else service.Assignment(engineer_id, outlet_id, *window)


@allow(STAFF)
async def schedule(request: web.Request) -> web.StreamResponse:
    ticket_id = path_id(request)
    form = await request.post()
    values = {name: text(form, name, 400).strip() for name in ("assignee", "day", "start", "end", "note")}
    errors: dict[str, str] = {}
    assignment = _assignment(request, values, errors)
    if assignment is not None:
        who, note = actor(request), values["note"]
        try:
            await desk(request).run(lambda s, now, p: (None, service.schedule(s, ticket_id, assignment, who, now=now,
                                                                              promises=p, note=note)))
        except DispatchError as refused:
            if refused.code == "not_found":
                raise web.HTTPNotFound() from None
            errors[refused.field or "form"] = message(request, refused)
    if errors:
        return await _ticket_page(request, ticket_id, values, errors, status=422)
    await flash(request, "dispatch.board.dispatched_done", day=values["day"], start=values["start"], end=values["end"])
    raise web.HTTPSeeOther("/dispatch")


@allow(SUPERVISORS)
async def approve(request: web.Request) -> web.StreamResponse:
    ticket_id, who = path_id(request), actor(request)
    try:
        await desk(request).run(lambda s, now, p: (None, service.review(s, ticket_id, who, approve=True, now=now,
                                                                        promises=p)))
    except DispatchError as refused:
        if refused.code == "not_found":
            raise web.HTTPNotFound() from None
        await flash_error(request, refused)
    else:
        await flash(request, "dispatch.review.approved_done")
    raise web.HTTPSeeOther("/dispatch#reviews")


@allow(SUPERVISORS)
async def reject(request: web.Request) -> web.StreamResponse:
    ticket_id, who = path_id(request), actor(request)
    form = await request.post()
    note, back_to = text(form, "note", 2000).strip(), text(form, "back_to", 20)
    try:
        await desk(request).run(lambda s, now, p: (None, service.review(s, ticket_id, who, approve=False, note=note,
                                                                        back_to=back_to, now=now, promises=p)))
    except DispatchError as refused:
        if refused.code == "not_found":
            raise web.HTTPNotFound() from None
        return await _board(request, review_errors={ticket_id: message(request, refused)},
                            review_values={ticket_id: {"note": note, "back_to": back_to}}, status=422)
    await flash(request, "dispatch.review.rejected_done")
    raise web.HTTPSeeOther("/dispatch#reviews")
