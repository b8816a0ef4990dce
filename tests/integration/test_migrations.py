"""The schema only changes through migrations: the models and the migrated database must agree."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from cti.store import Database
from cti.store.migrate import alembic_config, upgrade
from cti.store.models import Base, include_name
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database


async def test_models_and_migrations_agree(db):
    def diff(connection):
        ctx = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        return compare_metadata(ctx, Base.metadata)

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == [], f"models differ from migrations: {changes}"


async def test_migrated_database_has_every_table(db):
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


@pytest.fixture(params=["sqlite", "postgres"])
async def blank_url(request, tmp_path):
    """A database with no schema at all, as an operator's first start finds it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set CTI_TEST_DATABASE_URL")
    url = await _create_pg_database(PG_URL)
    yield url
    await _drop_pg_database(url)


async def test_two_services_starting_together_on_a_blank_database_migrate_it_once(blank_url):
    """Two processes started at once (two `cti serve`, or `cti serve` and `cti migrate`) take turns:
    the second finds the schema the first made instead of failing on a table that exists."""
    first, second = Database(blank_url), Database(blank_url)
    try:
        await asyncio.gather(upgrade(first), upgrade(second))
        async with second.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await first.close()
        await second.close()
    assert set(Base.metadata.tables) <= tables
    assert version == [ScriptDirectory.from_config(alembic_config()).get_current_head()]
