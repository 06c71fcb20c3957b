"""Engine, sessions and schema upgrades. One AsyncSession per update or job, never shared."""
from __future__ import annotations

import asyncio
import contextvars
import functools
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from storage import sqlite_driver

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # We issue BEGIN ourselves (_sqlite_begin); storage/sqlite_driver.py opens its connections so.
    if dbapi_connection.isolation_level is not None:
        dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL still survives a killed process; only a power cut can lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # storage/sqlite_driver.py waits for another process's write lock itself, without blocking the loop
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """Take SQLite's write lock when a transaction starts. A deferred transaction that reads first
    and writes later fails at once with 'database is locked' if another connection committed in
    between (WAL snapshots cannot be upgraded), and no busy timeout helps with that."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    # Recycle connections instead of pinging before every checkout (a round trip per session).
    # Errors and logs never carry bound values: they are people's words, phone numbers, ids.
    options: dict = {"pool_recycle": 1800, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["async_creator"] = functools.partial(sqlite_driver.connect, parsed.database)
    engine = create_async_engine(url, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def dialect_insert(bind):
    """INSERT … ON CONFLICT, which SQLAlchemy spells per dialect (both take the same arguments);
    `bind` is an engine or a session's bind. For what several processes may insert at once."""
    return postgresql_insert if bind.dialect.name == "postgresql" else sqlite_insert


# Keys of `session.info` under which a unit of work keeps what it read, so as not to read it again
# (a person's draft, the question they were asked): a rollback, a savepoint's too, may undo what
# they say, so they are forgotten then and read again when next needed.
_READ_ONCE: set[str] = set()


def forget_on_rollback(key: str) -> str:
    _READ_ONCE.add(key)
    return key


@event.listens_for(Session, "after_soft_rollback")
def _forget_reads(session: Session, previous_transaction) -> None:
    for key in _READ_ONCE:
        session.info.pop(key, None)


# Set while the current task holds the SQLite turn: a session opened inside another takes no second turn.
_IN_TURN: contextvars.ContextVar[bool] = contextvars.ContextVar("gridsec_sqlite_turn", default=False)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer, and every transaction here begins IMMEDIATE (takes the write lock). So
        # the process's transactions queue for it in turn (first come, first served) instead of polling
        # SQLite's busy handler, which is not fair: under load one waiter could starve past busy_timeout
        # ("database is locked"; bench/open311.py's concurrent POSTs found it).
        self._turn = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None
        # Called with a unit's `session.info` once it has committed: what it left for others to do
        # (the outbox notes the chats it owes) reaches them without a query.
        self.after_commit: list[Callable[[dict], None]] = []

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back on an exception."""
        if self._turn is None or _IN_TURN.get():
            async with self._unit() as session:
                yield session
            return
        async with self._turn:
            held = _IN_TURN.set(True)
            try:
                async with self._unit() as session:
                    yield session
            finally:
                _IN_TURN.reset(held)

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            async with session.begin():
                yield session
            for committed in self.after_commit:
                committed(session.info)

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        await asyncio.to_thread(upgrade_schema, self.url)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_schema(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
