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
from dataclasses import dataclass
from typing import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

INBOX, OUTBOX = 1, 2  # what is claimed: a person's updates (by Telegram user id), a chat's outbox


class Claims:
    """Claims kept in this process's memory: enough where one process works alone (SQLite)."""

    shared = False  # whether other processes claim too (then what was read before a claim may have changed)

    def __init__(self) -> None:
        self._held: set[tuple[int, int]] = set()

    @asynccontextmanager
    async def hold(self, kind: int, key: int) -> AsyncIterator[bool]:
        """True inside the block when the claim was taken (it is given back afterwards); False
        when someone else holds it."""
        async with self.hold_all(kind, [key]) as taken:
            yield key in taken

    @asynccontextmanager
    async def hold_all(self, kind: int, keys: list[int]) -> AsyncIterator[set[int]]:
        """The keys whose claims were taken, held until the block ends: taken together and given
        back together (on PostgreSQL, one statement each). The others someone else holds."""
        wanted = [key for key in dict.fromkeys(keys) if (kind, key) not in self._held]
        self._held.update((kind, key) for key in wanted)  # before the await: a lock is re-entrant for its own connection
        taken: set[int] = set()
        try:
            taken = {key for key, took in zip(wanted, await self._take_all(kind, wanted)) if took}
        finally:  # those not taken, or all when the taker was cancelled
            self._held.difference_update((kind, key) for key in wanted if key not in taken)
        try:
            yield taken
        finally:
            self._held.difference_update((kind, key) for key in taken)
            self._give_back_all(kind, taken)

    async def _take_all(self, kind: int, keys: list[int]) -> list[bool]:
        return [True] * len(keys)

    def _give_back_all(self, kind: int, keys: set[int]) -> None:
        return None

    async def close(self) -> None:
        self._held.clear()


class SharedClaims(Claims):
    """Claims every process sharing the PostgreSQL database respects (advisory locks). The key is
    folded into the lock's 32 bits by hashint8: two keys that fold alike only wait for each other.

    What the process's holders ask while a statement is under way goes together in the next one
    (one round trip for many takes and give-backs). A give-back is not waited for: it goes with
    whatever is asked next, or alone at once; a claim taken again before its give-back went out
    is simply kept."""

    shared = True

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._turn = asyncio.Lock()  # one statement at a time on the connection
        self._asks: list[_Ask] = []  # asked, not yet sent
        self._asker: asyncio.Task | None = None  # sending what is asked, while anything is

    async def _take_all(self, kind: int, keys: list[int]) -> list[bool]:
        asks = [self._asked_to_take((kind, key)) for key in keys]  # None: kept, its give-back not yet gone
        try:
            await asyncio.shield(asyncio.gather(*(ask.future for ask in asks if ask is not None)))
        except asyncio.CancelledError:  # taken for nobody: each given back, once its answer came
            for key, ask in zip(keys, asks):
                if ask is None:
                    self._ask(_Ask((kind, key)))
                else:
                    ask.future.add_done_callback(lambda done, claim=ask.claim: done.result() and self._ask(_Ask(claim)))
            raise
        return [ask is None or ask.future.result() for ask in asks]

    def _asked_to_take(self, claim: tuple[int, int]) -> "_Ask | None":
        for ask in self._asks:
            if ask.claim == claim and ask.future is None:  # given back, not yet let go: still ours
                self._asks.remove(ask)
                return None
        ask = _Ask(claim, asyncio.get_running_loop().create_future())
        self._ask(ask)
        return ask

    def _give_back_all(self, kind: int, keys: set[int]) -> None:
        for key in sorted(keys):
            self._ask(_Ask((kind, key)))

    def _ask(self, ask: "_Ask") -> None:
        self._asks.append(ask)
        if self._asker is None or self._asker.done():
            self._asker = asyncio.create_task(self._send_asks(), name="claims")

    async def _send_asks(self) -> None:
        """Send what was asked, in order, one statement per batch. A batch that fails counts its
        takes as not taken, and drops the connection, which lets go of every claim it held."""
        while self._asks:
            asks, self._asks = self._asks, []
            try:
                answers = await self._statement(asks)
            except Exception:
                log.warning("%s claims could not be checked or given back; the connection is dropped",
                            len(asks), exc_info=True)
                await self._drop()
                answers = [False] * len(asks)
            for ask, answer in zip(asks, answers):
                if ask.future is not None:
                    ask.future.set_result(bool(answer))

    async def _statement(self, asks: "list[_Ask]") -> list[bool]:
        async with self._turn:
            if self._connection is None:
                self._connection = await self.engine.connect()
                await self._connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await self._connection.execute(_TAKE_OR_GIVE_BACK, {
                "kinds": [ask.claim[0] for ask in asks], "keys": [ask.claim[1] for ask in asks],
                "takes": [ask.future is not None for ask in asks]})
            return list(result.scalars())

    async def settle(self) -> None:
        """Wait until everything asked so far was answered (every give-back let go)."""
        while self._asker is not None and not self._asker.done():
            await asyncio.wait([self._asker])

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
        await self.settle()
        await self._drop()
        await super().close()


@dataclass
class _Ask:
    """A claim to take (its future is told whether it was) or to give back (no future)."""

    claim: tuple[int, int]
    future: "asyncio.Future[bool] | None" = None


# Takes and give-backs in the order asked (the rows are evaluated after the sort by their place).
_TAKE_OR_GIVE_BACK = text(
    "SELECT CASE WHEN r.take THEN pg_try_advisory_lock(r.kind, hashint8(r.key))"
    " ELSE pg_advisory_unlock(r.kind, hashint8(r.key)) END"
    " FROM unnest(CAST(:kinds AS integer[]), CAST(:keys AS bigint[]), CAST(:takes AS boolean[]))"
    " WITH ORDINALITY AS r(kind, key, take, place) ORDER BY r.place")


def claims_for(engine: AsyncEngine) -> Claims:
    return SharedClaims(engine) if engine.dialect.name == "postgresql" else Claims()
