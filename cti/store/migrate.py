"""Bring a database to the newest schema with Alembic (the schema only changes through a migration)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from cti.store.dialects import lock_for_transaction
from cti.store.engine import Database

_PACKAGE = Path(__file__).resolve().parent.parent


def alembic_config() -> Config:
    """The Alembic config of a checkout (repo/migrations) or of an installed wheel (cti/_migrations)."""
    for ini in (_PACKAGE.parent / "alembic.ini", _PACKAGE / "_migrations" / "alembic.ini"):
        if ini.is_file():
            cfg = Config(str(ini))
            cfg.set_main_option("script_location", str(ini.parent / "migrations" if ini.parent == _PACKAGE.parent else ini.parent))
            return cfg
    raise FileNotFoundError("Alembic migrations not found next to the cti package")


async def upgrade(db: Database, revision: str = "head") -> None:
    cfg = alembic_config()

    def _upgrade(connection) -> None:
        _one_migrator_at_a_time(connection)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade)


def _one_migrator_at_a_time(connection: Connection) -> None:
    """Two processes starting together on one database (two ``cti serve``, or one and ``cti migrate``)
    take turns: the second waits, then finds the schema at head, instead of failing on a table the first
    has just created. PostgreSQL: an advisory lock held until the migration commits (its DDL is
    transactional); SQLite: the database's write lock taken from the start (``BEGIN IMMEDIATE``; the
    driver has not begun a transaction of its own yet), waited for up to the busy timeout."""
    if connection.dialect.name == "postgresql":
        lock_for_transaction(connection, "alembic.upgrade")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
