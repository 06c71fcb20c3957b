"""The composition root: configuration, database, NLU, district index, Telegram and the outbox, wired once.

`BotRuntime` is what `gridsec run`, `gridsec demo`, `gridsec simulate` and the tests start and stop.
"""
from __future__ import annotations

import logging
import os

from sqlalchemy import func, select
from telegram.ext import Application, ApplicationBuilder

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.district import SAMPLE_DIR
from bot.district.files import load_district
from bot.district.importer import import_district, load_grid_index, load_place_matcher
from bot.outbox import OutboxWorker
from gridsec.ingest import Dispatcher, Ingest, Polling, Webhook
from gridsec.scheduler import ApsScheduler
from gridsec.web_server import WebServer
from bot.services import Services
from bot.supervision import Supervisor
from handlers.render import OutboxNotifier
from handlers.sender import TelegramSender
from handlers.supervision import OutboxDigests
from handlers.updates import register
from nlu.client import build_nlu
from storage.claims import Claims, claims_for
from storage.db import Database
from storage.doorbell import INBOX_CHANNEL, Doorbell
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
    nlu = build_nlu(config.nlu.backend, config.nlu.url, config.nlu.timeout_seconds, config.nlu.servers)
    return Services(config=config, clock=clock or SystemClock(), db=db, nlu=nlu, grids=grids, places=places,
                    photos=PhotoStore(config.resolve_path(config.storage.photo_dir)),
                    notifier_for=lambda mail: OutboxNotifier(mail, config))


def build_application(services: Services) -> Application:
    tg = services.config.telegram
    # No Updater: it would acknowledge updates before they are stored (gridsec/ingest.py does it instead).
    application = (ApplicationBuilder().token(tg.token or "1:LOCAL").base_url(tg.base_url)
                   .base_file_url(tg.file_base_url).updater(None).build())
    application.bot_data["services"] = services
    register(application)
    return application


def build_supervisor(services: Services) -> Supervisor:
    """The deadline sweep and digests, queuing through the same outbox as everything else."""
    return Supervisor(services.db, services.clock, services.config, services.notifier_for,
                      OutboxDigests(services.config), on_queued=services.queued)


class BotRuntime:
    """Starts and stops the whole bot; `mode` is polling or webhook (webhook needs `webhook_url`).

    Updates come in through gridsec/ingest.py, not PTB's Updater: stored before they are
    acknowledged, then handled from the inbox by the dispatcher."""

    def __init__(self, config: Config, clock: Clock | None = None, *, services: Services | None = None) -> None:
        self.config, self.clock = config, clock
        self.services = services
        self.application: Application | None = None
        self.channel: Polling | Webhook | None = None  # where updates come in
        self.dispatcher: Dispatcher | None = None  # feeds stored updates into the application
        self.outbox: OutboxWorker | None = None
        self.claims: Claims | None = None  # which person and chat this process works on (storage/claims.py)
        self.doorbell: Doorbell | None = None  # woken by updates other processes store (storage/doorbell.py)
        self.supervisor: Supervisor | None = None  # deadlines and digests; ticked by `scheduler`
        self.scheduler: ApsScheduler | None = None
        self.web: WebServer | None = None  # the command centre, when config.web.enabled

    async def start(self, *, mode: str | None = None, webhook_url: str | None = None, port: int | None = None,
                    register_webhook: bool = True) -> None:
        """`register_webhook`: tell Telegram the webhook's URL (one of several workers does it)."""
        if self.services is None:
            self.services = await build_services(self.config, self.clock)
        services = self.services
        if self.config.web.enabled:  # first: a port in use stops the start before anything runs
            self.web = WebServer(services)
            try:
                await self.web.start()
            except Exception:
                self.web = None
                await self.stop()  # closes the services
                raise
        self.application = build_application(services)
        await self.application.initialize()
        self.claims = claims_for(services.db.engine)
        self.outbox = OutboxWorker(services.db, TelegramSender(self.application.bot), self.config.outbox,
                                   claims=self.claims)
        services.outbox = self.outbox
        await self.application.start()
        self.dispatcher = Dispatcher(services.inbox, self.application, services.clock, self.claims)
        self.doorbell = Doorbell(services.db.engine, INBOX_CHANNEL, self.dispatcher.wake)
        await self.doorbell.start()  # updates another process stored wake this one's dispatcher too
        self.dispatcher.start()  # first what the last process stored and did not handle
        ingest = Ingest(services.inbox, self.application.bot, services.clock, self.dispatcher.wake)
        if (mode or self.config.telegram.mode) == "webhook":
            hook = self.config.telegram.webhook
            self.channel = Webhook(ingest, self.application.bot, listen=hook.listen, port=port or hook.port,
                                   path=hook.url_path, url=webhook_url or hook.url, secret=hook.secret_token,
                                   register=register_webhook)
        else:
            self.channel = Polling(ingest, self.application.bot)
        await self.channel.start()
        self.outbox.start()
        self.supervisor = build_supervisor(services)
        if self.config.scheduler.enabled:
            self.scheduler = ApsScheduler(self.supervisor, self.config)
            self.scheduler.start()

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        elif self.supervisor is not None:
            await self.supervisor.close()
        if self.channel is not None:
            await self.channel.stop()
            self.channel = None
        if self.dispatcher is not None:
            await self.dispatcher.stop()
            self.dispatcher = None
        if self.application is not None:
            if self.application.running:
                await self.application.stop()
            if self.outbox is not None:
                await self.outbox.stop()
            await self.application.shutdown()
            self.application = None
        if self.doorbell is not None:
            await self.doorbell.close()
            self.doorbell = None
        if self.claims is not None:
            await self.claims.close()
            self.claims = None
        if self.services is not None:
            close = getattr(self.services.nlu, "close", None)
            if close is not None:
                await close()
            await self.services.db.dispose()
