"""The outbox learns the chats this process queued for from the commit itself, so a reply goes out
without a query for which chats are owed; what others queued is still read (at start, and at least
every REREAD seconds while busy)."""
from __future__ import annotations

import asyncio

from sqlalchemy import event

from bot.outbox import Outgoing, OutboxWorker, enqueue
from storage.db import Database


class Recording:
    """A Sender that notes each send in the shared log of what happened."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def send(self, message, edit_target, timeout):
        self.log.append(f"send {message.text}")
        return len(self.log)


async def until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never met")


async def test_a_reply_queued_here_goes_without_reading_the_owed_chats(config):
    db, other = Database(config.database.url), Database(config.database.url)
    log: list[str] = []

    def record(conn, cursor, statement, *args):
        if "GROUP BY" in statement:
            log.append("read owed chats")

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    async with other.session() as s:  # left by another process (or before a restart)
        enqueue(s, Outgoing(7, text="早前"))
    worker = OutboxWorker(db, Recording(log), config.outbox.copy_with(per_chat_per_second=1000, per_chat_burst=1000))
    worker.start()
    try:
        await until(lambda: log.count("read owed chats") == 2)  # read, sent, read again: nothing more
        assert log == ["read owed chats", "send 早前", "read owed chats"]
        async with db.session() as s:
            enqueue(s, Outgoing(8, text="回复"))
        log.append("committed")
        await until(lambda: "send 回复" in log)
        after = log[log.index("committed") + 1:]
        assert after[0] == "send 回复"  # known from the commit: no read in between
    finally:
        await worker.stop()
    async with db.session() as s:  # a stopped worker is told nothing more
        enqueue(s, Outgoing(9, text="之后"))
    assert not worker._queue
    await db.dispose()
    await other.dispose()
