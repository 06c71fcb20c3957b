"""The doorbell: a ring in one process's transaction wakes the listeners of the others when it commits
(PostgreSQL), and a rolled-back one wakes nobody; on SQLite it is silent and costs nothing."""
from __future__ import annotations

import asyncio

import pytest

from storage.db import Database
from storage.doorbell import INBOX_CHANNEL, Doorbell, ring


class Bell:
    """Counts the rings heard."""

    def __init__(self) -> None:
        self.heard = 0
        self.changed = asyncio.Event()

    def __call__(self) -> None:
        self.heard += 1
        self.changed.set()

    async def until(self, count: int) -> None:
        while True:
            self.changed.clear()  # then the count: no ring can come in between (no await)
            if self.heard >= count:
                return
            await asyncio.wait_for(self.changed.wait(), 10)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite: one process, nobody to wake
async def test_a_committed_ring_wakes_another_process_and_a_rolled_back_one_does_not(db, config):
    other, heard = Database(config.database.url), Bell()
    listener = Doorbell(other.engine, INBOX_CHANNEL, heard)
    await listener.start()
    try:
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                await ring(session, INBOX_CHANNEL)
                raise RuntimeError("the update could not be stored")
        async with db.session() as session:
            await ring(session, "some_other_channel")
        for _ in range(2):
            async with db.session() as session:
                await ring(session, INBOX_CHANNEL)
        await heard.until(2)
        assert heard.heard == 2  # notifications come in commit order: the two commits, and nothing else
    finally:
        await listener.close()
        await other.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_on_sqlite_the_bell_is_silent(db):
    listener = Doorbell(db.engine, INBOX_CHANNEL, Bell())
    await listener.start()
    async with db.session() as session:
        await ring(session, INBOX_CHANNEL)
    await listener.close()
