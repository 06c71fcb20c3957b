"""The digest jobs' persistent job store (gridsec/scheduler.py), on SQLite and PostgreSQL: a restart keeps
one job per digest and its next run time, a digest missed while no process ran fires once at start
within the grace time and is reported missed after it, a changed time replaces the job, an empty one
removes it, and stop() leaves the store as it was.

The schedulers here run for real (APScheduler on the wall clock, the Supervisor on the system clock).
Digest times are chosen relative to now in an `Etc/GMT` zone where it is about noon, so no time
used here crosses midnight, whenever the test runs.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import func, select, text

from gridsec import scheduler as scheduling
from bot.clock import Clock, ManualClock, SystemClock
from bot.people import create_invite, ensure_person, redeem_invite
from gridsec.scheduler import STORED, SWEEP, ApsScheduler, digest_job_id
from bot.supervision import Supervisor
from handlers.render import OutboxNotifier
from handlers.supervision import OutboxDigests
from storage.db import Database, sync_url
from storage.models import DigestRun, OutboxMessage

LEADER = "YX-O00008"  # a grid leader of the sample district: gets the supervisor_daily digest
LEADER_CHAT = 900001
MORNING, DAILY = digest_job_id("officer_morning"), digest_job_id("supervisor_daily")


class CountingSupervisor(Supervisor):
    """The real Supervisor, counting its ticks (one per sweep run, one per digest job run)."""

    ticks = 0

    async def tick(self):
        self.ticks += 1
        return await super().tick()


def midday_zone(now: datetime) -> ZoneInfo:
    """A fixed-offset zone in which `now` is between 12:00 and 13:00 (Etc/GMT+N is N hours behind UTC)."""
    return ZoneInfo(f"Etc/GMT{now.hour - 12:+d}")


def digest_config(config, zone: ZoneInfo, **digests):
    return config.copy_with(timezone=zone.key, digests=config.digests.copy_with(**digests))


def clock_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def today_at(hhmm: str, zone: ZoneInfo) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.now(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.fixture
async def db(config):
    database = Database(config.database.url)
    yield database
    await database.dispose()


@pytest.fixture
async def start(db):
    """await start(config, clock=...) → an ApsScheduler on the test database, its stored jobs in order
    and its jobs running; `.events` lists its jobs' runs, misses and errors. All stopped after the test."""
    running: list[ApsScheduler] = []

    async def make(cfg, clock: Clock | None = None) -> ApsScheduler:
        clock = clock or SystemClock()
        supervisor = CountingSupervisor(db, clock, cfg, lambda s: OutboxNotifier(s, clock, cfg), OutboxDigests(cfg))
        scheduler = ApsScheduler(supervisor, cfg)
        scheduler.start()
        running.append(scheduler)
        scheduler.events = record(scheduler)
        await scheduler.ready
        return scheduler

    yield make
    for scheduler in running:
        if scheduler.aps is not None:
            await scheduler.stop()


def record(scheduler: ApsScheduler) -> list[tuple[str, int]]:
    """(job id, event code) of every run, miss and error from now on (no job runs before `ready`)."""
    events: list[tuple[str, int]] = []
    scheduler.aps.add_listener(lambda e: events.append((e.job_id, e.code)),
                               EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return events


async def until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def stored(db: Database) -> dict[str, float]:
    """job id → next run time (UTC timestamp), as the table holds them."""
    async with db.session() as s:
        return dict((await s.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))).all())


def set_next_run_time(url: str, job_id: str, when: datetime) -> None:
    """Rewrite a stored job's next run time, as if no process had been running when it came."""
    store = SQLAlchemyJobStore(url=sync_url(url))
    store.start(None, STORED)
    try:
        job = store.lookup_job(job_id)
        job.next_run_time = when
        store.update_job(job)
    finally:
        store.shutdown()


async def join_leader(db: Database) -> None:
    now = datetime.now(timezone.utc)
    async with db.session() as s:
        person = await ensure_person(s, LEADER_CHAT, LEADER_CHAT, "liang", None, now)
        invite = await create_invite(s, now, timedelta(hours=1), officer_id=LEADER)
        await redeem_invite(s, person, invite.code, now)


async def digests_sent(db: Database) -> tuple[int, list[str]]:
    """(digest_runs rows, texts queued to the leader)."""
    async with db.session() as s:
        runs = await s.scalar(select(func.count()).select_from(DigestRun))
        rows = (await s.execute(select(OutboxMessage.payload).where(OutboxMessage.chat_id == LEADER_CHAT))).scalars()
        return runs, [p.get("text", "") for p in rows]


# ---------------------------------------------------------------- restarts keep the schedule
async def test_starting_again_keeps_one_job_per_digest_and_its_next_run_time(config, db, start, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="gridsec.scheduler")
    zone = midday_zone(datetime.now(timezone.utc))
    cfg = digest_config(config, zone, officer_morning="20:00", supervisor_daily="22:00")
    first = await start(cfg)
    before = await stored(db)
    assert before == {MORNING: today_at("20:00", zone).timestamp(), DAILY: today_at("22:00", zone).timestamp()}
    second = await start(cfg)  # another process on the same database, while the first runs
    assert await stored(db) == before
    await first.stop()
    await second.stop()
    await start(cfg)  # a restart
    assert await stored(db) == before
    # two processes starting at once both find the jobs missing: the later inserts hit the primary key
    monkeypatch.setattr(scheduling._AsyncIOScheduler, "get_jobs", lambda self, jobstore=None: [])
    racer = await start(cfg)
    assert racer.aps.running and await stored(db) == before
    assert "ConflictingIdError" in caplog.text


# ---------------------------------------------------------------- a missed digest at start
async def test_a_digest_missed_within_the_grace_time_runs_once_at_start(config, db, start):
    now = datetime.now(timezone.utc)
    zone = midday_zone(now)
    due = now - timedelta(minutes=30)  # digests.catch_up is 2h
    cfg = digest_config(config, zone, officer_morning="", supervisor_daily=clock_time(due, zone))
    await join_leader(db)
    # a process ran last night: it stored the job, due today; then no process ran when it came
    await (await start(cfg, ManualClock(now - timedelta(hours=12)))).stop()
    scheduled = today_at(cfg.digests.supervisor_daily.strftime("%H:%M"), zone)
    assert await stored(db) == {DAILY: (scheduled + timedelta(days=1)).timestamp()}
    await asyncio.to_thread(set_next_run_time, cfg.database.url, DAILY, scheduled)

    scheduler = await start(cfg)
    events = scheduler.events
    await until(lambda: (DAILY, EVENT_JOB_EXECUTED) in events and (SWEEP, EVENT_JOB_EXECUTED) in events)
    assert sorted(events) == [(SWEEP, EVENT_JOB_EXECUTED), (DAILY, EVENT_JOB_EXECUTED)]
    # the sweep's first run and the digest job, once; either tick may be the one that queues the
    # digest (every tick checks for due digests), digest_runs makes it go out once
    assert scheduler.supervisor.ticks == 2
    runs, texts = await digests_sent(db)
    assert runs == 1 and len(texts) == 1 and "日报" in texts[0]
    assert await stored(db) == {DAILY: (scheduled + timedelta(days=1)).timestamp()}  # next: tomorrow


async def test_a_digest_missed_beyond_the_grace_time_is_skipped(config, db, start):
    now = datetime.now(timezone.utc)
    zone = midday_zone(now)
    due = now - timedelta(hours=2, minutes=30)
    cfg = digest_config(config, zone, officer_morning="", supervisor_daily=clock_time(due, zone))
    await join_leader(db)
    await (await start(cfg, ManualClock(now - timedelta(hours=12)))).stop()
    scheduled = today_at(cfg.digests.supervisor_daily.strftime("%H:%M"), zone)
    await asyncio.to_thread(set_next_run_time, cfg.database.url, DAILY, scheduled)

    scheduler = await start(cfg)
    events = scheduler.events
    await until(lambda: (DAILY, EVENT_JOB_MISSED) in events and (SWEEP, EVENT_JOB_EXECUTED) in events)
    assert sorted(events) == [(SWEEP, EVENT_JOB_EXECUTED), (DAILY, EVENT_JOB_MISSED)]
    assert scheduler.supervisor.ticks == 1  # the sweep only
    assert await digests_sent(db) == (0, [])
    assert await stored(db) == {DAILY: (scheduled + timedelta(days=1)).timestamp()}


# ---------------------------------------------------------------- configuration changes
async def test_a_changed_time_replaces_the_job_and_an_empty_one_removes_it(config, db, start):
    zone = midday_zone(datetime.now(timezone.utc))
    first = await start(digest_config(config, zone, officer_morning="20:00", supervisor_daily="22:00"))
    assert set(await stored(db)) == {MORNING, DAILY}
    await first.stop()

    second = await start(digest_config(config, zone, officer_morning="", supervisor_daily="21:30", catch_up="1h"))
    after = await stored(db)
    assert after == {DAILY: today_at("21:30", zone).timestamp()}
    job = second.aps.get_job(DAILY, STORED)
    assert "hour='21', minute='30'" in repr(job.trigger) and job.misfire_grace_time == 3600
    await second.stop()

    # only the grace time changed: the job is updated in place and keeps its next run time
    third = await start(digest_config(config, zone, officer_morning="", supervisor_daily="21:30", catch_up="30m"))
    assert await stored(db) == after
    assert third.aps.get_job(DAILY, STORED).misfire_grace_time == 1800


# ---------------------------------------------------------------- stop
async def test_stop_leaves_the_store_intact(config, db, start):
    zone = midday_zone(datetime.now(timezone.utc))
    scheduler = await start(digest_config(config, zone, officer_morning="20:00", supervisor_daily="22:00"))
    before = await stored(db)
    await scheduler.stop()
    assert scheduler.aps is None and "gridsec" not in scheduling._running
    assert await stored(db) == before

    def load() -> dict[str, tuple]:
        store = SQLAlchemyJobStore(url=sync_url(config.database.url))
        store.start(None, STORED)
        try:
            return {job.id: (job.func_ref, job.args) for job in store.get_all_jobs()}
        finally:
            store.shutdown()

    assert await asyncio.to_thread(load) == {
        MORNING: ("gridsec.scheduler:run_digest", ("gridsec", "officer_morning")),
        DAILY: ("gridsec.scheduler:run_digest", ("gridsec", "supervisor_daily"))}


async def test_a_failed_scheduler_round_is_retried_instead_of_stopping_the_scheduler(config, db, start):
    scheduler = await start(config)
    aps = scheduler.aps
    await until(lambda: scheduler.supervisor.ticks == 1)  # the first round ran the sweep
    aps.jobstore_retry_interval = 0.05
    process, calls = aps._process_jobs, []

    def failing_once():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("simulated job store failure")
        return process()

    aps._process_jobs = failing_once
    aps.wakeup()
    await until(lambda: len(calls) >= 2)  # woken again after jobstore_retry_interval
