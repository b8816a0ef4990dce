"""Shared fixtures: a migrated database on a real SQLite file, and on PostgreSQL when CI provides one.

``db`` is parametrised: ``sqlite`` always runs; ``postgres`` runs when
``CTI_TEST_DATABASE_URL`` names a server (``postgresql+asyncpg://user:pw@host/db``),
and is skipped with that reason otherwise. Each test gets a fresh database of its own, at the
newest schema: a copy of a template migrated once per session (a file copy on SQLite,
``CREATE DATABASE … TEMPLATE`` on PostgreSQL), not a migration per test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from cti.store import Database
from cti.store.migrate import upgrade

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("CTI_TEST_DATABASE_URL", "")


async def _create_pg_database(url: str, template: str | None = None) -> str:
    base = make_url(url)
    name = f"cti_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    await admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


async def _migrated(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.close()


class _Templates:
    """Databases at the newest schema, migrated once per session, copied for each test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sqlite: Path | None = None
        self.postgres: str | None = None  # the template database's name

    async def sqlite_copy(self, target: Path) -> str:
        if self.sqlite is None:
            path = self.folder / "template.db"
            await _migrated(f"sqlite+aiosqlite:///{path}")  # closing it folds the WAL into the file
            self.sqlite = path
        shutil.copyfile(self.sqlite, target)
        return f"sqlite+aiosqlite:///{target}"

    async def postgres_copy(self) -> str:
        if self.postgres is None:
            url = await _create_pg_database(PG_URL)
            await _migrated(url)
            self.postgres = make_url(url).database
        for _ in range(40):  # the template's last connection may still be closing on the server
            try:
                return await _create_pg_database(PG_URL, template=self.postgres)
            except DBAPIError as exc:
                if "being accessed by other users" not in str(exc):
                    raise
                await asyncio.sleep(0.25)
        return await _create_pg_database(PG_URL, template=self.postgres)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    templates = _Templates(tmp_path_factory.mktemp("templates"))
    yield templates
    if templates.postgres is not None:
        asyncio.run(_drop_pg_database(make_url(PG_URL).set(database=templates.postgres)
                                      .render_as_string(hide_password=False)))


async def _drop_pg_database(url: str) -> None:
    """Drop a test database. A plain DROP (PostgreSQL cancels its own autovacuum worker on it),
    retried while a connection of the test is still closing; ``WITH (FORCE)`` only as a last
    resort, because FORCE must also signal autovacuum, which a non-superuser may not."""
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        for _ in range(40):
            try:
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
                return
            except DBAPIError:
                await asyncio.sleep(0.25)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request, tmp_path, _templates):
    """The URL of a database of this test's own at the newest schema: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield await _templates.sqlite_copy(tmp_path / "cti.db")
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL suite: CTI_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured: set CTI_TEST_DATABASE_URL=postgresql+asyncpg://… (CI does)")
    url = await _templates.postgres_copy()
    yield url
    await _drop_pg_database(url)


@pytest.fixture
async def db(database_url):
    """A migrated database (Alembic head: a copy of the session's template), closed after the test."""
    database = Database(database_url)
    yield database
    await database.close()


@pytest.fixture
def trace_path():
    """Path of a recorded AMI trace by name: trace_path('sip_inbound_answered')."""

    def _path(name: str) -> Path:
        return FIXTURES / "ami" / f"{name}.ami"

    return _path
