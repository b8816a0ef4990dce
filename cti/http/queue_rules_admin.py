"""``/admin/queue-rules``: the queues whose answered calls open a ticket automatically (the call linker,
:mod:`cti.tickets.linker`, for a customer with no open ticket), with the service type and, for
repairs, the mode the ticket opens with. ``?edit=<id>`` opens a rule in the form. Writes go through
:mod:`cti.tickets.settings_service`; the linker reads the rules at every batch of calls.
"""

from __future__ import annotations

from aiohttp import web

from cti.http import keys
from cti.http.auth import ADMINS, allow
from cti.http.dispatch_support import flash, path_id, take_flash
from cti.http.settings_support import NAV, errors_of, me, not_found, read
from cti.http.templating import render
from cti.tickets import settings_service as settings
from cti.tickets import workflow
from cti.tickets.models import QueueTicketRule
from cti.tickets.settings_forms import SettingsError, parse_queue_rule

PATH = "/admin/queue-rules"
FIELDS = ("queue", "service_type", "service_mode", "active")
NEW = {"queue": "", "service_type": "repair", "service_mode": "carry_in", "active": "1"}


def form_of(row: QueueTicketRule) -> dict[str, str]:
    return {"queue": row.queue, "service_type": row.service_type, "service_mode": row.service_mode or "",
            "active": "1" if row.active else ""}


def row_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


async def _page(request: web.Request, *, values: dict[str, str] | None = None, editing: int | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    rows = await request.app[keys.DB].read(settings.queue_rules)
    if values is None:
        row = next((r for r in rows if r.id == editing), None)
        if editing is not None and row is None:
            raise web.HTTPNotFound()
        values = form_of(row) if row else dict(NEW)
    return await render(request, "admin_queue_rules.html", {
        "kind": "queue-rules", "rows": rows, "values": values, "editing": editing, "errors": errors or {},
        "flash": await take_flash(request), "nav": NAV, "service_types": workflow.SERVICE_TYPES,
        "service_modes": workflow.SERVICE_MODES,
    }, status=status)


@allow(ADMINS)
async def queue_rules_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, editing=row_id(request.query.get("edit", "")))


@allow(ADMINS)
async def save_queue_rule(request: web.Request) -> web.StreamResponse:
    values = await read(request, (*FIELDS, "id"), 200)
    editing, actor = row_id(values.pop("id")), me(request)
    try:
        parsed = parse_queue_rule(values)
        await request.app[keys.DB].write(lambda s: settings.save_queue_rule(s, editing, parsed, actor=actor))
    except SettingsError as error:
        if not_found(error):
            raise web.HTTPNotFound() from None
        return await _page(request, values=values, editing=editing, errors=errors_of(request, error), status=422)
    await flash(request, "settings.queue.saved", queue=parsed.queue)
    raise web.HTTPSeeOther(PATH)


@allow(ADMINS)
async def delete_queue_rule(request: web.Request) -> web.StreamResponse:
    rule_id, actor = path_id(request), me(request)
    try:
        await request.app[keys.DB].write(lambda s: settings.delete_queue_rule(s, rule_id, actor=actor))
    except SettingsError:
        raise web.HTTPNotFound() from None
    await flash(request, "settings.queue.deleted")
    raise web.HTTPSeeOther(PATH)
