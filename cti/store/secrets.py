"""Secrets every process and node must share and that must survive a restart (signing keys).

One random value per name, generated on first use and kept in ``app_secrets``.
Processes that start at once may all find the table empty and all try to insert;
the primary key lets one win, and the others read the winner's value.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cti.store.base import Base, UTCDateTime, utcnow
from cti.store.engine import Database


class AppSecret(Base):
    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


async def shared_secret(db: Database, name: str) -> str:
    """The secret called ``name``: the stored one, or a new random one (256 bits) stored now."""
    async with db.session() as s:
        found = await _lookup(s, name)
        if found is not None:
            return found
        s.add(AppSecret(name=name, value=secrets.token_urlsafe(32), created_at=utcnow()))
        try:
            await s.commit()
        except IntegrityError:  # another process stored it first: theirs is the one
            await s.rollback()
    async with db.session() as s:
        found = await _lookup(s, name)
    if found is None:  # cannot happen unless someone deletes the row meanwhile
        raise RuntimeError(f"secret {name!r} vanished while it was being created")
    return found


async def _lookup(session: AsyncSession, name: str) -> str | None:
    return await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
