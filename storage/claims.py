"""Who works on what when several bot processes share one database.

A person's next update and a chat's outbox are each worked on by one process at a time, so a
person's updates are handled in order and once, and a chat's messages go out in order and once.
On PostgreSQL a claim is a session-level advisory lock taken on one connection the process keeps
for its claims: a process that dies lets go of all of them at once (its connection closes), and
the work it held is found again by whoever claims it next. SQLite has a single writer and runs
in one process, so there the claims are kept in that process's memory.

A claim that cannot be checked (the database away) counts as not taken: the work waits.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

INBOX, OUTBOX = 1, 2  # what is claimed: a person's updates (by Telegram user id), a chat's outbox


class Claims:
    """Claims kept in this process's memory: enough where one process works alone (SQLite)."""

    def __init__(self) -> None:
        self._held: set[tuple[int, int]] = set()

    @asynccontextmanager
    async def hold(self, kind: int, key: int) -> AsyncIterator[bool]:
        """True inside the block when the claim was taken (it is given back afterwards); False
        when someone else holds it."""
        claim = (kind, key)
        if claim in self._held:
            yield False
            return
        self._held.add(claim)  # before the await: a lock is re-entrant for its own connection
        if not await self._take(kind, key):
            self._held.discard(claim)
            yield False
            return
        try:
            yield True
        finally:
            self._held.discard(claim)
            await self._give_back(kind, key)

    async def _take(self, kind: int, key: int) -> bool:
        return True

    async def _give_back(self, kind: int, key: int) -> None:
        return None

    async def close(self) -> None:
        self._held.clear()


class SharedClaims(Claims):
    """Claims every process sharing the PostgreSQL database respects (advisory locks). The key is
    folded into the lock's 32 bits by hashint8: two keys that fold alike only wait for each other."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._turn = asyncio.Lock()  # one statement at a time on the connection

    async def _take(self, kind: int, key: int) -> bool:
        try:
            return bool(await self._ask("SELECT pg_try_advisory_lock(:kind, hashint8(:key))", kind, key))
        except Exception:
            log.warning("claim %s/%s could not be checked; left for later", kind, key, exc_info=True)
            await self._drop()
            return False

    async def _give_back(self, kind: int, key: int) -> None:
        try:
            await self._ask("SELECT pg_advisory_unlock(:kind, hashint8(:key))", kind, key)
        except Exception:  # the connection is gone, and the lock with it
            log.warning("claim %s/%s could not be given back; the connection is dropped", kind, key, exc_info=True)
            await self._drop()

    async def _ask(self, statement: str, kind: int, key: int):
        async with self._turn:
            if self._connection is None:
                self._connection = await self.engine.connect()
                await self._connection.execution_options(isolation_level="AUTOCOMMIT")
            return await self._connection.scalar(text(statement), {"kind": kind, "key": key})

    async def _drop(self) -> None:
        """Forget the connection (its locks went with it); the next claim opens another."""
        async with self._turn:
            connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()  # not back to the pool: it may still hold locks
                await connection.close()
            except Exception:
                log.debug("closing the claims connection failed", exc_info=True)

    async def close(self) -> None:
        await self._drop()
        await super().close()


def claims_for(engine: AsyncEngine) -> Claims:
    return SharedClaims(engine) if engine.dialect.name == "postgresql" else Claims()
