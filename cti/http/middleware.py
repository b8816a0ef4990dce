"""The request pipeline: the client's address, error pages, who is calling (and may they), CSRF.

Order (outermost first): real_remote → aiohttp-session → errors → gate → csrf → handler.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import get_session

from cti.http import csrf, forwarded, i18n, keys, login_csrf
from cti.http.auth import LANG_COOKIE, PUBLIC, roles_of
from cti.http.security import same_origin
from cti.http.templating import LANG_KEY, USER_KEY, error_page, render
from cti.users.models import User

log = logging.getLogger(__name__)
_ERROR_KEYS = {400: "error.400", 401: "error.401", 403: "error.403", 404: "error.404", 405: "error.405",
               413: "error.413"}


def _wants_json(request: web.Request) -> bool:
    return (request.path in ("/ws", "/status") or request.path.startswith("/api/")
            or "application/json" in request.headers.get("Accept", ""))


@web.middleware
async def real_remote(request: web.Request, handler) -> web.StreamResponse:
    """Behind a trusted reverse proxy, ``request.remote`` becomes the client's address (``cti.http.forwarded``).

    It runs first, so every later step — the session, the login throttle, every log line —
    sees the client, not the proxy.
    """
    trusted = request.app[keys.SETTINGS].trusted_proxies
    if trusted:
        header = ",".join(request.headers.getall(forwarded.HEADER, ()))
        address = forwarded.client_address(request.remote, header, trusted)
        if address != request.remote:
            request = request.clone(remote=address)
    return await handler(request)


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    """HTTP errors become a page in the user's language (JSON for scripts); crashes are logged."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.text not in (None, "", f"{exc.status}: {exc.reason}") or _wants_json(request):
            raise
        return await error_page(request, exc.status, _ERROR_KEYS.get(exc.status, "error.other"))
    except Exception:
        log.exception("unhandled error on %s %r", request.method, request.path)  # %r: no CR/LF in logs
        if _wants_json(request):
            return web.json_response({"error": "internal"}, status=500)
        return await error_page(request, 500, "error.500")


@web.middleware
async def gate(request: web.Request, handler) -> web.StreamResponse:
    """Load the session's user, pick the language, and enforce the route's roles."""
    settings = request.app[keys.SETTINGS]
    route = request.match_info.route
    if isinstance(route.resource, web.StaticResource):
        return await handler(request)
    user = await current_user(request)
    request[USER_KEY] = user
    request[LANG_KEY] = i18n.pick(user.language if user else None, request.cookies.get(LANG_COOKIE),
                                  settings.language)
    if request.match_info.http_exception is not None:  # 404 / 405: let the error page say so
        return await handler(request)
    roles = roles_of(request.match_info.handler, settings)
    if roles is None:
        log.error("route %r has no roles: refused", request.path)
        raise web.HTTPForbidden()
    if roles is PUBLIC:
        return await handler(request)
    if user is None:
        if _wants_json(request):
            raise web.HTTPUnauthorized(text='{"error": "login required"}', content_type="application/json")
        if request.method == "GET":
            raise web.HTTPFound("/login?next=" + _quote(request.path_qs))
        raise web.HTTPSeeOther("/login")  # a form posted after the session ended
    if user.role not in roles:
        raise web.HTTPForbidden()
    return await handler(request)


@web.middleware
async def csrf_check(request: web.Request, handler) -> web.StreamResponse:
    """Every state-changing request carries a CSRF token and, if it says, our Origin.

    A logged-in user's is the session's; a visitor's (login form, language switch) the signed login-form token.
    """
    if request.method in csrf.SAFE_METHODS or isinstance(request.match_info.route.resource, web.StaticResource):
        return await handler(request)
    if not same_origin(request, request.app[keys.SETTINGS], required=False) or not await _token_ok(request):
        log.warning("CSRF check failed: %s %r from %s", request.method, request.path, request.remote)
        if request.path == "/login":  # the login page sat open too long: say so on a fresh form
            context = {"next": "/", "username": "", "error": ("error.csrf", {})}
            return await render(request, "login.html", context, status=403)
        if _wants_json(request) or request.headers.get(csrf.HEADER) is not None:
            return web.json_response({"error": "csrf"}, status=403)
        return await error_page(request, 403, "error.csrf")
    return await handler(request)


async def _token_ok(request: web.Request) -> bool:
    if request.get(USER_KEY) is not None:
        return await csrf.valid(request)
    return await request.app[login_csrf.FORMS].valid(request, await csrf.submitted(request))


async def current_user(request: web.Request) -> User | None:
    session = await get_session(request)
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    async with request.app[keys.DB].session() as s:
        user = await s.get(User, uid)
    return user if user is not None and user.active else None


def _quote(path: str) -> str:
    return quote(path, safe="")
