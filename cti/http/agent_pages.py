"""Agents and the PBX from the console: queue login/logout, pause with a reason, resume.

``POST /agents/{login,logout,pause,unpause}`` with ``interface`` (default: the user's own phone),
``queue`` (login/logout) and ``reason`` (pause). An agent acts on their own phone, a supervisor on
anyone's (:func:`cti.supervision.control.may_control`). The answer is JSON ``{ok, message}``; the
floor itself changes when the PBX's events arrive (the wallboard and the agent's bar follow them).
``GET /api/agent``: the user's own state, the pause reasons and the queues, for the agent's bar.
"""

from __future__ import annotations

from aiohttp import web

from cti.http import keys
from cti.http.auth import STAFF, allow
from cti.http.i18n import translate
from cti.http.org_support import scope_of
from cti.http.templating import LANG_KEY, USER_KEY
from cti.supervision.control import Actor, ControlError, PbxRefused, PbxUnavailable

STATUS = {"not_allowed": 403, "unknown_reason": 400, "no_queue": 400, "no_phone": 400}


async def _actor(request: web.Request) -> Actor:
    user = request[USER_KEY]
    return Actor(user.username, user.role, user.interface, await scope_of(request))


async def _act(request: web.Request, action: str) -> web.Response:
    form = await request.post()
    actor, service = await _actor(request), request.app[keys.SERVICE]
    interface = str(form.get("interface") or actor.interface or "")
    queue, reason = str(form.get("queue") or ""), str(form.get("reason") or "")
    control, lang = service.control, request[LANG_KEY]
    try:
        if action == "pause":
            await control.pause(actor, interface, reason)
        elif action == "unpause":
            await control.unpause(actor, interface)
        elif action == "login":
            await control.login(actor, interface, queue, _member_name(request, interface))
        else:
            await control.logout(actor, interface, queue)
    except ControlError as refused:
        return _answer(False, translate(lang, f"agent.error.{refused.code}"), STATUS[refused.code])
    except PbxRefused as refused:
        return _answer(False, translate(lang, "agent.error.pbx_refused", message=str(refused)[:200]), 409)
    except PbxUnavailable:
        return _answer(False, translate(lang, "agent.error.pbx_unavailable"), 503)
    return _answer(True, translate(lang, f"agent.done.{action}"), 200)


def _member_name(request: web.Request, interface: str) -> str:
    """The name the queue shows for the member: the user's own when it is their phone."""
    user = request[USER_KEY]
    return user.display_name if user.interface == interface else ""


def _answer(ok: bool, message: str, status: int) -> web.Response:
    return web.json_response({"ok": ok, "message": message}, status=status)


@allow(STAFF)
async def pause(request: web.Request) -> web.Response:
    return await _act(request, "pause")


@allow(STAFF)
async def unpause(request: web.Request) -> web.Response:
    return await _act(request, "unpause")


@allow(STAFF)
async def login(request: web.Request) -> web.Response:
    return await _act(request, "login")


@allow(STAFF)
async def logout(request: web.Request) -> web.Response:
    return await _act(request, "logout")


@allow(STAFF)
async def me(request: web.Request) -> web.Response:
    """The user's own phone on the floor: state, queues (theirs and the PBX's), reasons, today's figures."""
    user, service = request[USER_KEY], request.app[keys.SERVICE]
    try:
        queues = await service.control.queues()
    except (PbxUnavailable, PbxRefused):
        queues = []
    view = service.board.agent_view(user.interface) if user.interface else None
    return web.json_response({"interface": user.interface, "agent": view, "queues": queues,
                              "reasons": list(service.control.reasons)})
