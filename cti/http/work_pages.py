"""The engineer's work list (/work), made for a phone: their own jobs, today's first; check in on site
(到达), and the completion report (完工单) with the parts used and, out of warranty, the charges.

An engineer sees and changes their own jobs only: another's job is "not found" (404), as is one
that does not exist. The completion form works without script: "add a row" posts the form back
and it returns with one more parts row, nothing saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from cti.dispatch import queries, rules, service
from cti.dispatch.rules import DispatchError
from cti.http import keys
from cti.http.auth import allow
from cti.http.dispatch_support import ENGINEERS, actor, desk, flash, flash_error, message, path_id, take_flash, text
from cti.http.templating import USER_KEY, render
from cti.store.base import utcnow

ROWS = 3  # parts rows the form starts with


def _zone(request: web.Request) -> dt.tzinfo:
    return request.app[keys.SETTINGS].zone


async def _engineer_id(request: web.Request) -> int | None:
    user_id = request[USER_KEY].id
    found = await request.app[keys.DB].read(lambda s: service.engineer_of(s, user_id))
    return found.id if found is not None else None


async def _job(request: web.Request, ticket_id: int) -> dict[str, Any]:
    """The engineer's own open job, or 404 (not theirs, not open, or no such ticket)."""
    engineer_id = await _engineer_id(request)
    zone = _zone(request)
    found = None
    if engineer_id is not None:
        found = await request.app[keys.DB].read(lambda s: queries.job(s, ticket_id, engineer_id, zone=zone))
    if found is None:
        raise web.HTTPNotFound()
    return found


@allow(ENGINEERS)
async def work_list(request: web.Request) -> web.StreamResponse:
    engineer_id, zone, now = await _engineer_id(request), _zone(request), utcnow()
    groups: dict[str, list[dict[str, Any]]] = {}
    if engineer_id is not None:
        groups = await request.app[keys.DB].read(lambda s: queries.work_list(s, engineer_id, now=now, zone=zone))
    return await render(request, "work.html", {
        "linked": engineer_id is not None, "groups": groups, "order": queries.GROUPS,
        "total": sum(len(jobs) for jobs in groups.values()), "today": now.astimezone(zone).date(),
        "flash": await take_flash(request), "nav": "work",
    })


@allow(ENGINEERS)
async def arrive(request: web.Request) -> web.StreamResponse:
    ticket_id, who = path_id(request), actor(request)
    try:
        await desk(request).run(lambda s, now, p: (None, service.arrive(s, ticket_id, who, now=now, promises=p)))
    except DispatchError as refused:
        if refused.code == "not_found":
            raise web.HTTPNotFound() from None
        await flash_error(request, refused)
    else:
        await flash(request, "dispatch.work.arrived_done")
    raise web.HTTPSeeOther(f"/work#job-{ticket_id}")


def _local_now(request: web.Request) -> str:
    return utcnow().astimezone(_zone(request)).strftime("%Y-%m-%dT%H:%M")


def _rows(form: Any) -> int:
    raw = str(form.get("rows", ""))
    count = int(raw) if raw.isdigit() else ROWS
    return max(1, min(count, rules.MAX_PARTS))


def _values(form: Any, rows: int) -> dict[str, Any]:
    """The form as typed (shown again when it is refused or a row is added)."""
    parts = [{"name": text(form, f"part_name_{i}", 200), "qty": text(form, f"part_qty_{i}", 10),
              "price": text(form, f"part_price_{i}", 20)} for i in range(rows)]
    return {"completed_at": text(form, "completed_at", 20), "work_done": text(form, "work_done", 4000),
            "labour": text(form, "labour", 20), "parts": parts}


async def _form(request: web.Request, job: dict[str, Any], values: dict[str, Any], errors: dict[str, str],
                status: int = 200) -> web.Response:
    return await render(request, "work_complete.html", {
        "job": job, "values": values, "errors": errors, "chargeable": job["warranty"] == "out",
        "max_parts": rules.MAX_PARTS, "nav": "work",
    }, status=status)


@allow(ENGINEERS)
async def complete_form(request: web.Request) -> web.StreamResponse:
    job = await _job(request, path_id(request))
    if job["state"] != "on_site":  # not checked in yet, or reported already
        if job["state"] == "dispatched":
            await flash(request, "dispatch.work.not_on_site", kind="error")
        else:
            await flash_error(request, DispatchError("state_changed", state=job["state"]))
        raise web.HTTPSeeOther(f"/work#job-{job['id']}")
    values = {"completed_at": _local_now(request), "work_done": "", "labour": "",
              "parts": [{"name": "", "qty": "", "price": ""} for _ in range(ROWS)]}
    return await _form(request, job, values, {})


def _read(request: web.Request, values: dict[str, Any], errors: dict[str, str]) -> service.Completion | None:
    """The completion as typed, or None with every refusal named in ``errors``."""
    parts: list[rules.PartLine] = []
    for i, row in enumerate(values["parts"]):
        try:
            line = rules.part_line(row["name"], row["qty"], row["price"], row=i)
        except DispatchError as refused:
            errors[refused.field] = message(request, refused)
        else:
            parts += [line] if line else []
    labour = rules.money("")
    try:
        labour = rules.money(values["labour"], "labour")
    except DispatchError as refused:
        errors["labour"] = message(request, refused)
    done_at = None
    day, _, clock = values["completed_at"].partition("T")
    try:
        done_at = rules.local_moment(day, clock, _zone(request), field="completed_at")
    except DispatchError:
        errors["completed_at"] = message(request, DispatchError("bad_completed_at", "completed_at"))
    if not values["work_done"].strip():
        errors["work_done"] = message(request, DispatchError("work_missing", "work_done"))
    return None if errors else service.Completion(values["work_done"], tuple(parts), labour, done_at)


@allow(ENGINEERS)
async def complete(request: web.Request) -> web.StreamResponse:
    ticket_id = path_id(request)
    job = await _job(request, ticket_id)
    form = await request.post()
    rows = _rows(form)
    if "add_row" in form:  # one more parts row, nothing saved
        return await _form(request, job, _values(form, min(rows + 1, rules.MAX_PARTS)), {})
    values, errors = _values(form, rows), {}
    work = _read(request, values, errors)
    if work is not None:
        who = actor(request)
        try:
            await desk(request).run(lambda s, now, p: service.complete(s, ticket_id, who, work, now=now, promises=p))
        except DispatchError as refused:
            if refused.code == "not_found":
                raise web.HTTPNotFound() from None
            errors[refused.field or "form"] = message(request, refused)
    if errors:
        return await _form(request, job, values, errors, status=422)
    await flash(request, "dispatch.work.completed_done", number=job["number"])
    raise web.HTTPSeeOther(f"/work#job-{ticket_id}")
