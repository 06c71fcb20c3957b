"""The composition root: configuration, database, NLU, district index, Telegram and the outbox, wired once.

`BotRuntime` is what `gridsec run`, `gridsec demo`, `gridsec simulate` and the tests start and stop.
"""
from __future__ import annotations

import logging
import os

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.district import SAMPLE_DIR
from bot.district.files import load_district
from bot.district.importer import import_district, load_grid_index, load_place_matcher
from bot.outbox import OutboxWorker
from gridsec.scheduler import ApsScheduler
from bot.services import Services
from bot.supervision import Supervisor
from handlers.render import OutboxNotifier
from handlers.sender import TelegramSender
from handlers.supervision import OutboxDigests
from handlers.updates import register
from nlu.client import build_nlu
from storage.db import Database
from storage.models import Grid
from storage.photos import PhotoStore

log = logging.getLogger(__name__)

# Loopback traffic (the stand-in, a local Rasa) must never go through a proxy.
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
# Have PTB report retry_after as a timedelta now rather than warn that it will.
os.environ.setdefault("PTB_TIMEDELTA", "true")


async def ensure_district(db: Database, config: Config) -> None:
    """A fresh database gets the configured district, or the bundled sample, so the bot can route at once."""
    async with db.session() as session:
        if await session.scalar(select(func.count()).select_from(Grid)):
            return
        source = config.resolve_path(config.district.dir) if config.district.dir else SAMPLE_DIR
        log.info("empty database: importing district from %s", source)
        await import_district(session, load_district(source))


async def build_services(config: Config, clock: Clock | None = None) -> Services:
    db = Database(config.database.url)
    await db.upgrade()
    await ensure_district(db, config)
    async with db.session() as session:
        grids = await load_grid_index(session)
        places = await load_place_matcher(session)
    nlu = build_nlu(config.nlu.backend, config.nlu.url, config.nlu.timeout_seconds)
    return Services(config=config, clock=clock or SystemClock(), db=db, nlu=nlu, grids=grids, places=places,
                    photos=PhotoStore(config.resolve_path(config.storage.photo_dir)),
                    notifier_for=lambda mail: OutboxNotifier(mail, config))


def build_application(services: Services) -> Application:
    tg = services.config.telegram
    application = (ApplicationBuilder().token(tg.token or "1:LOCAL").base_url(tg.base_url)
                   .base_file_url(tg.file_base_url).build())
    application.bot_data["services"] = services
    register(application)
    return application


def build_supervisor(services: Services) -> Supervisor:
    """The deadline sweep and digests, queuing through the same outbox as everything else."""
    return Supervisor(services.db, services.clock, services.config, services.notifier_for,
                      OutboxDigests(services.config), on_queued=services.queued)


class BotRuntime:
    """Starts and stops the whole bot; `mode` is polling or webhook (webhook needs `webhook_url`)."""

    def __init__(self, config: Config, clock: Clock | None = None, *, services: Services | None = None) -> None:
        self.config, self.clock = config, clock
        self.services = services
        self.application: Application | None = None
        self.outbox: OutboxWorker | None = None
        self.supervisor: Supervisor | None = None  # deadlines and digests; ticked by `scheduler`
        self.scheduler: ApsScheduler | None = None

    async def start(self, *, mode: str | None = None, webhook_url: str | None = None, port: int | None = None) -> None:
        if self.services is None:
            self.services = await build_services(self.config, self.clock)
        self.application = build_application(self.services)
        await self.application.initialize()
        self.outbox = OutboxWorker(self.services.db, TelegramSender(self.application.bot), self.config.outbox)
        self.services.outbox = self.outbox
        await self.application.start()
        mode = mode or self.config.telegram.mode
        hook = self.config.telegram.webhook
        if mode == "webhook":
            await self.application.updater.start_webhook(
                listen=hook.listen, port=port or hook.port, url_path=hook.url_path,
                webhook_url=webhook_url or hook.url, secret_token=hook.secret_token or None,
                allowed_updates=Update.ALL_TYPES)
        else:
            await self.application.updater.start_polling(poll_interval=0.0, timeout=10,
                                                         allowed_updates=Update.ALL_TYPES)
        self.outbox.start()
        await self.replay_unfinished()
        self.supervisor = build_supervisor(self.services)
        if self.config.scheduler.enabled:
            self.scheduler = ApsScheduler(self.supervisor, self.config)
            self.scheduler.start()

    async def replay_unfinished(self) -> int:
        """Updates stored but not handled when the last process died are handled now, in order."""
        payloads = await self.services.inbox.unfinished()
        for payload in payloads:
            log.info("replaying update %s left unfinished", payload.get("update_id"))
            await self.application.process_update(Update.de_json(payload, self.application.bot))
        return len(payloads)

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        elif self.supervisor is not None:
            await self.supervisor.close()
        if self.application is not None:
            if self.application.updater.running:
                await self.application.updater.stop()
            if self.application.running:
                await self.application.stop()
            if self.outbox is not None:
                await self.outbox.stop()
            await self.application.shutdown()
            self.application = None
        if self.services is not None:
            close = getattr(self.services.nlu, "close", None)
            if close is not None:
                await close()
            await self.services.db.dispose()
