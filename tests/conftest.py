"""Shared fixtures: a migrated database on a real SQLite file, and on PostgreSQL when CI provides one.

``db`` is parametrised: ``sqlite`` always runs; ``postgres`` runs when
``CTI_TEST_DATABASE_URL`` names a server (``postgresql+asyncpg://user:pw@host/db``),
and is skipped with that reason otherwise. Each PostgreSQL test gets a fresh
database of its own, created and dropped around it.
"""

from __future__ import annotations

import asyncio
import os
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


async def _create_pg_database(url: str) -> str:
    base = make_url(url)
    name = f"cti_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


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
async def database_url(request, tmp_path):
    """A URL of an empty database: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cti.db'}"
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL suite: CTI_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured: set CTI_TEST_DATABASE_URL=postgresql+asyncpg://… (CI does)")
    url = await _create_pg_database(PG_URL)
    yield url
    await _drop_pg_database(url)


@pytest.fixture
async def db(database_url):
    """A migrated database (Alembic head), closed after the test."""
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


@pytest.fixture
def trace_path():
    """Path of a recorded AMI trace by name: trace_path('sip_inbound_answered')."""

    def _path(name: str) -> Path:
        return FIXTURES / "ami" / f"{name}.ami"

    return _path
