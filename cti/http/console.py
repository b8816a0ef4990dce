"""The agent console page: the pop area, filled by /static/js/console.js over the push channel, and the
user's work not done (``/api/todo``: the header's count on every page)."""

from __future__ import annotations

import json

from aiohttp import web

from cti.http import keys
from cti.http.auth import EVERYONE, STAFF, allow
from cti.http.i18n import translate
from cti.http.templating import LANG_KEY, USER_KEY, render
from cti.store import utcnow
from cti.supervision import todo
from cti.tickets import workflow
from cti.users import service as users


async def agent_names(request: web.Request) -> dict[str, str]:
    """Interface → the names of the agents bound to it (call history shows people, not devices)."""
    async with request.app[keys.DB].session() as s:
        found = await users.directory(s)
    return {iface: ", ".join(u.display_name for u in rows) for iface, rows in found.items()}


@allow(EVERYONE)
async def console(request: web.Request) -> web.StreamResponse:
    """The hotline's console (STAFF); an engineer lands on their work list instead."""
    hub = request.app[keys.HUB]
    user = request[USER_KEY]
    if user.role not in STAFF:
        raise web.HTTPFound("/work")
    agents = await agent_names(request)
    return await render(request, "console.html", {
        "todo": await todo_items(request),
        "epoch": hub.epoch,
        "last_id": hub.position(user.id),  # a push channel opened later asks for everything after it
        "agents_json": json.dumps(agents, ensure_ascii=False),
        "ticket_vocabulary": json.dumps({"types": workflow.SERVICE_TYPES, "modes": workflow.SERVICE_MODES,
                                         "priorities": workflow.PRIORITIES}),  # the new-ticket dialog's choices
        "nav": "console",
    })


@allow(EVERYONE)
async def me(request: web.Request) -> web.Response:
    """Who is logged in (the console script asks when its push channel keeps failing)."""
    user = request[USER_KEY]
    return web.json_response({"id": user.id, "name": user.display_name, "role": user.role,
                              "interface": user.interface})


async def todo_items(request: web.Request) -> list[dict]:
    """The user's work not done, each with its words (``todo.<key>``)."""
    user, lang = request[USER_KEY], request[LANG_KEY]
    items = await request.app[keys.DB].read(todo.work_of, user.id, user.role, utcnow(), request.app[keys.SETTINGS].zone)
    return [item | {"label": translate(lang, f"todo.{item['key']}")} for item in items]


@allow(EVERYONE)
async def todo_api(request: web.Request) -> web.Response:
    """The header's count and the home page's list of the user's work not done (polled every 30 s)."""
    items = await todo_items(request)
    return web.json_response({"total": sum(i["count"] for i in items), "items": items})
