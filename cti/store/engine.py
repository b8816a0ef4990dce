"""The database: one async engine and its session factory, SQLite or PostgreSQL; reads and writes in one go."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """Owns the engine. ``async with db.session() as s`` gives a unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.engine: AsyncEngine = _create_engine(url, echo)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        self._sync: Engine | None = None  # SQLite file: a synchronous twin over the same file, for read/write
        self._writer: Engine | None = None  # the twin, beginning its transactions IMMEDIATE
        self._pool: ThreadPoolExecutor | None = None  # its threads (not the default pool: argon2 runs there)

    @property
    def read_engine(self) -> Engine:
        """The engine :meth:`read` and :meth:`write` run on (a SQLite file: the synchronous twin)."""
        if not self._twin:
            return self.engine.sync_engine
        if self._sync is None:
            self._sync = _create_sync_sqlite(self.url)
            self._writer = self._sync.execution_options(cti_write=True)
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="db")
        return self._sync

    async def read(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(session, *args, **kwargs)``: a read written for a synchronous ``Session``, run in one go.

        A SQLite file: in a worker thread, on a synchronous engine over the same file, in one
        ``BEGIN`` (one snapshot for all its statements; WAL readers never wait for the writer), one
        thread hop where aiosqlite costs a hop or more per statement (~0.5 ms of CPU each on the event
        loop, docs/PERFORMANCE.md). PostgreSQL: asyncpg has no such cost; ``fn`` runs on the async
        session (``run_sync``), as on an in-memory SQLite database (which a twin could not share).
        """
        return await self._run(fn, args, kwargs, write=False)

    async def write(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Like :meth:`read`, for a unit of work: ``fn(session, …)`` runs in one transaction (SQLite:
        ``BEGIN IMMEDIATE``, so it waits for another writer, busy timeout 10 s, rather than failing),
        committed when it returns, rolled back when it raises."""
        return await self._run(fn, args, kwargs, write=True)

    async def _run(self, fn: Callable[..., T], args: Any, kwargs: Any, *, write: bool) -> T:
        if not self._twin:
            async with self.session() as session:
                result = await session.run_sync(fn, *args, **kwargs)
                if write:
                    await session.commit()
                return result
        engine = self.read_engine  # made on first use, the writer with it
        if write:
            assert self._writer is not None
            engine = self._writer

        def run() -> T:
            with Session(engine) as session:
                result = fn(session, *args, **kwargs)
                if write:
                    session.commit()
                return result

        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    @property
    def _twin(self) -> bool:
        return self.is_sqlite and self.url.database not in (None, "", ":memory:")

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    async def optimize(self) -> None:
        """SQLite's ``PRAGMA optimize``: the planner's statistics refreshed where they have drifted (what
        SQLite advises long-lived connections to run every few hours; cheap when nothing changed). The
        PostgreSQL server's autovacuum does this itself."""
        if self.is_sqlite:
            await self.write(lambda session: session.execute(text("PRAGMA optimize")))

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
        if self._sync is not None:
            self._sync.dispose()
            self._sync = self._writer = None
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


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
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 10, "isolation_level": "IMMEDIATE"})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _create_sync_sqlite(url: Any) -> Engine:
    """The synchronous twin of an aiosqlite engine: same file and pragmas, usable from any thread.

    The driver's own transaction handling is off (``isolation_level=None``): every transaction
    begins with our ``BEGIN`` (reads: one snapshot for all their statements) or ``BEGIN IMMEDIATE``
    (writes: the write lock from the start), as SQLAlchemy's pysqlite notes recommend.
    """
    sync_url = url.set(drivername="sqlite+pysqlite")
    engine = create_engine(sync_url, connect_args={"timeout": 10, "isolation_level": None, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("cti_write") else "BEGIN")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL for concurrent readers, a busy timeout instead of 'database is locked', real foreign keys."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
