"""APScheduler drives the Supervisor: one in-memory interval job ticks it every `scheduler.sweep_seconds`.

A tick does everything due at that moment (bot/supervision.py): the deadline sweep and the
digests. APScheduler keeps no schedule worth persisting: each case's deadlines and next check are
columns of its row, and a digest is due once its local time has come today, for at most
`digests.catch_up`, with `digest_runs` recording each kind and day. The first tick runs at start,
so whatever fell due while no process ran is done then, and a missed digest goes out once.

`coalesce=True`, `max_instances=1` and no misfire grace limit: a slow tick is never overlapped by
the next, and ticks missed while the loop was busy run once, however late.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config
from bot.supervision import Supervisor

log = logging.getLogger(__name__)

TICK = "supervisor-tick"


class ApsScheduler:
    def __init__(self, supervisor: Supervisor, config: Config) -> None:
        self.supervisor, self.config = supervisor, config
        self.aps: AsyncIOScheduler | None = None

    def start(self) -> None:
        self.aps = AsyncIOScheduler(timezone=self.config.tz, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self.aps.add_job(self.tick, IntervalTrigger(seconds=self.config.scheduler.sweep_seconds),
                         id=TICK, next_run_time=datetime.now(timezone.utc))
        self.aps.start()

    async def tick(self) -> None:
        try:
            await self.supervisor.tick()
        except Exception:  # the next run tries again; the scheduler must keep going
            log.exception("scheduled tick failed")

    async def stop(self) -> None:
        """Finish the tick in progress and hand back the lease."""
        await self.supervisor.close()
        if self.aps is not None and self.aps.running:
            self.aps.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback
        self.aps = None
