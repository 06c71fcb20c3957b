"""SIGKILL in the middle of a report and with notifications queued: after a restart nothing is
lost and nothing is sent twice. The bot runs as a real `gridsec run` process against the stand-in."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from bot.outbox import OWED
from standin import StandIn
from storage.db import Database
from storage.models import Case, InboundUpdate, OutboxMessage
from tests.e2e.bot_process import REPO, BotProcess, join_officer, wait_for, write_bot_config
from tests.e2e.conftest import INSIDE, OFFICER

ALICE, WANG = 200001, 200002
PHOTO = (REPO / "gridsec" / "assets" / "sample.jpg").read_bytes()


@pytest.fixture
async def standin():
    async with StandIn() as server:
        server.add_user(ALICE, "Alice")
        server.add_user(WANG, "Wang")
        yield server


@pytest.fixture
def bot(standin, config, tmp_path):
    process = BotProcess(write_bot_config(tmp_path / "bot.yaml", standin, config.database.url))
    yield process
    process.stop()
    print(process.log.read_text(errors="replace")[-5000:])  # shown by pytest when the test fails


def texts_to(standin, chat) -> list[str]:
    return [r.get("text") or "" for r in standin.sent if r["chat_id"] == chat]


async def test_sigkill_loses_nothing_and_sends_nothing_twice(standin, bot, config):
    db = Database(config.database.url)
    await join_officer(db, WANG, OFFICER)

    def polls() -> int:
        return sum(c["method"] == "getUpdates" for c in standin.calls)

    bot.start()
    await wait_for(lambda: polls() > 0, what="the bot to poll")
    standin.inject_text(ALICE, "楼下垃圾堆了三天了没人收")
    standin.inject_location(ALICE, *INSIDE)
    await wait_for(lambda: any("请确认" in t for t in texts_to(standin, ALICE)), what="the summary")

    # 1. Killed in the middle of handling a photo (its download hangs).
    standin.set_delay(30, "getFile")
    photo = standin.inject_photo(ALICE, PHOTO)
    await wait_for(lambda: any(c["method"] == "getFile" for c in standin.calls), what="the photo download")
    bot.kill()
    standin.set_delay(0, "getFile")
    async with db.session() as s:
        assert (await s.get(InboundUpdate, photo.update_id)).status == "received"  # stored, not handled
    before = polls()
    bot.start()
    await wait_for(lambda: any("照片：1张" in t for t in texts_to(standin, ALICE)), what="the replayed photo")
    assert polls() > before

    # 2. Killed with notifications queued behind Telegram's 429s.
    standin.fail_next(None, status=429, retry_after=3, count=3)
    message_id = max(m["message_id"] for m in standin.messages_to(ALICE)
                     if "确认" in str(m.get("reply_markup")))
    standin.inject_callback(ALICE, message_id, "d:ok")

    async def queued() -> int:
        async with db.session() as s:
            return await s.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.status.in_(OWED)))

    await wait_for(lambda: standin.served_429 >= 2, what="429 answers")
    # Both chats are held by the 429s (the outbox sends to chats side by side): the resident's answer
    # and the officer's photo, pin and card are owed, at least one of each chat at the kill.
    assert await queued() >= 2
    bot.kill()
    bot.start()

    async def drained() -> bool:
        return await queued() == 0

    await wait_for(drained, what="the outbox to drain", timeout=180)  # 3 s retry_afters on a loaded machine
    async with db.session() as s:
        cases = (await s.execute(select(Case))).scalars().all()
        unfinished = await s.scalar(select(func.count()).select_from(InboundUpdate)
                                    .where(InboundUpdate.status != "done"))
    await db.dispose()
    assert len(cases) == 1 and unfinished == 0
    ticket = cases[0].ticket
    alice, wang = texts_to(standin, ALICE), texts_to(standin, WANG)
    assert sum("已受理" in t and ticket in t for t in alice) == 1
    assert sum(t.startswith("工单 " + ticket) for t in wang) == 1
    assert sum(bool(r["chat_id"] == WANG and r.get("photo")) for r in standin.sent) == 1
    assert sum(bool(r["chat_id"] == WANG and r.get("location")) for r in standin.sent) == 1
    assert len(alice) == len(set(alice))  # every message to the resident exactly once
