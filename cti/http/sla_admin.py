"""``/admin/sla``: the SLA policies in force, and adding, changing or deleting one.

The table lists the built-in defaults until a policy overrides them; ``?edit=<type>/<priority>``
opens one in the form (a built-in default too: saving it stores the override), and deleting an
override brings the default back. Reads and writes go through :mod:`cti.tickets.settings_service`.
"""

from __future__ import annotations

from aiohttp import web

from cti.http import keys
from cti.http.auth import ADMINS, allow
from cti.http.dispatch_support import path_id, take_flash
from cti.http.settings_support import NAV, applied, errors_of, hours, me, not_found, percent, read
from cti.http.templating import render
from cti.tickets import settings_service as settings
from cti.tickets import workflow
from cti.tickets.settings_forms import ANY, NO_CLOCKS, PolicyValues, SettingsError, parse_policy

PATH = "/admin/sla"
FIELDS = ("service_type", "priority", "first_contact", "on_site", "resolution", "at_risk", "pause", "calendar")
NEW = {"service_type": "repair", "priority": ANY, "first_contact": "", "on_site": "", "resolution": "",
       "at_risk": "80", "pause": "1", "calendar": "business"}


def form_of(values: PolicyValues) -> dict[str, str]:
    """A policy as its form shows it."""
    return {"service_type": values.service_type, "priority": values.priority,
            "first_contact": hours(values.first_contact_hours), "on_site": hours(values.on_site_hours),
            "resolution": hours(values.resolution_hours), "at_risk": percent(values.at_risk_ratio),
            "pause": "1" if values.pause_while_waiting else "", "calendar": values.calendar}


def key_of(text: str) -> tuple[str, str] | None:
    """``repair/urgent`` -> ``("repair", "urgent")``; anything else None."""
    kind, _, priority = text.partition("/")
    return (kind, priority) if kind and priority else None


async def _page(request: web.Request, *, values: dict[str, str] | None = None, editing: str = "",
                errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    rows, calendars = await request.app[keys.DB].read(lambda s: (settings.policies(s), settings.calendar_names(s)))
    current = next((p for p in rows if p.key == key_of(editing)), None)
    if editing and current is None and values is None:
        raise web.HTTPNotFound()
    if values is None:
        values = form_of(current.values) if current else dict(NEW)
    return await render(request, "admin_sla.html", {
        "kind": "sla", "rows": rows, "values": values, "editing": editing if current else "", "current": current,
        "errors": errors or {}, "flash": await take_flash(request), "nav": NAV, "calendars": calendars,
        "service_types": [ANY, *(t for t in workflow.SERVICE_TYPES if t not in NO_CLOCKS)],
        "priorities": [ANY, *workflow.PRIORITIES], "clock_kinds": ("first_contact", "on_site", "resolution"),
    }, status=status)


@allow(ADMINS)
async def sla_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, editing=request.query.get("edit", "")[:40])


@allow(ADMINS)
async def save_policy(request: web.Request) -> web.StreamResponse:
    values = await read(request, (*FIELDS, "editing"), 40)
    editing, actor = values.pop("editing"), me(request)
    original = key_of(editing)

    def work(session):
        parsed = parse_policy(values, settings.calendar_names(session))
        row_id = settings.policy_id(session, *original) if original else None
        return settings.save_policy(session, row_id, parsed, actor=actor).id

    try:
        await request.app[keys.DB].write(work)
    except SettingsError as error:
        if not_found(error):
            raise web.HTTPNotFound() from None
        return await _page(request, values=values, editing=editing, errors=errors_of(request, error), status=422)
    await applied(request, "settings.sla.saved")
    raise web.HTTPSeeOther(PATH)


@allow(ADMINS)
async def delete_policy(request: web.Request) -> web.StreamResponse:
    policy_id, actor = path_id(request), me(request)
    try:
        restored = await request.app[keys.DB].write(lambda s: settings.delete_policy(s, policy_id, actor=actor))
    except SettingsError:
        raise web.HTTPNotFound() from None
    await applied(request, "settings.sla.restored" if restored else "settings.sla.deleted")
    raise web.HTTPSeeOther(PATH)
