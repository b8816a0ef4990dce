"""What differs between SQLite and PostgreSQL inside a unit of work, in one place."""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def is_postgres(session: Session | Connection) -> bool:
    bind = session if isinstance(session, Connection) else session.get_bind()
    return bind.dialect.name == "postgresql"


def upsert_insert(session: Session):
    """The dialect's ``insert`` (with ``on_conflict_do_nothing`` / ``on_conflict_do_update``)."""
    return pg_insert if is_postgres(session) else sqlite_insert


def lock_for_transaction(session: Session | Connection, name: str) -> None:
    """Serialise the rest of this transaction with any other taking the same ``name``, until commit or
    rollback. PostgreSQL: a transaction-level advisory lock; SQLite: nothing to do, a writing
    transaction (``BEGIN IMMEDIATE``, see ``Database.write``) already holds the database's one write lock."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})
