"""The outbox's rule for a send whose answer was lost: resent once, marked, never a third time;
an edit or a menu button is simply retried; a chat's later messages wait behind it."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.outbox import Outgoing, OutboxWorker, Uncertain, enqueue
from storage.db import Database
from storage.models import OutboxMessage


class Scripted:
    """A Sender that loses the answers it is told to, and records what it was asked to send."""

    def __init__(self, lose: int) -> None:
        self.lose, self.calls = lose, []

    async def send(self, message, edit_target, timeout):
        self.calls.append((message.text, message.resend, timeout))
        if self.lose > 0:
            self.lose -= 1
            raise Uncertain("read timeout")
        return len(self.calls)


async def run(config, sender, messages: list[Outgoing]) -> list[OutboxMessage]:
    db = Database(config.database.url)
    async with db.session() as s:
        for message in messages:
            enqueue(s, message)
    outbox = config.outbox.copy_with(backoff_base_seconds=0.01, send_timeout_seconds=0.5,
                                     per_chat_per_second=1000, per_chat_burst=1000)
    worker = OutboxWorker(db, sender, outbox)
    worker.start()
    for _ in range(500):
        if not await worker.pending_count():
            break
        await asyncio.sleep(0.01)
    await worker.stop()
    async with db.session() as s:
        rows = list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    await db.dispose()
    return rows


async def test_a_lost_answer_is_resent_once_marked(config):
    sender = Scripted(lose=1)
    rows = await run(config, sender, [Outgoing(1, text="甲"), Outgoing(1, text="乙")])
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [(text, resend) for text, resend, _ in sender.calls] == [("甲", False), ("甲", True), ("乙", False)]
    assert sender.calls[1][2] == 1.0  # the worker waits longer after an answer did not come


async def test_a_resend_that_is_lost_too_is_left_unconfirmed(config):
    sender = Scripted(lose=2)
    rows = await run(config, sender, [Outgoing(1, text="甲"), Outgoing(1, text="乙")])
    assert [r.status for r in rows] == ["unconfirmed", "sent"]
    assert [text for text, _, _ in sender.calls] == ["甲", "甲", "乙"]


async def test_a_lost_edit_is_simply_retried(config):
    sender = Scripted(lose=2)
    rows = await run(config, sender, [Outgoing(1, "edit", text="改", edit_message_id=5)])
    assert [r.status for r in rows] == ["sent"]
    assert [(text, resend) for text, resend, _ in sender.calls] == [("改", False)] * 3


async def test_a_lost_menu_button_is_simply_set_again(config):
    sender = Scripted(lose=2)
    button = Outgoing(1, "menu_button", text="指挥中心", web_app_url="https://gridsec.example.org/app")
    rows = await run(config, sender, [button])
    assert [r.status for r in rows] == ["sent"]
    assert [(text, resend) for text, resend, _ in sender.calls] == [("指挥中心", False)] * 3
