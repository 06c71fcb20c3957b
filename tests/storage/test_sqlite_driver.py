"""SQLite called from the loop's thread: while another process holds the write lock, a transaction
waits for it without freezing the loop, and gives up with SQLite's own error after the patience the
busy timeout had; the statements themselves behave as SQLAlchemy expects."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage import sqlite_driver
from storage.db import Database


@pytest.fixture
def path(tmp_path):
    database = tmp_path / "shared.db"
    with sqlite3.connect(database) as setup:
        setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        setup.execute("PRAGMA journal_mode=WAL")
    return database


def another_process_writing(path) -> sqlite3.Connection:
    """A connection of its own holding the write lock, as a CLI command writing would."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO notes (body) VALUES ('theirs')")
    return holder


async def test_a_transaction_waits_for_another_process_while_the_loop_goes_on(path):
    db, holder = Database(f"sqlite+aiosqlite:///{path}"), another_process_writing(path)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def ours() -> None:
        async with db.session() as s:
            await s.execute(text("INSERT INTO notes (body) VALUES ('ours')"))

    ticker, writing = asyncio.create_task(ticking()), asyncio.create_task(ours())
    await asyncio.sleep(0.3)
    assert not writing.done() and ticks >= 10  # waiting, and the loop was not frozen meanwhile
    holder.execute("COMMIT")
    await asyncio.wait_for(writing, 5)
    ticker.cancel()
    async with db.session() as s:
        assert (await s.execute(text("SELECT body FROM notes ORDER BY id"))).scalars().all() == ["theirs", "ours"]
    await db.dispose()
    holder.close()


async def test_past_its_patience_the_wait_ends_with_sqlites_busy_error(path, monkeypatch):
    monkeypatch.setattr(sqlite_driver, "BUSY_PATIENCE_SECONDS", 0.2)
    db, holder = Database(f"sqlite+aiosqlite:///{path}"), another_process_writing(path)
    with pytest.raises(OperationalError, match="locked"):
        async with db.session() as s:
            await s.execute(text("INSERT INTO notes (body) VALUES ('ours')"))
    holder.execute("ROLLBACK")
    async with db.session() as s:  # and the connection is usable again
        await s.execute(text("INSERT INTO notes (body) VALUES ('ours')"))
        assert (await s.execute(text("SELECT count(*) FROM notes"))).scalar() == 1
    await db.dispose()
    holder.close()


async def test_statements_answer_as_through_aiosqlite(path):
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.session() as s:
        inserted = await s.execute(text("INSERT INTO notes (body) VALUES (:a), (:b)"), {"a": "一", "b": "二"})
        assert inserted.rowcount == 2
        await s.execute(text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "三"}, {"body": "四"}])
        rows = (await s.execute(text("SELECT id, body FROM notes ORDER BY id"))).all()
        assert [body for _, body in rows] == ["一", "二", "三", "四"]
        assert (await s.execute(text("SELECT body FROM notes WHERE id = -1"))).first() is None
    with pytest.raises(OperationalError, match="no such table"):
        async with db.session() as s:
            await s.execute(text("SELECT * FROM missing"))
    async with db.session() as s:
        assert (await s.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await s.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    await db.dispose()
