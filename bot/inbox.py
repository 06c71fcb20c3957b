"""Every inbound update stored by its channel id before the channel is told it arrived.

The channel (gridsec/ingest.py) stores each fetched batch in one transaction and only then
acknowledges it, so whatever Telegram considers delivered is on disk. Handling reads from here:
what is stored and still `received` is handled, one person's updates in order, everyone's in
rounds; a process killed mid-way leaves the rest `received` for the next start. Several processes
may store and handle side by side (PostgreSQL): a person's updates are claimed by one at a time
(storage/claims.py), and an update is marked done only while it is still waiting (`mark`). An
update the channel could not parse is kept as `unparsable` and never handled.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.hygiene import bounded_id, clean_payload
from storage.db import Database, dialect_insert
from storage.doorbell import INBOX_CHANNEL, ring
from storage.models import InboundUpdate

log = logging.getLogger(__name__)

RECEIVED, DONE, FAILED, UNPARSABLE = "received", "done", "failed", "unparsable"


@dataclass(frozen=True)
class Arrival:
    """One update as the channel delivered it: its id, whose it is, and why it cannot be handled
    (`unparsable`), if it cannot."""

    update_id: int
    user_id: int | None
    payload: dict[str, Any]
    unparsable: str | None = None


class AlreadyHandled(Exception):
    """The update is not waiting: handled (or set aside) already, or never stored. Whatever handling
    it changed is rolled back with the transaction that tried to mark it."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} is not waiting to be handled")
        self.update_id = update_id


# The inbox is read and written with Core statements on its table, built once (bound parameters):
# an ORM-enabled statement costs two to three times the CPU, for nothing here.
_INBOUND = InboundUpdate.__table__
# Marked only while waiting, so a second handling cannot commit.
_MARK = (update(_INBOUND).where(_INBOUND.c.update_id == bindparam("update"), _INBOUND.c.status == RECEIVED)
         .values(status=bindparam("status"), handled_at=bindparam("now"), error=bindparam("error")))


_WAITING = _INBOUND.c.status == RECEIVED
_COLUMNS = (_INBOUND.c.update_id, _INBOUND.c.tg_user_id, _INBOUND.c.payload)
_HEADS = (select(func.min(_INBOUND.c.update_id))
          .where(_WAITING, _INBOUND.c.update_id.not_in(bindparam("skip", expanding=True)))
          .group_by(_INBOUND.c.tg_user_id))
_WAITING_AMONG = select(_INBOUND.c.update_id).where(_INBOUND.c.update_id.in_(bindparam("ids", expanding=True)),
                                                   _WAITING)
# A round's heads and the previous round's updates still waiting, in one round trip (two index
# lookups: an OR of the two would scan the table).
_ROUND = union_all(select(*_COLUMNS).where(_INBOUND.c.update_id.in_(_HEADS)),
                   select(*_COLUMNS).where(_INBOUND.c.update_id.in_(_WAITING_AMONG)))


@dataclass(frozen=True)
class Waiting:
    """A stored update not handled yet: whose it is (None: no person, such as a channel post)."""

    update_id: int
    user_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Round:
    """Inbox.round_after: the heads of this round, and the previous round's updates still waiting."""

    heads: list[Waiting]
    still_waiting: set[int]


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._store = (dialect_insert(db.engine)(_INBOUND).on_conflict_do_nothing(index_elements=["update_id"])
                       .returning(_INBOUND.c.update_id))

    async def store(self, arrivals: Sequence[Arrival], now: datetime) -> list[Arrival]:
        """Store a fetched batch in one statement; an update_id stored before (a redelivery, or
        another process storing the same update at the same moment) is left as it is.
        Rows go in update_id order: two processes storing overlapping batches then wait on the
        same first row instead of each holding a row the other needs (a deadlock on PostgreSQL).
        Returns the arrivals that were new."""
        by_id = {a.update_id: a for a in arrivals}
        if not by_id:
            return []
        rows = [{"update_id": a.update_id, "tg_user_id": bounded_id(a.user_id), "payload": clean_payload(a.payload),
                 "status": UNPARSABLE if a.unparsable else RECEIVED, "error": a.unparsable, "received_at": now}
                for a in sorted(by_id.values(), key=lambda a: a.update_id)]
        async with self.db.session() as session:
            stored = set((await session.execute(self._store, rows)).scalars())
            if stored:
                await ring(session, INBOX_CHANNEL)  # every process's dispatcher, once this commits
        return [a for a in by_id.values() if a.update_id in stored]

    async def round_after(self, previous: Collection[int] = (), skip: Collection[int] = ()) -> "Round":
        """The next round: the oldest unhandled update of each person who has one, oldest first, so one
        person's backlog of a thousand updates delays everybody else by one each. With it, in the
        same statement, which of the `previous` round's updates are still waiting (their handling
        could not even record a failure); those are not in the round."""
        async with self.db.session() as session:
            rows = (await session.execute(_ROUND, {"skip": list(skip), "ids": list(previous)})).all()
        again = {row.update_id for row in rows if row.update_id in previous}
        heads = {row.update_id: row for row in rows if row.update_id not in again}
        return Round([Waiting(*heads[i]) for i in sorted(heads)], again)

    async def waiting_among(self, update_ids: Collection[int]) -> set[int]:
        """Which of these updates are still waiting: those a round read that another process has not
        handled since."""
        async with self.db.session() as session:
            return set((await session.execute(_WAITING_AMONG, {"ids": list(update_ids)})).scalars())

    @classmethod
    async def mark(cls, session: AsyncSession, update_id: int, status: str, now: datetime,
                   error: str | None = None) -> None:
        """Mark the update handled, in the transaction of what handling it changed. Only an update
        stored and still waiting is marked; otherwise (never stored, or handled already) AlreadyHandled
        is raised, so that transaction, and everything handling it changed, is rolled back."""
        if not await cls.mark_if_waiting(session, update_id, status, now, error):
            raise AlreadyHandled(update_id)

    @staticmethod
    async def mark_if_waiting(session: AsyncSession, update_id: int, status: str, now: datetime,
                              error: str | None = None) -> bool:
        """Mark the update if it is stored and still waiting; whether it was."""
        marked = await session.execute(_MARK, {"update": update_id, "status": status, "now": now, "error": error})
        return marked.rowcount == 1

    async def settle(self, update_id: int, status: str, now: datetime, error: str | None = None) -> None:
        """Mark it in a transaction of its own; one handled already stays as it was."""
        try:
            async with self.db.session() as session:
                await self.mark(session, update_id, status, now, error)
        except AlreadyHandled:
            log.info("update %s was settled already (or never stored); left as it is", update_id)

    async def prune(self, before: datetime, now: datetime) -> int:
        """Empty the payloads of settled updates that arrived before `before` (privacy.retention_days),
        group chatter included; the id and status stay, so a redelivery is still recognised.
        Returns how many were emptied."""
        async with self.db.session() as session:
            result = await session.execute(update(_INBOUND).where(
                _INBOUND.c.pruned_at.is_(None), _INBOUND.c.received_at < before,
                _INBOUND.c.status != RECEIVED).values(payload={}, pruned_at=now))
        return result.rowcount
