"""``/admin/org``: the organisation tree (branches, and what sits below them) — add, rename, move, delete
an empty unit; ``POST /admin/users/{id}/unit`` places a person in it. ``/admin/queues``: each queue's label,
branch and wallboard targets. Administrators only; every change audited (:mod:`cti.org.service`,
:mod:`cti.supervision.queue_settings`)."""

from __future__ import annotations

from aiohttp import web

from cti.http import keys
from cti.http.auth import ADMINS, allow
from cti.http.dispatch_support import flash, path_id, take_flash
from cti.http.settings_support import NAV, errors_of, me, not_found, read
from cti.http.templating import render
from cti.org import service as org
from cti.supervision import queue_settings
from cti.supervision.queue_settings import GRADED
from cti.tickets.settings_forms import SettingsError

ORG = "/admin/org"
QUEUES = "/admin/queues"


def _id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


async def _org_page(request: web.Request, *, values: dict[str, str] | None = None, editing: int | None = None,
                    errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    units = await request.app[keys.DB].read(org.units)
    if values is None:
        unit = next((u for u in units if u["id"] == editing), None)
        if editing is not None and unit is None:
            raise web.HTTPNotFound()
        values = {"name": unit["name"], "parent_id": str(unit["parent_id"] or "")} if unit else {"name": "", "parent_id": ""}
    return await render(request, "admin_org.html", {
        "kind": "org", "units": units, "values": values, "editing": editing, "errors": errors or {},
        "flash": await take_flash(request), "nav": NAV}, status=status)


@allow(ADMINS)
async def org_page(request: web.Request) -> web.StreamResponse:
    return await _org_page(request, editing=_id(request.query.get("edit", "")))


@allow(ADMINS)
async def save_unit(request: web.Request) -> web.StreamResponse:
    values = await read(request, ("name", "parent_id", "id"), 200)
    editing, parent, actor = _id(values.pop("id")), _id(values["parent_id"]), me(request)
    try:
        if values["parent_id"].strip() and parent is None:
            raise SettingsError("bad_choice", "parent_id")
        await request.app[keys.DB].write(org.save_unit, editing, values["name"], parent, actor=actor)
    except SettingsError as error:
        if not_found(error):
            raise web.HTTPNotFound() from None
        return await _org_page(request, values=values, editing=editing, errors=errors_of(request, error), status=422)
    await flash(request, "org.saved", name=values["name"].strip())
    raise web.HTTPSeeOther(ORG)


@allow(ADMINS)
async def delete_unit(request: web.Request) -> web.StreamResponse:
    unit_id, actor = path_id(request), me(request)
    try:
        await request.app[keys.DB].write(org.delete_unit, unit_id, actor=actor)
    except SettingsError as error:
        if not_found(error):
            raise web.HTTPNotFound() from None
        return await _org_page(request, errors=errors_of(request, error), status=409)
    await flash(request, "org.deleted")
    raise web.HTTPSeeOther(ORG)


@allow(ADMINS)
async def place_user(request: web.Request) -> web.StreamResponse:
    user_id, actor = path_id(request), me(request)
    values = await read(request, ("org_unit_id",), 20)
    unit = _id(values["org_unit_id"])
    if values["org_unit_id"].strip() and unit is None:
        raise web.HTTPBadRequest()
    try:
        await request.app[keys.DB].write(org.place_user, user_id, unit, actor=actor)
    except SettingsError as error:
        if not_found(error):
            raise web.HTTPNotFound() from None
        raise web.HTTPBadRequest() from None
    raise web.HTTPSeeOther("/admin/users")


async def _queues_page(request: web.Request, *, values: dict[str, str] | None = None, editing: str | None = None,
                       errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    db, service = request.app[keys.DB], request.app[keys.SERVICE]
    rows = await db.read(queue_settings.rows)
    units = await db.read(org.units)
    known = {r.queue for r in rows}
    board = service.board
    seen = sorted(board.all_queues() - known) if board is not None else []  # queues on the floor without settings
    if values is None:
        row = next((r for r in rows if r.queue == editing), None)
        values = queue_settings.form_values(row, editing or "")
    names = {u["id"]: u["name"] for u in units}
    return await render(request, "admin_queues.html", {
        "kind": "queues", "rows": [(r, queue_settings.form_values(r)) for r in rows], "seen": seen, "units": units,
        "unit_names": names, "values": values, "editing": editing, "errors": errors or {}, "graded": GRADED,
        "flash": await take_flash(request), "nav": NAV}, status=status)


@allow(ADMINS)
async def queues_page(request: web.Request) -> web.StreamResponse:
    editing = request.query.get("edit", "").strip()[:80] or None
    return await _queues_page(request, editing=editing)


@allow(ADMINS)
async def save_queue(request: web.Request) -> web.StreamResponse:
    names = ("queue", "label", "org_unit_id", "service_level_seconds", "short_abandon_seconds",
             *(f"{g}_{c}" for g in GRADED for c in ("amber", "red")))
    values, actor = await read(request, names, 200), me(request)
    db = request.app[keys.DB]
    try:
        parsed = await db.read(queue_settings.parse, values)
        await db.write(queue_settings.save, parsed, actor=actor)
    except SettingsError as error:
        return await _queues_page(request, values=values, editing=values["queue"] or None,
                                  errors=errors_of(request, error), status=422)
    board = request.app[keys.SERVICE].board
    if board is not None:
        await board.refresh_counts()  # this process's wallboard at once; the others within 15 s
    await flash(request, "queues.saved", queue=parsed.queue)
    raise web.HTTPSeeOther(QUEUES)
