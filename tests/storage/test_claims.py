"""Claims: one holder at a time for a person's updates or a chat's outbox, within a process on both
databases and across processes (here: separate engines, as separate processes have) on PostgreSQL,
where a holder whose connection dies lets go."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from storage.claims import INBOX, OUTBOX, SharedClaims, claims_for
from storage.db import Database


async def test_a_claim_has_one_holder_in_a_process(db):
    claims = claims_for(db.engine)
    async with claims.hold(INBOX, 42) as first:
        async with claims.hold(INBOX, 42) as second:
            assert (first, second) == (True, False)
        async with claims.hold(OUTBOX, 42) as other_kind, claims.hold(INBOX, 43) as other_key:
            assert other_kind and other_key
    async with claims.hold(INBOX, 42) as again:
        assert again  # given back at the end of the block
    await claims.close()


@pytest.fixture
async def second_process(config):
    other = Database(config.database.url)
    yield other
    await other.dispose()


POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite: one process


@POSTGRES_ONLY
async def test_a_claim_has_one_holder_across_processes(db, second_process):
    mine, theirs = SharedClaims(db.engine), SharedClaims(second_process.engine)
    async with mine.hold(INBOX, 7) as held:
        async with theirs.hold(INBOX, 7) as taken:
            assert (held, taken) == (True, False)
        async with theirs.hold(INBOX, 8) as other:
            assert other
    await mine.settle()  # the give-back is not waited for by the holder
    async with theirs.hold(INBOX, 7) as taken:
        assert taken
    await mine.close(), await theirs.close()


@POSTGRES_ONLY
async def test_a_process_that_dies_lets_go(db, second_process):
    mine, theirs = SharedClaims(db.engine), SharedClaims(second_process.engine)
    assert await mine._take_all(OUTBOX, [300001]) == [True]  # the lock alone, never given back: the process dies holding it
    async with theirs.hold(OUTBOX, 300001) as taken:
        assert not taken
    await mine.close()  # its connection closes, as a killed process's does
    async with theirs.hold(OUTBOX, 300001) as taken:
        assert taken
    await theirs.close()


@pytest.fixture
def lock_statements(db):
    """The advisory-lock statements the process's claims send."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if "advisory" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine.sync_engine, "before_cursor_execute", record)


@POSTGRES_ONLY
async def test_claims_asked_at_once_go_in_one_statement(db, second_process, lock_statements):
    mine, theirs = SharedClaims(db.engine), SharedClaims(second_process.engine)
    held: dict[int, bool] = {}

    async def work_on(key: int) -> None:
        async with mine.hold(OUTBOX, key) as taken:
            held[key] = taken

    async with theirs.hold(OUTBOX, 5):
        await asyncio.gather(*(work_on(key) for key in (4, 5, 6)))
        await mine.settle()
    assert held == {4: True, 5: False, 6: True}
    assert len(lock_statements) == 2  # the three takes; the two give-backs
    async with theirs.hold(OUTBOX, 4) as four, theirs.hold(OUTBOX, 6) as six:
        assert four and six
    await mine.close(), await theirs.close()


@POSTGRES_ONLY
async def test_a_claim_taken_again_before_its_give_back_went_out_is_kept(db, second_process, lock_statements):
    mine, theirs = SharedClaims(db.engine), SharedClaims(second_process.engine)
    async with mine.hold(INBOX, 9) as first:
        pass
    async with mine.hold(INBOX, 9) as again:  # the first give-back had not gone out yet
        async with theirs.hold(INBOX, 9) as taken:
            assert (first, again, taken) == (True, True, False)
    await mine.settle()
    assert len(lock_statements) == 2  # one take, one give-back
    async with theirs.hold(INBOX, 9) as taken:
        assert taken
    await mine.close(), await theirs.close()
