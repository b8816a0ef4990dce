"""CSRF for visitors who are not logged in (the login form, its language switch), with no stored session.

The signed double-submit cookie: the browser gets a random nonce in the cookie
``cti_login`` (HttpOnly, SameSite=Strict, Secure behind HTTPS) and the form a token
that is the nonce signed with a timestamp (itsdangerous' ``URLSafeTimedSerializer``).
A post is accepted when the token's signature is good, it is at most ``MAX_AGE``
seconds old, and the nonce inside it is the one in the cookie. Another site can
neither read the cookie nor sign a token, so it cannot forge the pair; a token
copied from another browser carries another nonce.

The key is one secret kept in the database (:func:`cti.store.secrets.shared_secret`),
the same for every process and node, and after a restart. Nothing is written per
visitor: before a login, ``web_sessions`` gets no row.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from cti.config import Settings
from cti.http.keys import request_key
from cti.store import Database
from cti.store.secrets import shared_secret

COOKIE = "cti_login"
MAX_AGE = 2 * 3600  # seconds a login form may sit open
SECRET_NAME = "login-form-csrf"
SALT = "cti.login-form"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_NEW_NONCE = request_key("cti.login_nonce", str)  # a nonce issued with this response


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, reading the clock it is given (tests move time on)."""

    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class LoginForms:
    """Issues and checks login-form tokens; the app keeps one under ``FORMS``."""

    def __init__(self, db: Database, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._secure = settings.cookie_secure
        self.clock = clock
        self._key: str | None = None
        self._lock = asyncio.Lock()

    async def token(self, request: web.Request) -> str:
        """A token for this browser's nonce; a new nonce (and cookie, see ``set_cookie``) if it has none."""
        nonce = request.get(_NEW_NONCE) or _cookie_nonce(request)
        if nonce is None:
            nonce = request[_NEW_NONCE] = secrets.token_urlsafe(32)
        return (await self._serializer()).dumps(nonce)

    async def valid(self, request: web.Request, given: str | None) -> bool:
        nonce = _cookie_nonce(request)
        if not given or nonce is None:
            return False
        try:
            signed = (await self._serializer()).loads(given, max_age=MAX_AGE)
        except BadData:  # bad signature, expired, malformed
            return False
        return isinstance(signed, str) and secrets.compare_digest(signed.encode(), nonce.encode())

    def set_cookie(self, request: web.Request, response: web.StreamResponse) -> None:
        """Give the browser the nonce ``token`` issued for it, if it had none."""
        nonce = request.get(_NEW_NONCE)
        if nonce:
            response.set_cookie(COOKIE, nonce, path="/", httponly=True, samesite="Strict",
                                secure=True if self._secure else None)

    async def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(await self._secret(), salt=SALT, signer=_ClockSigner,
                                      signer_kwargs={"clock": self.clock})

    async def _secret(self) -> str:
        if self._key is None:
            async with self._lock:  # one database round trip per process, not one per waiting request
                if self._key is None:
                    self._key = await shared_secret(self._db, SECRET_NAME)
        return self._key


def _cookie_nonce(request: web.Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if _NONCE.match(value) else None


FORMS: web.AppKey[LoginForms] = web.AppKey("login_forms", LoginForms)
