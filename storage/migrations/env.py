"""Alembic environment: runs migrations over the app's async engine."""
import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import make_engine
from storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # a batch migration copies a table and drops the old one: rows pointing at it must not stop it
        cursor = connection.connection.cursor()  # on the driver's connection: SQLite ignores it in a transaction
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise RuntimeError("the migration left rows pointing at rows that do not exist")


async def _run_async() -> None:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
