"""The schema only changes through migrations: the models and the migrated database must agree."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cti.store.models import Base, include_name


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
