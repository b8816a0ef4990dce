"""The database: one async engine and its session factory, SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


class Database:
    """Owns the engine. ``async with db.session() as s`` gives a unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.engine: AsyncEngine = _create_engine(url, echo)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


def _create_engine(url: str, echo: bool) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level "IMMEDIATE": sqlite3 opens every write transaction with BEGIN IMMEDIATE (before its first
    # INSERT/UPDATE/DELETE), so a writer waits for the others (busy_timeout) instead of failing at once with
    # "database is locked" when a deferred transaction that has read upgrades to a write after another
    # connection committed. Reads still run outside any transaction: they never wait for a writer (WAL).
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30, "isolation_level": "IMMEDIATE"})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL for concurrent readers, a busy timeout instead of 'database is locked', real foreign keys."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
