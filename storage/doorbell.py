"""A doorbell between the processes sharing one PostgreSQL database: whoever stores work rings in
the same transaction (NOTIFY, delivered when it commits), and every process listening wakes at once
instead of at its next idle look. One process alone (SQLite) has nobody to wake: there it is silent.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

log = logging.getLogger(__name__)

INBOX_CHANNEL = "gridsec_inbox"  # updates stored, waiting to be handled


async def ring(session: AsyncSession, channel: str) -> None:
    """Wake the listeners on `channel` once this transaction commits (PostgreSQL); nothing elsewhere."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Doorbell:
    """Listens on a channel on a connection of its own and calls `on_ring` for each notification.
    If that connection is lost, the processes still find the work at their next idle look."""

    def __init__(self, engine: AsyncEngine, channel: str, on_ring: Callable[[], None]) -> None:
        self.engine, self.channel, self.on_ring = engine, channel, on_ring
        self._connection: AsyncConnection | None = None

    async def start(self) -> None:
        if self.engine.dialect.name != "postgresql":
            return
        self._connection = await self.engine.connect()
        raw = await self._connection.get_raw_connection()
        await raw.driver_connection.add_listener(self.channel, self._heard)

    def _heard(self, *_notification) -> None:
        self.on_ring()

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.invalidate()  # its LISTEN ends with it, not back in the pool
                await connection.close()
            except Exception:
                log.debug("closing the doorbell's connection failed", exc_info=True)
