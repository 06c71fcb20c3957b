"""Callbacks: a channel that filed a case with a callback URL is told of every public status change.

Each change is a `callback_deliveries` row written in the transaction of the change itself (as a
Telegram message is an outbox row), so a crash loses both or neither. The worker posts the rows in
order per case, one at a time; a failed post is retried with a doubling backoff, and a row in flight
when the last process stopped is posted again (the body is the request's whole current state, so a
second copy tells the receiver nothing new). What is posted is the channel adapter's business
(`Deliver`, web/open311_callbacks.py); this module only owes and retries.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Open311Config
from bot.outbox import OWED, PermanentFailure, RetryLater, backoff, wall_clock
from bot.worker import BackgroundWorker
from storage.db import Database
from storage.models import CallbackDelivery, Case, CaseEvent, ChannelRequest

log = logging.getLogger(__name__)


async def owe_callback(session: AsyncSession, case: Case, event: CaseEvent, now: datetime) -> None:
    """Queue `event` for the case's callback URL, if its channel gave one."""
    url = await session.scalar(select(ChannelRequest.callback_url).where(ChannelRequest.case_id == case.id))
    if url:
        session.add(CallbackDelivery(case_id=case.id, event_id=event.id, url=url, status="pending", attempts=0,
                                     next_attempt_at=wall_clock(), created_at=now))


class Deliver(Protocol):
    async def __call__(self, url: str, case_id: int, event_id: int, timeout: float) -> None:
        """POST the request's current state to `url`; raise RetryLater (try again) or
        PermanentFailure (never will work), or return once the receiver accepted it."""


class CallbackWorker(BackgroundWorker):
    name = "callbacks"
    IDLE = 5.0  # nothing owed: look again after this long (changes made in another process), or when woken
    BATCH = 50

    def __init__(self, db: Database, deliver: Deliver, config: Open311Config,
                 now: Callable[[], datetime] = wall_clock) -> None:
        super().__init__()
        self.db, self.deliver, self.config, self.now = db, deliver, config, now
        self.delivered = 0

    async def owed_count(self) -> int:
        async with self.db.session() as s:
            return await s.scalar(select(func.count()).select_from(CallbackDelivery)
                                  .where(CallbackDelivery.status.in_(OWED)))

    async def drain_once(self) -> float:
        """Post what is due, oldest first; a case whose earlier change still waits keeps its later
        ones waiting too, so a receiver sees a case's changes in order."""
        async with self.db.session() as s:
            rows = (await s.execute(select(CallbackDelivery).where(CallbackDelivery.status.in_(OWED))
                                    .order_by(CallbackDelivery.id).limit(self.BATCH))).scalars().all()
        waiting: set[int] = set()
        delay = self.IDLE
        for row in rows:
            if row.case_id in waiting:
                continue
            wait = (row.next_attempt_at - self.now()).total_seconds()
            if wait > 0 or not await self._post(row):
                waiting.add(row.case_id)
                delay = min(delay, max(wait, 0.01))
            if self._stopping:
                break
        return delay if len(rows) < self.BATCH else 0.01

    async def _post(self, row: CallbackDelivery) -> bool:
        """True when the row is settled (delivered or failed for good)."""
        async with self.db.session() as s:
            (await s.get(CallbackDelivery, row.id)).status = "sending"
        try:
            await self.deliver(row.url, row.case_id, row.event_id, self.config.callback_timeout_seconds)
        except PermanentFailure as exc:
            log.warning("callback %s to %s failed for good: %s", row.id, row.url, exc)
            await self._settle(row.id, "failed", str(exc))
            return True
        except Exception as exc:  # RetryLater, or anything unforeseen: retried, never dropped silently
            if not isinstance(exc, RetryLater):
                log.exception("callback %s: unexpected error", row.id)
            return await self._retry(row.id, str(exc) or repr(exc))
        self.delivered += 1
        await self._settle(row.id, "sent", None)
        return True

    async def _retry(self, delivery_id: int, error: str) -> bool:
        async with self.db.session() as s:
            fresh = await s.get(CallbackDelivery, delivery_id)
            fresh.attempts += 1
            fresh.last_error = error
            if fresh.attempts >= self.config.callback_attempts:
                fresh.status = "failed"
                log.error("callback %s to %s given up after %s attempts: %s", fresh.id, fresh.url,
                          fresh.attempts, error)
                return True
            fresh.status = "pending"
            fresh.next_attempt_at = self.now() + timedelta(seconds=backoff(
                fresh.attempts, self.config.callback_backoff_seconds, self.config.callback_backoff_max_seconds))
        return False

    async def _settle(self, delivery_id: int, status: str, error: str | None) -> None:
        async with self.db.session() as s:
            fresh = await s.get(CallbackDelivery, delivery_id)
            fresh.status, fresh.last_error = status, error or fresh.last_error
            fresh.sent_at = self.now() if status == "sent" else None
