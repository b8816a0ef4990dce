"""Users: creation, password check (argon2), lookup by the PBX interface their login is bound to."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cti.events import canonical_interface
from cti.audit import record
from cti.store.base import utcnow
from cti.users.models import ROLES, User, WebSession

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_INTERFACE = re.compile(r"^(PJSIP|SIP|IAX2|Local|DAHDI|Agent)/[A-Za-z0-9_.@+/-]{1,100}$")
# A real hash of a random password: verifying against it when the user does not exist
# costs the same time as a real check, so a login's timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


class UserError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate(username: str, password: str, role: str, interface: str | None) -> str | None:
    """Check a new user's fields; return the canonical interface (or None)."""
    if not _USERNAME.match(username):
        raise UserError("username", "username: 1-64 letters, digits, _ . @ -")
    if len(password) < 8:
        raise UserError("password", "password: at least 8 characters")
    if role not in ROLES:
        raise UserError("role", f"role must be one of {', '.join(ROLES)}")
    if interface:
        if not _INTERFACE.match(interface):
            raise UserError("interface", f"not a PBX interface: {interface!r} (e.g. PJSIP/1001)")
        return canonical_interface(interface)
    return None


async def create(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: str = "agent",
    interface: str | None = None,
    display_name: str = "",
    language: str | None = None,
    actor: str = "system",
) -> User:
    iface = validate(username, password, role, interface)
    if await by_username(session, username):
        raise UserError("username", f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=await asyncio.to_thread(_hasher.hash, password),
        role=role,
        interface=iface,
        language=language,
    )
    session.add(user)
    await session.flush()
    record(session, actor=actor, entity="user", entity_id=user.id, action="create",
           after={"username": username, "role": role, "interface": iface})
    await session.commit()
    return user


async def by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.scalars(select(User).where(User.username == username))).first()


async def authenticate(session: AsyncSession, username: str, password: str) -> User | None:
    """The active user with this password, or None (same cost whether or not the user exists)."""
    user = await by_username(session, username)
    try:  # argon2 takes ~100-160 ms: in a thread (it releases the GIL), not on the event loop every pop waits on
        await asyncio.to_thread(_hasher.verify, user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(_hasher.hash, password)
    user.last_login_at = utcnow()
    await session.commit()
    return user


async def directory(session: AsyncSession) -> dict[str, list[User]]:
    """Active users per canonical interface: who sees the pop when that phone rings."""
    rows = await session.scalars(select(User).where(User.active, User.interface.is_not(None)).order_by(User.id))
    out: dict[str, list[User]] = {}
    for user in rows:
        out.setdefault(user.interface, []).append(user)
    return out


async def ids_by_role(session: AsyncSession) -> dict[str, list[int]]:
    """Active users' ids per role: who is told of an escalation or a broken promise (one query)."""
    out: dict[str, list[int]] = {}
    for user_id, role in await session.execute(select(User.id, User.role).where(User.active).order_by(User.id)):
        out.setdefault(role, []).append(user_id)
    return out


async def live_sessions(session: AsyncSession, ids: Collection[str]) -> set[str]:
    """The console sessions among ``ids`` (token digests) still valid now: neither revoked nor
    expired, and their user still active. One query, however many (the push channels' recheck)."""
    if not ids:
        return set()
    valid = (WebSession.id.in_(list(ids)) & WebSession.revoked_at.is_(None) & (WebSession.expires_at > utcnow())
             & User.active)
    return set(await session.scalars(select(WebSession.id).join(User, User.id == WebSession.user_id).where(valid)))


async def all_users(session: AsyncSession) -> list[User]:
    """Every user, administrators first, then by username (the users page)."""
    order = {role: n for n, role in enumerate(reversed(ROLES))}
    users = list(await session.scalars(select(User).order_by(User.username)))
    return sorted(users, key=lambda u: order.get(u.role, len(order)))


async def set_active(session: AsyncSession, username: str, active: bool, *, actor: str) -> tuple[User, int]:
    """Enable or disable a login. Disabling also ends every session of the user at once (ASVS 7.4.2):
    returns the user and how many sessions were ended. Open push channels of those sessions close
    within the push recheck (the console's own action closes them at once)."""
    user = await by_username(session, username)
    if user is None:
        raise UserError("username", f"no user {username!r}")
    before = user.active
    user.active = active
    ended = 0
    if not active:
        live = (WebSession.user_id == user.id) & WebSession.revoked_at.is_(None)
        ended = (await session.execute(update(WebSession).where(live).values(revoked_at=utcnow()))).rowcount or 0
    record(session, actor=actor, entity="user", entity_id=user.id, action="enable" if active else "disable",
           before={"active": before}, after={"active": active, "sessions_ended": ended})
    await session.commit()
    return user, ended
