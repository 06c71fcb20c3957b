"""The long-lived pieces the secretary is built from, assembled once by the composition root
(gridsec/app.py) and shared by every request of every channel."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import AsyncContextManager, Callable

from bot.clock import Clock
from bot.config import Config
from bot.desk import Caller, Desk, desk_for
from bot.district.geo import GridIndex
from bot.inbox import Inbox
from bot.limits import Limits
from bot.mailroom import Mailroom
from bot.outbox import Outgoing
from bot.places.matcher import PlaceMatcher
from bot.ports import Notifier
from bot.understanding import NluClient
from storage.db import Database
from storage.photos import PhotoStore


@dataclass
class Services:
    config: Config
    clock: Clock
    db: Database
    nlu: NluClient
    grids: GridIndex
    places: PlaceMatcher
    photos: PhotoStore
    notifier_for: Callable[[Mailroom], Notifier] | None = None  # the channel's renderer of case events
    outbox: "object | None" = field(default=None)  # the OutboxWorker, set once the transport exists
    callbacks: "object | None" = field(default=None)  # the CallbackWorker, where the API is served

    def __post_init__(self) -> None:
        self.inbox = Inbox(self.db)
        self.limits = Limits(self.config.limits)

    def locate(self, lat: float, lon: float) -> str | None:
        return self.grids.locate(lat, lon)

    def desk(self, caller: Caller) -> AsyncContextManager[Desk]:
        """The caller's desk in a transaction of its own, committed when the block ends without raising."""
        return desk_for(self, caller, self.notifier_for)

    async def failed(self, update_id: int | None, error: str, messages: list[Outgoing]) -> None:
        """Mark an update failed and queue what is owed for it (an apology, an alert) in one transaction,
        so whoever waits for the update to be settled also finds its messages. An update settled
        already keeps its status; the messages still go (PTB's error handler may come after it)."""
        async with self.db.session() as session:
            if update_id is not None:
                await Inbox.mark_if_waiting(session, update_id, "failed", self.clock.now(), error)
            mail = Mailroom(session)
            for message in messages:
                mail.send(message)

    async def set_aside(self, update_id: int, reason: str, messages: list[Outgoing]) -> None:
        """Mark an update handled without handling it (`reason` says why, e.g. rate-limited), and
        queue what is owed for it, in one transaction and without opening a desk."""
        async with self.db.session() as session:
            await Inbox.mark(session, update_id, "done", self.clock.now(), reason)
            mail = Mailroom(session)
            for message in messages:
                mail.send(message)

    def queued(self) -> None:
        """Messages (or callbacks) were queued: wake the senders rather than let them find them at their next poll."""
        for worker in (self.outbox, self.callbacks):
            if worker is not None:
                worker.wake()
