"""CSRF protection: a per-session token every state-changing request of a logged-in user must carry.

Forms send it as the hidden field ``csrf_token``; scripts send the
``X-CSRF-Token`` header (the page exposes the token in a data attribute).
A missing or wrong token is refused with 403 before the handler runs.
Visitors who are not logged in have no session: their forms (login,
language) carry a signed token instead (:mod:`cti.http.login_csrf`).
"""

from __future__ import annotations

import secrets

from aiohttp import web
from aiohttp_session import get_session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def token(request: web.Request) -> str:
    """This session's token, created on first use."""
    session = await get_session(request)
    value = session.get("csrf")
    if not value:
        value = session["csrf"] = secrets.token_urlsafe(32)
    return value


async def valid(request: web.Request) -> bool:
    session = await get_session(request)
    expected = session.get("csrf")
    given = await submitted(request)
    if not expected or not given:
        return False
    return secrets.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


async def submitted(request: web.Request) -> str | None:
    """The token the request carries: the header, else the form field."""
    given = request.headers.get(HEADER)
    if given is None and request.content_type in _FORM_TYPES:
        form = await request.post()  # cached: the handler reads the same form again for free
        field = form.get(FIELD)
        given = field if isinstance(field, str) else None
    return given
