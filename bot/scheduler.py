"""APScheduler drives the Supervisor: a frequent sweep and the digests at their local times.

The job store is APScheduler's memory store, on purpose: the jobs are three fixed ones (ids
`deadline-sweep`, `digest-officer_morning`, `digest-supervisor_daily`, added with
`replace_existing=True`), and everything they act on is data in the database — each case's
deadlines and next check, the steps done, the digests sent. A restart therefore loses nothing:
the sweep runs once at start and does whatever fell due while no process ran, and a digest
missed by at most `digests.catch_up` is sent late (APScheduler's misfire grace is the same
value). Persisting the jobs themselves (SQLAlchemyJobStore) would add a synchronous database
driver and pickled callables without adding information.

Several bot processes may each run a scheduler; only the holder of the database lease acts
(bot/supervision.py). Misfires: `coalesce=True` (a sweep that missed several runs runs once),
`max_instances=1` (a slow sweep is never overlapped by the next).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config
from bot.deadlines import parse_amount, parse_clock
from bot.supervision import Supervisor

log = logging.getLogger(__name__)


class Scheduler(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


class ApsScheduler:
    def __init__(self, supervisor: Supervisor, config: Config) -> None:
        self.supervisor, self.config = supervisor, config
        self.aps: AsyncIOScheduler | None = None

    def start(self) -> None:
        days, rest = parse_amount(self.config.digests.catch_up)
        grace = max(1, int(days * 86400 + rest.total_seconds()))
        self.aps = AsyncIOScheduler(timezone=self.config.tz, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": grace})
        self.aps.add_job(self._tick, IntervalTrigger(seconds=self.config.scheduler.sweep_seconds),
                         id="deadline-sweep", replace_existing=True, next_run_time=datetime.now(timezone.utc))
        for kind in ("officer_morning", "supervisor_daily"):
            at = getattr(self.config.digests, kind)
            if at:
                moment = parse_clock(at)
                self.aps.add_job(self._tick, CronTrigger(hour=moment.hour, minute=moment.minute,
                                                         timezone=self.config.tz),
                                 id=f"digest-{kind}", replace_existing=True)
        self.aps.start()

    async def _tick(self) -> None:
        try:
            await self.supervisor.tick()
        except Exception:  # the next run tries again; the scheduler must keep going
            log.exception("scheduled tick failed")

    async def stop(self) -> None:
        await self.supervisor.close()
        if self.aps is not None and self.aps.running:
            self.aps.shutdown(wait=False)
        self.aps = None
