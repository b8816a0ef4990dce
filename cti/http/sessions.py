"""Server-side console sessions for aiohttp-session, kept in the ``web_sessions`` table.

The cookie holds a random token (256 bits); the table stores only its SHA-256,
so a copy of the database does not hand out logins. A session expires
``settings.session_hours`` after login (absolute, not sliding) and can be
revoked: logout, or a disabled user (`cti.users.service.set_active`). A row is written only
at a successful login, with a new token (no session fixation: any session the
browser had is revoked); a visitor who is not logged in gets no row, whatever
is requested (the login form's CSRF token and the language choice are cookies),
so nobody can grow the table without a password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from typing import Any

from aiohttp import web
from aiohttp_session import AbstractStorage, Session, get_session, new_session
from sqlalchemy import delete, or_, update

from cti.config import Settings
from cti.store import Database, utcnow
from cti.users.models import WebSession

COOKIE = "cti_session"
TOUCH_EVERY = dt.timedelta(minutes=5)
PURGE_EVERY = 600.0


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class DbSessionStorage(AbstractStorage):
    """aiohttp-session storage over ``web_sessions``; the app keeps it under ``STORAGE``."""

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__(
            cookie_name=COOKIE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=True if settings.cookie_secure else None,
        )
        self._db = db
        self._ttl = dt.timedelta(hours=settings.session_hours)
        self._purged_at = 0.0

    async def load_session(self, request: web.Request) -> Session:
        token = self.load_cookie(request)
        row = await self.live_row(token) if token else None
        if row is None:
            return Session(None, data=None, new=True)
        now = utcnow()
        if now - row.last_seen_at > TOUCH_EVERY:
            async with self._db.session() as s:
                await s.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
                await s.commit()
        data: dict[str, Any] = {"created": int(row.created_at.timestamp()), "session": dict(row.data or {})}
        return Session(token, data=data, new=False)

    async def save_session(self, request: web.Request, response: web.StreamResponse, session: Session) -> None:
        token = session.identity
        if session.empty:  # invalidated: logout
            if token:
                await revoke(self._db, token)
            self.save_cookie(response, "")
            return
        data = dict(session)
        uid = data.get("uid")
        if token is None and not isinstance(uid, int):
            return  # no row before a login
        async with self._db.session() as s:
            if token is None:
                token = secrets.token_urlsafe(32)
                now = utcnow()
                s.add(WebSession(id=digest(token), user_id=uid, data=data, created_at=now, last_seen_at=now,
                                 expires_at=now + self._ttl))
                session.set_new_identity(token)
            else:
                await s.execute(update(WebSession).where(WebSession.id == digest(token)).values(data=data, user_id=uid))
            await s.commit()
        self.save_cookie(response, token, max_age=int(self._ttl.total_seconds()))
        await self._purge()

    async def live_row(self, token: str) -> WebSession | None:
        """The session row of this cookie token if it is neither expired nor revoked."""
        if len(token) > 100:
            return None
        async with self._db.session() as s:
            row = await s.get(WebSession, digest(token))
        if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
            return None
        return row

    async def _purge(self) -> None:
        """Delete sessions that ended more than a day ago (at most every ten minutes)."""
        if time.monotonic() - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = time.monotonic()
        cutoff = utcnow() - dt.timedelta(days=1)
        async with self._db.session() as s:
            ended = or_(WebSession.expires_at < cutoff, WebSession.revoked_at < cutoff)
            await s.execute(delete(WebSession).where(ended))
            await s.commit()


async def revoke(db: Database, token: str) -> None:
    async with db.session() as s:
        live = (WebSession.id == digest(token)) & WebSession.revoked_at.is_(None)
        await s.execute(update(WebSession).where(live).values(revoked_at=utcnow()))
        await s.commit()


async def start_login(request: web.Request, db: Database, user_id: int) -> Session:
    """Revoke any session the browser had and open a new one for this user (new token, new CSRF token)."""
    old = await get_session(request)
    if old.identity:
        await revoke(db, old.identity)
    session = await new_session(request)
    session["uid"] = user_id
    session["csrf"] = secrets.token_urlsafe(32)
    return session


STORAGE: web.AppKey[DbSessionStorage] = web.AppKey("session_storage", DbSessionStorage)
