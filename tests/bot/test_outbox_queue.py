"""The outbox learns the chats this process queued for from the commit itself, so a reply goes out
without a query for which chats are owed, and knows which of its chats still owe something when a
send ends (a commit came during it, a row is due later); what others queued is still read (at
start, at most every REREAD seconds while busy, and once REREAD after the last send)."""
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
        await until(lambda: log.count("read owed chats") == 2)  # read, sent, read once after: nothing more
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


class Slow(Recording):
    """Holds each send until `go` is set, so a test can commit while a chat's send is under way."""

    def __init__(self, log: list[str]) -> None:
        super().__init__(log)
        self.go = asyncio.Event()

        self.waiting = 0

    async def send(self, message, edit_target, timeout):
        self.waiting += 1
        await self.go.wait()
        self.waiting -= 1
        return await super().send(message, edit_target, timeout)


async def test_a_chat_committed_to_during_its_send_and_one_due_later_are_sent_without_a_read(config):
    db = Database(config.database.url)
    log: list[str] = []

    def record(conn, cursor, statement, *args):
        if "GROUP BY" in statement:
            log.append("read owed chats")

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    sender = Slow(log)
    # a chat may have two messages at once and the next half a second later
    worker = OutboxWorker(db, sender, config.outbox.copy_with(per_chat_per_second=2, per_chat_burst=2,
                                                              margin_seconds=0))
    worker.REREAD = 30.0  # no read but the first one
    worker.start()
    try:
        await until(lambda: log == ["read owed chats"])
        async with db.session() as s:
            enqueue(s, Outgoing(8, text="一"))
        await until(lambda: 8 in worker._sending)
        async with db.session() as s:  # committed while 一 is on its way, after its rows were read
            enqueue(s, Outgoing(8, text="二"))
            enqueue(s, Outgoing(8, text="三"))  # over the chat's limit: due half a second after 二
        sender.go.set()
        await until(lambda: "send 三" in log)
        assert log == ["read owed chats", "send 一", "send 二", "send 三"]
    finally:
        await worker.stop()
    await db.dispose()


async def test_chats_sent_to_at_once_share_their_commits(config):
    """Eight chats' reads go in one commit, and their sent marks in one or two more; a shared
    commit that fails fails only for a moment: its chats are tried again, each message sent once."""
    db = Database(config.database.url)
    log: list[str] = []
    commits: list[str] = []
    fail = [False]

    def record(conn, cursor, statement, *args):
        if fail[0] and statement.startswith("SELECT outbox.id"):
            fail[0] = False
            raise RuntimeError("the database hiccups")

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    event.listen(db.engine.sync_engine, "commit", lambda conn: commits.append("commit"))
    sender = Slow(log)
    worker = OutboxWorker(db, sender, config.outbox.copy_with(per_chat_per_second=1000, per_chat_burst=1000,
                                                              global_per_second=1000))
    worker.start()
    try:
        await until(lambda: worker._read_at > float("-inf"))  # the first read, committed
        for round, hiccup in enumerate((False, True)):
            sender.go.clear()
            async with db.session() as s:
                for chat in range(8):
                    enqueue(s, Outgoing(100 + chat, text=f"{round}给{chat}"))
            commits.clear()
            fail[0] = hiccup
            await until(lambda: sender.waiting == 8)
            if not hiccup:
                assert len(commits) == 1  # the eight chats' rows read and marked sending together
            commits.clear()
            sender.go.set()
            await until(lambda: worker.sent_count == 8 * (round + 1) and not worker._sending)
            if not hiccup:
                assert len(commits) <= 2  # and marked sent together
        assert sorted(log) == sorted(f"send {round}给{chat}" for round in range(2) for chat in range(8))
    finally:
        await worker.stop()
    await db.dispose()
