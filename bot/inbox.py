"""Every inbound message stored by its channel id before anything else can fail.

A redelivered update does nothing twice; one left `received` by a killed process is replayed
at the next start, in order.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.hygiene import bounded_id, clean_payload
from storage.db import Database
from storage.models import InboundUpdate


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def receive(self, update_id: int, user_id: int | None, payload: dict[str, Any], now: datetime) -> bool:
        """Store the update (once); False when it was handled already and must be left alone."""
        async with self.db.session() as session:
            row = await session.get(InboundUpdate, update_id)
            if row is None:
                session.add(InboundUpdate(update_id=update_id, tg_user_id=bounded_id(user_id),
                                          payload=clean_payload(payload),
                                          status="received", received_at=now))
                return True
            return row.status not in ("done", "failed")

    @staticmethod
    async def mark(session: AsyncSession, update_id: int, status: str, now: datetime, error: str | None = None) -> None:
        """Mark the update handled, in the transaction of what handling it changed."""
        await session.execute(update(InboundUpdate).where(InboundUpdate.update_id == update_id)
                              .values(status=status, handled_at=now, error=error))

    async def settle(self, update_id: int, status: str, now: datetime, error: str | None = None) -> None:
        async with self.db.session() as session:
            await self.mark(session, update_id, status, now, error)

    async def prune(self, before: datetime, now: datetime) -> int:
        """Empty the payloads of settled updates that arrived before `before` (privacy.retention_days),
        group chatter included; the id and status stay, so a redelivery is still recognised.
        Returns how many were emptied."""
        async with self.db.session() as session:
            result = await session.execute(update(InboundUpdate).where(
                InboundUpdate.pruned_at.is_(None), InboundUpdate.received_at < before,
                InboundUpdate.status != "received").values(payload={}, pruned_at=now))
        return result.rowcount

    async def unfinished(self) -> list[dict[str, Any]]:
        """Payloads of updates stored but never handled (the last process died), oldest first."""
        async with self.db.session() as session:
            rows = (await session.execute(select(InboundUpdate.payload).where(InboundUpdate.status == "received")
                                          .order_by(InboundUpdate.update_id))).scalars().all()
        return list(rows)
