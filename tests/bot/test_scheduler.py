"""The scheduler (gridsec/scheduler.py) on SQLite and PostgreSQL: its first tick at start sends a
digest missed while no process ran (within `digests.catch_up`) once, never again after another
restart or by a second process, skips one missed for longer, and a failing tick does not stop it.

The schedulers here run for real (APScheduler on the wall clock, the Supervisor on the system clock).
Digest times are chosen relative to now in an `Etc/GMT` zone where it is about noon, so no time
used here crosses midnight, whenever the test runs.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.people import create_invite, ensure_person, redeem_invite
from bot.supervision import Supervisor
from gridsec.scheduler import ApsScheduler
from handlers.render import OutboxNotifier
from handlers.supervision import OutboxDigests
from storage.db import Database
from storage.models import DigestRun, OutboxMessage

LEADER = "YX-O00008"  # a grid leader of the sample district: gets the supervisor_daily digest
LEADER_CHAT = 900001


class CountingSupervisor(Supervisor):
    """The real Supervisor, counting the ticks it finished; its first `failures` ticks fail."""

    attempts = ticks = failures = 0

    async def tick(self):
        self.attempts += 1
        if self.attempts <= self.failures:
            raise RuntimeError("simulated failing tick")
        report = await super().tick()
        self.ticks += 1
        return report


def midday_zone(now: datetime) -> ZoneInfo:
    """A fixed-offset zone in which `now` is between 12:00 and 13:00 (Etc/GMT+N is N hours behind UTC)."""
    return ZoneInfo(f"Etc/GMT{now.hour - 12:+d}")


def daily_digest_at(config, late: timedelta):
    """The config with only the supervisors' digest, due `late` ago in a zone where it is about noon."""
    now = datetime.now(timezone.utc)
    zone = midday_zone(now)
    due = (now - late).astimezone(zone).strftime("%H:%M")
    return config.copy_with(timezone=zone.key, digests=config.digests.copy_with(
        officer_morning="", supervisor_daily=due))


async def until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def start(db):
    """await start(config) → a started ApsScheduler on the test database; all stopped after the test."""
    running: list[ApsScheduler] = []

    async def make(cfg, failures: int = 0) -> ApsScheduler:
        clock = SystemClock()
        supervisor = CountingSupervisor(db, clock, cfg, lambda mail: OutboxNotifier(mail, cfg), OutboxDigests(cfg))
        supervisor.failures = failures
        scheduler = ApsScheduler(supervisor, cfg)
        scheduler.start()
        running.append(scheduler)
        return scheduler

    yield make
    for scheduler in running:
        if scheduler.aps is not None:
            await scheduler.stop()


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


async def run_once(start, cfg) -> ApsScheduler:
    """A process that starts, does its first tick, and stops."""
    scheduler = await start(cfg)
    await until(lambda: scheduler.supervisor.ticks >= 1)
    await scheduler.stop()
    return scheduler


async def test_a_digest_missed_within_catch_up_is_sent_once_after_a_restart(config, db, start):
    cfg = daily_digest_at(config, late=timedelta(minutes=30))  # digests.catch_up is 2h
    assert cfg.digests.catch_up == timedelta(hours=2)
    await join_leader(db)
    await run_once(start, cfg)  # the first start after the downtime
    runs, texts = await digests_sent(db)
    assert runs == 1 and len(texts) == 1 and "日报" in texts[0]

    await run_once(start, cfg)  # a restart the same day
    second, third = await start(cfg), await start(cfg)  # two processes at once
    await until(lambda: second.supervisor.ticks >= 1 and third.supervisor.ticks >= 1)
    assert await digests_sent(db) == (1, texts)


async def test_a_digest_missed_beyond_catch_up_is_skipped(config, db, start):
    cfg = daily_digest_at(config, late=timedelta(hours=2, minutes=30))
    await join_leader(db)
    await run_once(start, cfg)
    assert await digests_sent(db) == (0, [])


async def test_a_failing_tick_does_not_stop_the_scheduler(config, db, start):
    cfg = daily_digest_at(config, late=timedelta(minutes=30)).copy_with(
        scheduler=config.scheduler.copy_with(sweep_seconds=0.05))
    await join_leader(db)
    scheduler = await start(cfg, failures=2)
    await until(lambda: scheduler.supervisor.ticks >= 1)
    await scheduler.stop()
    assert scheduler.supervisor.attempts >= 3
    assert (await digests_sent(db))[0] == 1
