"""Updates in from Telegram: stored before they are acknowledged, handled from the inbox.

PTB's own Updater acknowledges a fetched batch (the next getUpdates offset, the webhook's 200)
as soon as the updates sit in its memory queue; a kill then loses all of them. Here the channel
(`Polling` or `Webhook`) stores every batch in one transaction and acknowledges only after it is
committed, and the `Dispatcher` feeds what is stored and unhandled into the PTB Application,
so a restart finishes everything Telegram considers delivered. An update PTB cannot parse is
stored as `unparsable`, logged once and skipped; the offset moves past it.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import RetryAfter
from telegram.ext import Application

from bot.clock import Clock
from bot.inbox import UNPARSABLE, Arrival, Inbox
from bot.worker import BackgroundWorker
from storage.claims import INBOX, Claims

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def arrival(raw: Any, bot: Bot) -> Arrival:
    """Classify one update as delivered: whose it is, or why PTB cannot read it."""
    payload = raw if isinstance(raw, dict) else {"unreadable": raw}
    update_id = payload.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2 ** 63:
        return Arrival(_stand_in_id(payload), None, payload, "no usable update_id")
    try:
        update = Update.de_json(payload, bot)
    except Exception as exc:  # whatever the installed PTB fails on (an older or newer Bot API)
        return Arrival(update_id, None, payload, f"{type(exc).__name__}: {exc}"[:500])
    user = update.effective_user
    return Arrival(update_id, user.id if user else None, payload)


def _stand_in_id(payload: dict) -> int:
    """A key for an update without an id: negative (never a real id) and the same on redelivery."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).digest()
    return -int.from_bytes(digest[:7], "big") - 1


class Ingest:
    """What both channels share: classify a batch, store it in one transaction, wake the dispatcher."""

    def __init__(self, inbox: Inbox, bot: Bot, clock: Clock, on_stored: Callable[[], None]) -> None:
        self.inbox, self.bot, self.clock, self.on_stored = inbox, bot, clock, on_stored

    async def store(self, batch: list[Any]) -> list[Arrival]:
        """Raises when the batch could not be stored: then it must not be acknowledged."""
        arrivals = [arrival(raw, self.bot) for raw in batch]
        now = self.clock.now()
        try:
            fresh = await self.inbox.store(arrivals, now)
        except Exception as exc:
            fresh = await self._one_by_one(arrivals, now, exc)
        for bad in (a for a in fresh if a.unparsable):
            log.error("update %s cannot be handled (%s): stored as %s and skipped", bad.update_id,
                      bad.unparsable, UNPARSABLE)
        if fresh:
            self.on_stored()
        return arrivals

    async def _one_by_one(self, arrivals: list[Arrival], now, batch_error: Exception) -> list[Arrival]:
        """The batch failed: store its updates singly, so that one the database refuses (a value its
        JSON type rejects) is kept as text, unparsable, instead of holding up every later update.
        When even that fails, the database itself is away: raise, and nothing is acknowledged."""
        fresh = []
        for one in arrivals:
            try:
                fresh += await self.inbox.store([one], now)
            except Exception as exc:
                kept = Arrival(one.update_id, None, {"unstorable": json.dumps(one.payload, default=str)[:20000]},
                               f"cannot be stored: {type(exc).__name__}: {exc}"[:500])
                fresh += await self.inbox.store([kept], now)
        log.warning("a batch of %d updates could not be stored at once (%s); stored one by one",
                    len(arrivals), type(batch_error).__name__)
        return fresh


class Trouble:
    """One log line when a loop starts failing and one when it recovers, not one per retry."""

    def __init__(self, what: str, first: float = 0.5, longest: float = 30.0) -> None:
        self.what, self.first, self.longest = what, first, longest
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        """Note a failure; returns how long to wait before the next try."""
        if self.failures == 0:
            log.warning("%s failed (%s: %s); retrying quietly", self.what, type(exc).__name__, exc)
        self.failures += 1
        return min(self.first * 2 ** (self.failures - 1), self.longest)

    def ok(self) -> None:
        if self.failures:
            log.warning("%s works again after %d failed attempts", self.what, self.failures)
        self.failures = 0


class Polling:
    """getUpdates in a loop; the next offset (which acknowledges) only once the batch is stored."""

    LIMIT = 100

    def __init__(self, ingest: Ingest, bot: Bot, timeout: int = 10) -> None:
        self.ingest, self.bot, self.timeout = ingest, bot, timeout
        self.offset: int | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="polling")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        trouble = Trouble("getUpdates")
        webhook_deleted = False
        while True:
            try:
                if not webhook_deleted:  # Telegram refuses getUpdates while a webhook is set
                    webhook_deleted = await self.bot.delete_webhook()
                await self.poll_once()
                trouble.ok()
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
            except Exception as exc:  # network, Telegram or database trouble: the batch is fetched again
                await asyncio.sleep(trouble.failed(exc))

    async def poll_once(self) -> None:
        # Method names are case-insensitive on Telegram; this spelling is not a Bot attribute, so PTB
        # does not warn that Bot.getUpdates exists (that one parses the batch, which may fail).
        batch = await self.bot.do_api_request(
            "getupdates", api_kwargs={"offset": self.offset, "limit": self.LIMIT, "timeout": self.timeout,
                                      "allowed_updates": list(Update.ALL_TYPES)},
            return_type=None, read_timeout=self.timeout + 10)
        if not isinstance(batch, list):
            raise TypeError(f"getUpdates answered {type(batch).__name__}, not a list")
        arrivals = await self.ingest.store(batch)
        ids = [a.update_id for a in arrivals if a.update_id >= 0]
        if ids:
            self.offset = max(ids) + 1
        elif arrivals:  # only updates without an id: no offset can pass them, so do not spin on them
            await asyncio.sleep(1.0)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class Webhook:
    """The webhook served here: checks Telegram's secret, stores the update, then answers 200;
    500 when it could not be stored, so Telegram delivers it again."""

    def __init__(self, ingest: Ingest, bot: Bot, *, listen: str, port: int, path: str, url: str,
                 secret: str | None, register: bool = True) -> None:
        self.ingest, self.bot, self.register = ingest, bot, register
        self.listen, self.port, self.path, self.url, self.secret = listen, port, "/" + path.lstrip("/"), url, secret
        self.trouble = Trouble("storing a webhook update")
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        if self.register:
            await self.bot.set_webhook(self.url, secret_token=self.secret or None,
                                       allowed_updates=list(Update.ALL_TYPES))

    async def stop(self) -> None:
        """Stop listening; the webhook stays set, so Telegram keeps what comes meanwhile."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if self.secret and not hmac.compare_digest(given, self.secret.encode()):
            return web.Response(status=403)
        body = await request.read()
        try:
            raw = json.loads(body)
        except ValueError:
            raw = body.decode("utf-8", "replace")
        try:
            await self.ingest.store([raw])
        except Exception as exc:
            self.trouble.failed(exc)
            return web.Response(status=500)
        self.trouble.ok()
        return web.Response(status=200)


class Dispatcher(BackgroundWorker):
    """Feeds what the inbox holds unhandled into the PTB Application, one update at a time: each
    person's updates in order, everybody's in rounds (Inbox.round_after). An update whose handling
    could not even record a failure (the database away) is set aside and tried again later."""

    IDLE_SECONDS = 5.0  # look again even unwoken: rows another process stored, set-asides come due
    RETRY_SECONDS = 30.0
    # A round's people are claimed this many at a time (one statement for their claims, one for
    # giving them back with the next few's): few enough that another process finds others to take.
    CLAIMED_AT_ONCE = 4

    name = "dispatcher"

    def __init__(self, inbox: Inbox, application: Application, clock: Clock, claims: Claims | None = None) -> None:
        super().__init__()
        self.inbox, self.application, self.clock = inbox, application, clock
        self.claims = claims or Claims()
        self.set_aside: dict[int, float] = {}  # update_id -> monotonic time it may be tried again
        self._last_round: list[int] = []  # handled by the last round: the next one checks they were settled

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the update under way (a kill would replay it; a stop need not), then stop."""
        await super().stop(grace)

    async def _run(self) -> None:
        trouble = Trouble("reading the inbox")
        while not self._stopping:
            self._wake.clear()  # before the round: a wake() during it must not be lost
            try:
                handled = await self.one_round()
                trouble.ok()
            except Exception as exc:
                await asyncio.sleep(trouble.failed(exc))
                continue
            if not handled and not self._stopping:
                await self._idle(self.IDLE_SECONDS)

    async def one_round(self) -> int:
        """Handle the oldest unhandled update of every person whose updates no other process is
        handling; returns how many were handled. The round starts at a random person, so processes
        sharing the inbox do not all queue for the same one. The statement that reads the round also
        says which of the last round's updates are still waiting: those are set aside."""
        now = time.monotonic()
        self.set_aside = {i: due for i, due in self.set_aside.items() if due > now}
        this = await self.inbox.round_after(self._last_round, skip=self.set_aside)
        for update_id in this.still_waiting:
            log.warning("update %s could not be handled or marked failed; trying again in %.0f s",
                        update_id, self.RETRY_SECONDS)
            self.set_aside[update_id] = now + self.RETRY_SECONDS
        heads = this.heads
        start = random.randrange(len(heads)) if heads else 0
        heads = heads[start:] + heads[:start]
        ids: list[int] = []
        self._last_round = ids  # filled as the round goes: a stop midway leaves it right
        for at in range(0, len(heads), self.CLAIMED_AT_ONCE):
            if self._stopping:
                break
            few = heads[at:at + self.CLAIMED_AT_ONCE]
            async with self.claims.hold_all(INBOX, [head.user_id or 0 for head in few]) as mine:
                claimed = [head for head in few if (head.user_id or 0) in mine]
                if claimed and self.claims.shared:  # another process may have handled some since the round was read
                    waiting = await self.inbox.waiting_among([head.update_id for head in claimed])
                    claimed = [head for head in claimed if head.update_id in waiting]
                for head in claimed:  # one handled meanwhile all the same commits nothing (Inbox.mark)
                    if self._stopping:
                        break
                    ids.append(head.update_id)
                    await self.handle(head.payload)
        return len(ids) or len(this.still_waiting)

    async def handle(self, payload: dict) -> None:
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception as exc:  # stored readable, unreadable now: a different PTB since
            log.error("stored update %s cannot be parsed (%s): marked %s", payload["update_id"], exc, UNPARSABLE)
            await self.inbox.settle(payload["update_id"], UNPARSABLE, self.clock.now(), f"{type(exc).__name__}: {exc}")
            return
        await self.application.process_update(update)

