"""Administrators' pages: the console users, and disabling or enabling a login.

Disabling a login ends every session of that user at once and closes the consoles
it has open in this process (the other processes close theirs within the push
recheck). An administrator cannot disable their own login from here.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from cti.http import keys
from cti.http.auth import ADMINS, allow
from cti.http.templating import USER_KEY, render
from cti.org import service as org
from cti.users import service as users
from cti.users.models import User


@allow(ADMINS)
async def users_page(request: web.Request) -> web.StreamResponse:
    zone = request.app[keys.SETTINGS].zone
    async with request.app[keys.DB].session() as s:
        rows = [(u, u.last_login_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if u.last_login_at else "")
                for u in await users.all_users(s)]
    done = (await get_session(request)).pop("admin_done", None) or {}  # what the last action did, said once
    context = {
        "rows": rows,
        "units": await request.app[keys.DB].read(org.units),
        "nav": "settings",
        "done": done.get("what", ""),
        "done_user": done.get("user", ""),
        "done_sessions": done.get("sessions", 0),
    }
    return await render(request, "admin_users.html", context)


@allow(ADMINS)
async def set_active(request: web.Request) -> web.StreamResponse:
    me: User = request[USER_KEY]
    form = await request.post()
    if form.get("active") not in ("0", "1"):
        raise web.HTTPBadRequest()
    active = form.get("active") == "1"
    async with request.app[keys.DB].session() as s:
        target = await s.get(User, int(request.match_info["id"]))
        if target is None:
            raise web.HTTPNotFound()
        if target.id == me.id and not active:
            raise web.HTTPBadRequest()  # locking oneself out is never what was meant
        user, ended = await users.set_active(s, target.username, active, actor=me.username)
    if not active:
        request.app[keys.HUB].end_user(user.id)  # its open consoles close now, not at the next recheck
    (await get_session(request))["admin_done"] = {
        "what": "enabled" if active else "disabled", "user": user.username, "sessions": ended}
    raise web.HTTPSeeOther("/admin/users")

