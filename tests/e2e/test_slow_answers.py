"""Probe: Telegram answering slower than the client waits, while 200 replies are owed.

The stand-in delays every sendMessage for a while, then answers at once again; a request the client
gave up on is still delivered (as Telegram does). The outbox must lose none, send none twice
unmarked, keep each chat's order and resend at most once what it could not be sure of. The same run
measures the old rule (a lost answer retried like any failure) as the baseline.
"""
from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select
from telegram.ext import ApplicationBuilder

from bot.outbox import Outgoing, OutboxWorker, RetryLater, Uncertain, enqueue
from handlers.sender import TelegramSender
from handlers.texts import t
from standin import StandIn
from storage.db import Database
from storage.models import OutboxMessage

CHATS, PER_CHAT = 20, 10
SLOW_FOR, ANSWER_AFTER, CLIENT_WAITS = 2.0, 1.0, 0.3


class RetriesLostAnswers:
    """The old rule, as the baseline: an answer that did not come is a failure like any other."""

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender

    async def send(self, message, edit_target, timeout):
        try:
            return await self.sender.send(message, edit_target, timeout)
        except Uncertain as exc:
            raise RetryLater(str(exc)) from exc


async def probe(config, database_url: str, wrap=lambda sender: sender) -> dict:
    outbox = config.outbox.copy_with(send_timeout_seconds=CLIENT_WAITS, send_timeout_max_seconds=4.0,
                                     backoff_base_seconds=0.2, per_chat_per_second=1000, per_chat_burst=1000,
                                     global_per_second=1000)
    db = Database(database_url)
    async with StandIn() as standin:
        for chat in range(1, CHATS + 1):
            standin.add_user(chat, f"u{chat}")
        async with db.session() as s:
            await s.execute(OutboxMessage.__table__.delete())
            for i in range(PER_CHAT):
                for chat in range(1, CHATS + 1):
                    enqueue(s, Outgoing(chat, text=f"回复 {chat}-{i}"))
        application = (ApplicationBuilder().token(standin.token).base_url(standin.bot_base_url)
                       .base_file_url(standin.file_base_url).build())
        await application.initialize()
        worker = OutboxWorker(db, wrap(TelegramSender(application.bot)), outbox)
        standin.set_delay(ANSWER_AFTER, "sendMessage")
        loop = asyncio.get_running_loop()
        started = loop.time()
        worker.start()
        await asyncio.sleep(SLOW_FOR)
        standin.set_delay(0, "sendMessage")
        while await worker.pending_count():
            assert loop.time() - started < 120, "the outbox did not finish"
            await asyncio.sleep(0.05)
        await worker.stop()
        await asyncio.sleep(ANSWER_AFTER + 0.2)  # requests given up on are still delivered meanwhile
        elapsed = loop.time() - started
        await application.shutdown()
        async with db.session() as s:
            statuses = dict((await s.execute(select(OutboxMessage.status, func.count())
                                             .group_by(OutboxMessage.status))).all())
        sent = [(r["chat_id"], r["text"]) for r in standin.sent]
    await db.dispose()
    mark = t("resend_mark")
    plain = Counter(sent)
    marked = Counter((chat, text.removeprefix(mark)) for chat, text in sent if text.startswith(mark))
    owed = [(chat, f"回复 {chat}-{i}") for chat in range(1, CHATS + 1) for i in range(PER_CHAT)]
    first_seen: dict[int, list[str]] = {}
    for chat, text in sent:
        text = text.removeprefix(mark)
        if text not in first_seen.setdefault(chat, []):
            first_seen[chat].append(text)
    return {
        "owed": len(owed),
        "lost": sum(1 for m in owed if not plain[m] and not marked[m]),
        "twice_unmarked": sum(1 for m in owed if plain[m] > 1),
        "resent_marked": sum(marked.values()),
        "received_more_than_once": sum(1 for m in owed if plain[m] + marked[m] > 1),
        "most_copies": max(plain[m] + marked[m] for m in owed),
        "order_kept": all(first_seen[chat] == [f"回复 {chat}-{i}" for i in range(PER_CHAT)]
                          for chat in range(1, CHATS + 1)),
        "statuses": statuses,
        "seconds": round(elapsed, 1),
    }


async def test_lost_answers_are_resent_at_most_once_and_marked(config):
    baseline = await probe(config, config.database.url, RetriesLostAnswers)
    figures = await probe(config, config.database.url)
    print(f"\nslow-answer probe ({CHATS} chats × {PER_CHAT} replies; sendMessage answered after "
          f"{ANSWER_AFTER}s for {SLOW_FOR}s, client waits {CLIENT_WAITS}s at first):"
          f"\n  baseline (lost answer retried): {baseline}\n  outbox:                         {figures}")
    assert baseline["twice_unmarked"] > 0  # the probe does provoke lost answers
    assert figures["lost"] == 0
    assert figures["twice_unmarked"] == 0
    assert figures["most_copies"] <= 2  # the original and at most one marked resend
    assert figures["order_kept"]
    assert figures["statuses"].get("sent", 0) + figures["statuses"].get("unconfirmed", 0) == CHATS * PER_CHAT
