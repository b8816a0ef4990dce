"""Escalations: the list (supervisors, managers, admins) and acknowledging one.

A level-1 escalation is acknowledged by a supervisor, manager or admin; a level-2 one by a manager
or admin (a supervisor gets 403). The console's script posts with ``Accept: application/json`` and
the ``X-CSRF-Token`` header and gets JSON; the list page's form is sent back to the list.
"""

from __future__ import annotations

from aiohttp import web

from cti.http import keys
from cti.http.auth import SUPERVISORS, allow
from cti.http.i18n import local_time
from cti.http.templating import USER_KEY, render
from cti.tickets.escalations import ACK_ROLES, EscalationError
from cti.tickets.service import Actor

REFUSED = {"unknown": 404, "role": 403, "already": 409}
MAX_ID = 2**31 - 1


@allow(SUPERVISORS)
async def escalation_list(request: web.Request) -> web.StreamResponse:
    service = request.app[keys.SERVICE]
    zone = request.app[keys.SETTINGS].zone
    role = request[USER_KEY].role
    rows = [row | {"raised": local_time(row["raised_at"], zone, "%Y-%m-%d %H:%M"),
                   "acked": local_time(row["acknowledged_at"], zone, "%Y-%m-%d %H:%M"),
                   "may_ack": row["acknowledged_at"] is None and role in ACK_ROLES.get(row["level"], ())}
            for row in await service.escalations.listing()]
    return await render(request, "escalations.html", {
        "rows": rows, "open_count": sum(1 for r in rows if r["acknowledged_at"] is None), "nav": "escalations"})


@allow(SUPERVISORS)
async def acknowledge(request: web.Request) -> web.StreamResponse:
    user = request[USER_KEY]
    wants_json = "application/json" in request.headers.get("Accept", "")
    escalation_id = int(request.match_info["id"])
    try:
        if escalation_id > MAX_ID:  # no such row; and no integer overflow in the database
            raise EscalationError("unknown")
        await request.app[keys.SERVICE].escalations.acknowledge(escalation_id, Actor(user.username, user.role, user.id))
    except EscalationError as refused:
        status = REFUSED[refused.code]
        if wants_json:
            return web.json_response({"error": refused.code}, status=status)
        if refused.code == "role":
            raise web.HTTPForbidden() from None
        if refused.code == "unknown":
            raise web.HTTPNotFound() from None
        # "already": acknowledged by someone else meanwhile; the list says by whom
    if wants_json:
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther("/escalations")
