"""Login, logout, language choice, per-route roles, and where a login may send the browser next."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import update

from cti.audit import record
from cti.config import LANGUAGES, Settings
from cti.http import keys, sessions
from cti.http.templating import USER_KEY, render
from cti.http.throttle import LoginThrottle
from cti.users import service as users
from cti.users.models import ROLES, User

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC: frozenset[str] = frozenset({"*public*"})
EVERYONE = frozenset(ROLES)
STAFF = frozenset({"agent", "supervisor", "manager", "admin"})  # the hotline: calls, customers (not engineers)
SUPERVISORS = frozenset({"supervisor", "manager", "admin"})
ADMINS = frozenset({"admin"})
LANG_COOKIE = "cti_lang"  # a visitor's language choice (no session before a login)
LANG_COOKIE_SECONDS = 365 * 24 * 3600


Rule = frozenset[str] | Callable[[Settings], frozenset[str]]


def allow(roles: Rule) -> Callable[[Handler], Handler]:
    """Mark a handler with who may call it: roles, ``PUBLIC``, or a function of the settings (``exporters``).

    Unmarked handlers are refused (deny by default). docs/PERMISSIONS.md lists every route's rule.
    """

    def mark(handler: Handler) -> Handler:
        handler.cti_roles = roles  # type: ignore[attr-defined]
        return handler

    return mark


def roles_of(handler: object, settings: Settings) -> frozenset[str] | None:
    """The roles that may call this handler (``PUBLIC`` for anyone), or None when it has no rule."""
    rule = getattr(handler, "cti_roles", None)
    return rule(settings) if callable(rule) else rule


def exporters(settings: Settings) -> frozenset[str]:
    """Who may export the call log or customer data: ``CTI_EXPORT_ROLES`` (supervisors and administrators)."""
    return frozenset(settings.export_roles)


def may_export(request: web.Request) -> bool:
    user: User | None = request.get(USER_KEY)
    return user is not None and user.role in exporters(request.app[keys.SETTINGS])


THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle", LoginThrottle)
MAX_NEXT = 2000  # characters; a page of this console is never further away


def safe_next(target: str | None) -> str:
    """The path a login or a language switch may send the browser to next; "/" for anything else.

    Browsers are lenient where a redirect must not be: they drop tabs and newlines, read ``\\``
    as ``/`` and trim spaces and controls, so ``/\\t/evil.example`` becomes ``//evil.example``,
    another site. Only a plain local path passes: it starts with exactly one ``/``, has no
    backslash, no control, format or separator character anywhere (C0, DEL, C1, tab, CR, LF,
    zero-width and Unicode spaces), and parses with neither scheme nor host.

    >>> safe_next("/calls?since=2026-11-01#x"), safe_next("/\t/evil.example"), safe_next("//evil.example")
    ('/calls?since=2026-11-01#x', '/', '/')
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(unicodedata.category(ch)[0] in "CZ" or ch.isspace() for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@allow(PUBLIC)
async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get(USER_KEY) is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return await render(request, "login.html", {"next": safe_next(request.query.get("next")), "username": "",
                                                "error": None})


@allow(PUBLIC)
async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:1024]
    target = safe_next(str(form.get("next", "")))
    address = request.remote or "?"  # the client's, behind a trusted proxy too (middleware.real_remote)
    throttle = request.app[THROTTLE]
    context = {"next": target, "username": username, "error": None}
    wait = throttle.retry_after(username, address)
    if wait is not None:
        log.warning("login throttled (%s): user %r from %s", wait.scope, username, address)  # %r: no CR/LF in logs
        message = "login.throttled" if wait.scope == "user" else "login.throttled_address"
        context["error"] = (message, {"minutes": max(1, round(wait.seconds / 60))})
        return await render(request, "login.html", context, status=429)
    db = request.app[keys.DB]
    async with db.session() as s:
        user = await users.authenticate(s, username, password) if username and password else None
    if user is None:
        log.info("login failed: user %r from %s", username, address)
        throttle.failed(username, address)
        context["error"] = ("login.failed", {})
        return await render(request, "login.html", context, status=401)
    throttle.succeeded(username, address)
    log.info("login: %r (%s) from %s", user.username, user.role, address)
    await sessions.start_login(request, db, user.id)
    raise web.HTTPFound("/work" if target == "/" and user.role == "engineer" else target)  # engineers: their work list


@allow(EVERYONE)
async def logout(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    session.invalidate()  # the storage revokes the row and deletes the cookie
    raise web.HTTPFound("/login")


@allow(PUBLIC)
async def set_language(request: web.Request) -> web.StreamResponse:
    """A user's choice is stored with the user; a visitor's in a plain cookie (no session row before a login)."""
    form = await request.post()
    lang = str(form.get("lang", ""))
    found = web.HTTPFound(safe_next(str(form.get("next", ""))))
    user: User | None = request.get(USER_KEY)
    if lang not in LANGUAGES:
        raise found
    if user is None:
        secure = True if request.app[keys.SETTINGS].cookie_secure else None
        found.set_cookie(LANG_COOKIE, lang, path="/", max_age=LANG_COOKIE_SECONDS, httponly=True, samesite="Lax",
                         secure=secure)
        raise found
    async with request.app[keys.DB].session() as s:
        await s.execute(update(User).where(User.id == user.id).values(language=lang))
        record(s, actor=user.username, entity="user", entity_id=user.id, action="language",
               before={"language": user.language}, after={"language": lang})
        await s.commit()
    raise found
