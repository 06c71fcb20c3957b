"""The migrations build exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import Database
from storage.models import Base


async def test_migrations_match_the_models(database_url):
    db = Database(database_url)  # the fixture's database was built by running every migration
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": False}),
                                          Base.metadata))
    await db.dispose()
    assert diff == []
