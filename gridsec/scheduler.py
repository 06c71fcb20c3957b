"""APScheduler drives the Supervisor: a frequent sweep and the digests at their local times.

Two job stores, on purpose:

- **The deadline sweep** (`deadline-sweep`, every `scheduler.sweep_seconds`) lives in a memory
  store. Its schedule carries no information: it runs once at start anyway and then does whatever
  fell due while no process ran, because everything it acts on is data (each case's deadlines and
  next check, the steps done). Persisting it would mean writing its next run time to the database
  every few seconds from the event loop's thread (APScheduler 3's job stores are synchronous, and
  AsyncIOScheduler runs them on the loop), and on SQLite that write waits for the database's only
  write lock, which an open transaction of this very loop may hold: the loop would block on itself.
- **The digests** (`digest-officer_morning`, `digest-supervisor_daily`) live in APScheduler's
  SQLAlchemyJobStore, table `apscheduler_jobs` of the bot's own database (created by migration
  0004), through a synchronous engine on the same database (`storage.db.sync_url`). A restart
  keeps their next run time, so a digest whose time passed while no process ran fires once at
  start (`coalesce=True`) when it is at most `digests.catch_up` late (the misfire grace time) and
  is reported missed otherwise. The store is read at every wakeup of the scheduler (at least once
  a sweep) and written only when a digest runs (twice a day) or the configuration changed. Every
  tick also checks for due digests and records each run per kind and day (`digest_runs`), so a
  digest goes out once, and a job store that fails now and then delays one by a sweep at most.

A stored job is pickled, so it names its function by reference: `run_digest(name, kind)`, which
finds the scheduler registered under `name` in this process (`ApsScheduler.name`, the same in
every process, so a job stored by one process runs in any other) and ticks its Supervisor.

At start the scheduler starts paused and brings the stored digest jobs in line with the
configuration (in a worker thread, see `store_engine`), then runs (`ApsScheduler.ready`). Never a
blind replace, which recomputes the next run time and would drop a missed digest: a stored job
whose trigger matches is kept with its next run time (other settings, e.g. the grace time, are
updated in place); one whose time of day or time zone changed is replaced; one whose digest is
no longer configured is removed.

Several bot processes may share the store and each run a scheduler; only the holder of the
database lease acts (bot/supervision.py), so a stored digest job that every process runs when it
is due still sends the digest once. Two processes starting together may both find a digest job
missing and both add it: the second insert hits the primary key, APScheduler raises
ConflictingIdError, and that process keeps the job the first one stored (the same job). Likewise
a job another process removed or replaced meanwhile is left as that process left it. A scheduler
round that fails on the store (a lost connection, SQLite's write lock not granted within
`STORE_LOCK_WAIT`) is logged and retried after APScheduler's `jobstore_retry_interval` instead of
stopping the scheduler, sweep included (`_AsyncIOScheduler`).

Misfires: `coalesce=True` (a job that missed several runs runs once), `max_instances=1` (a slow
sweep is never overlapped by the next), `misfire_grace_time = digests.catch_up`.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Protocol

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler, run_in_event_loop
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, create_engine, event

from bot.config import Config
from bot.supervision import Supervisor
from storage.db import sync_url

log = logging.getLogger(__name__)

SWEEP = "deadline-sweep"
DIGESTS = ("officer_morning", "supervisor_daily")
MEMORY, STORED = "default", "digests"  # job store aliases
STORE_LOCK_WAIT = 1.0  # seconds a SQLite job store write on the loop's thread waits for the lock (see store_engine)

_running: dict[str, "ApsScheduler"] = {}  # name → the started scheduler of that name in this process


async def run_digest(name: str, kind: str) -> None:
    """What a stored digest job calls (by reference, `gridsec.scheduler:run_digest`): a tick of the
    Supervisor of the scheduler running under `name` in this process, which sends `kind` if due."""
    scheduler = _running.get(name)
    if scheduler is None:
        log.warning("digest %s is due but no scheduler %r runs in this process", kind, name)
        return
    await scheduler.tick()


def store_engine(config: Config) -> Engine:
    """The job store's synchronous engine on the bot's database. On SQLite a connection waits for
    the write lock at most STORE_LOCK_WAIT on the event loop's thread (where APScheduler stores a
    digest's next run time, and where the lock may be held by a transaction of that very loop, which
    cannot finish while the loop waits) and up to 10 s on any other thread."""
    engine = create_engine(sync_url(config.database.url), pool_recycle=1800, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        def busy_timeout(dbapi_connection, _record, _proxy) -> None:
            try:
                asyncio.get_running_loop()
                wait = STORE_LOCK_WAIT
            except RuntimeError:  # not the loop's thread
                wait = 10.0
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            cursor.close()

        event.listen(engine, "checkout", busy_timeout)
    return engine


def digest_job_id(kind: str) -> str:
    return f"digest-{kind}"


class Scheduler(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


class _AsyncIOScheduler(AsyncIOScheduler):
    """AsyncIOScheduler whose wakeup survives a job store error after the due jobs were read.

    APScheduler retries a failed read of due jobs itself, but an error while storing a job's next
    run time (or a JobLookupError for a job another process removed meanwhile) escapes `wakeup`,
    and then no timer is set again: every job, the sweep too, would stop for good."""

    @run_in_event_loop
    def wakeup(self) -> None:
        self._stop_timer()
        try:
            wait_seconds = self._process_jobs()
        except Exception:
            log.exception("scheduler round failed; retrying in %s s", self.jobstore_retry_interval)
            wait_seconds = self.jobstore_retry_interval
        self._start_timer(wait_seconds)


class ApsScheduler:
    def __init__(self, supervisor: Supervisor, config: Config, *, name: str = "gridsec") -> None:
        self.supervisor, self.config, self.name = supervisor, config, name
        self.aps: AsyncIOScheduler | None = None
        self.ready: asyncio.Task | None = None
        self.grace = max(1, int(config.digests.catch_up.total_seconds()))  # seconds a run may be late

    def start(self) -> None:
        """Start paused; `ready` brings the stored digest jobs in line, then lets the jobs run."""
        self.aps = _AsyncIOScheduler(
            timezone=self.config.tz,
            jobstores={MEMORY: MemoryJobStore(), STORED: SQLAlchemyJobStore(engine=store_engine(self.config))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.grace})
        self.aps.add_job(self.tick, IntervalTrigger(seconds=self.config.scheduler.sweep_seconds),
                         id=SWEEP, jobstore=MEMORY, next_run_time=datetime.now(timezone.utc))
        self.aps.start(paused=True)  # nothing runs before the stored jobs are in order
        _running[self.name] = self
        self.ready = asyncio.get_running_loop().create_task(self._open())

    async def _open(self) -> None:
        # in a worker thread: on SQLite a store write waits for the write lock, which a transaction
        # of this loop may hold; waiting on the loop's own thread would keep it from ever finishing
        try:
            await asyncio.to_thread(self._reconcile_digests)
        except Exception:  # the sweep's ticks still send digests, at most one sweep late
            log.exception("could not bring the stored digest jobs in line with the configuration")
        if self.aps is not None and self.aps.state == STATE_PAUSED:
            self.aps.resume()

    def _reconcile_digests(self) -> None:
        """Keep, update, replace or remove the stored digest jobs to match the configuration."""
        aps, tz = self.aps, self.config.tz
        wanted: dict[str, tuple[str, CronTrigger]] = {}
        for kind in DIGESTS:
            at = getattr(self.config.digests, kind)
            if at is not None:
                wanted[digest_job_id(kind)] = (kind, CronTrigger(hour=at.hour, minute=at.minute, timezone=tz))
        stored = {job.id: job for job in aps.get_jobs(jobstore=STORED)}
        for job_id in stored.keys() - wanted.keys():
            log.info("digest job %s removed: its digest is no longer configured", job_id)
            self._quietly(aps.remove_job, job_id, STORED)
        for job_id, (kind, trigger) in wanted.items():
            settings = {"args": (self.name, kind), "name": f"{kind} digest", "misfire_grace_time": self.grace,
                        "coalesce": True, "max_instances": 1, "executor": "default"}
            job = stored.get(job_id)
            if job is None:
                self._quietly(aps.add_job, run_digest, trigger, id=job_id, jobstore=STORED, **settings)
            elif repr(job.trigger) != repr(trigger):
                log.info("digest job %s rescheduled: %r → %r", job_id, job.trigger, trigger)
                self._quietly(aps.add_job, run_digest, trigger, id=job_id, jobstore=STORED,
                              replace_existing=True, **settings)
            elif job.func_ref != f"{__name__}:run_digest" or any(
                    getattr(job, key) != value for key, value in settings.items()):
                # settings only: the stored next run time stays, so a missed digest still fires
                self._quietly(aps.modify_job, job_id, STORED, func=run_digest, **settings)

    @staticmethod
    def _quietly(change, *args, **kwargs) -> None:
        """A store change that another process may have made or undone at the same moment."""
        try:
            change(*args, **kwargs)
        except (ConflictingIdError, JobLookupError) as exc:
            log.info("digest job changed by another process meanwhile (%r); keeping what it stored", exc)

    async def tick(self) -> None:
        try:
            await self.supervisor.tick()
        except Exception:  # the next run tries again; the scheduler must keep going
            log.exception("scheduled tick failed")

    async def stop(self) -> None:
        """Finish the tick in progress and hand back the lease; the stored digest jobs stay as they are."""
        if self.ready is not None:
            await self.ready
        await self.supervisor.close()
        if self.aps is not None and self.aps.running:
            self.aps.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback (closing the store's engine)
        if _running.get(self.name) is self:
            del _running[self.name]
        self.aps = None
