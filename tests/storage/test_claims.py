"""Claims: one holder at a time for a person's updates or a chat's outbox, within a process on both
databases and across processes (here: separate engines, as separate processes have) on PostgreSQL,
where a holder whose connection dies lets go."""
from __future__ import annotations

import pytest

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
    async with theirs.hold(INBOX, 7) as taken:
        assert taken
    await mine.close(), await theirs.close()


@POSTGRES_ONLY
async def test_a_process_that_dies_lets_go(db, second_process):
    mine, theirs = SharedClaims(db.engine), SharedClaims(second_process.engine)
    assert await mine._take(OUTBOX, 300001)  # the lock alone, never given back: the process dies holding it
    async with theirs.hold(OUTBOX, 300001) as taken:
        assert not taken
    await mine.close()  # its connection closes, as a killed process's does
    async with theirs.hold(OUTBOX, 300001) as taken:
        assert taken
    await theirs.close()
