"""The inbox on SQLite and PostgreSQL: a batch stored once, unparsable updates kept but never
handed out, and handling in rounds so that one person's backlog does not hold up everyone."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.inbox import DONE, Arrival, Inbox
from storage.db import Database
from storage.models import InboundUpdate

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
BUSY, QUIET, OTHER = 501, 502, 503


def text(update_id: int, user: int) -> Arrival:
    return Arrival(update_id, user, {"update_id": update_id, "message": {"text": f"#{update_id}"}})


@pytest.fixture
async def inbox(config):
    db = Database(config.database.url)
    yield Inbox(db)
    await db.dispose()


async def statuses(inbox: Inbox) -> dict[int, str]:
    async with inbox.db.session() as s:
        return dict((await s.execute(select(InboundUpdate.update_id, InboundUpdate.status))).all())


async def test_a_batch_is_stored_once_and_a_redelivery_changes_nothing(inbox):
    fresh = await inbox.store([text(1, BUSY), text(2, QUIET)], NOW)
    assert [a.update_id for a in fresh] == [1, 2]
    await inbox.settle(1, DONE, NOW)
    again = await inbox.store([text(1, BUSY), text(2, QUIET), text(3, OTHER)], NOW)
    assert [a.update_id for a in again] == [3]
    assert await statuses(inbox) == {1: "done", 2: "received", 3: "received"}
    assert (await inbox.round_after([1, 2, 99])).still_waiting == {2}  # 1 handled, 99 never stored


async def test_an_unparsable_update_is_kept_with_its_reason_and_never_handed_out(inbox):
    broken = Arrival(7, None, {"update_id": 7, "callback_query": {"id": "1"}}, "TypeError: no is_bot")
    await inbox.store([broken, text(8, QUIET)], NOW)
    async with inbox.db.session() as s:
        row = await s.get(InboundUpdate, 7)
    assert (row.status, row.error, row.payload) == ("unparsable", "TypeError: no is_bot", broken.payload)
    unparsable = await inbox.round_after([7])
    assert ([w.update_id for w in unparsable.heads], unparsable.still_waiting) == ([8], set())


async def test_rounds_take_one_update_per_person_oldest_first(inbox):
    await inbox.store([text(i, BUSY) for i in range(1, 51)] + [text(51, QUIET), text(52, OTHER), text(53, QUIET)],
                      NOW)
    first = [w.update_id for w in (await inbox.round_after()).heads]
    assert first == [1, 51, 52]  # the busy person's fifty wait their turn, one per round
    for update_id in first:
        await inbox.settle(update_id, DONE, NOW)
    assert [w.update_id for w in (await inbox.round_after()).heads] == [2, 53]
    assert [w.update_id for w in (await inbox.round_after(skip={2})).heads] == [3, 53]
    assert (await inbox.round_after([2, 51, 53])).still_waiting == {2, 53}


async def test_a_round_read_with_the_last_one_says_which_of_those_still_wait(inbox):
    """The dispatcher reads each round together with which of the last round's updates are still
    waiting (their handling could not even mark them failed): those are not handed out again."""
    await inbox.store([text(1, BUSY), text(2, BUSY), text(51, QUIET), text(52, OTHER)], NOW)
    first = await inbox.round_after()
    assert ([w.update_id for w in first.heads], first.still_waiting) == ([1, 51, 52], set())
    await inbox.settle(51, DONE, NOW)
    await inbox.settle(52, DONE, NOW)
    second = await inbox.round_after([1, 51, 52, 99])  # 1 not settled; 99 never stored
    assert ([w.update_id for w in second.heads], second.still_waiting) == ([], {1})
    third = await inbox.round_after([], skip={1})  # set aside: the busy person's next one goes on
    assert ([w.update_id for w in third.heads], third.still_waiting) == ([2], set())
    assert third.heads[0].payload == text(2, BUSY).payload and third.heads[0].user_id == BUSY


async def test_two_processes_storing_the_same_updates_at_once_store_each_once(inbox, config):
    """Telegram redelivering to a second webhook worker while the first stores the same batch."""
    other = Inbox(Database(config.database.url))
    batch = [text(i, BUSY) for i in range(1, 21)]
    first, second = await asyncio.gather(inbox.store(batch, NOW), other.store(batch[::-1], NOW))
    await other.db.dispose()
    assert sorted(a.update_id for a in first + second) == list(range(1, 21))  # each new to exactly one
    assert await statuses(inbox) == {i: "received" for i in range(1, 21)}
