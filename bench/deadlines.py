#!/usr/bin/env python3
"""Deadlines at scale: one sweep over 100,000 open cases, and 10,000 pings falling due in the same minute.

    .venv/bin/python -m bench.deadlines [--quick] [--cases 100000] [--due 0.01] [--pings 10000]
                                        [--restart-pings 2000] [--skip-postgres] [--pg-url URL]

1. **sweep** (SQLite and PostgreSQL): `--cases` open cases with deadlines (all 接单-pending garbage
   cases spread over the sample district's grid officers), of which a fraction `--due` has its first
   reminder due now. Measured on a fresh copy of the same database each time:
   - *idle*: one sweep when nothing is due (the steady state between deadlines; median of 5);
   - *busy*: one sweep that sends the due reminders (timeline row, step row and outbox row each);
   - *baseline*: what a sweep without `next_check_at` would do: load every open case and ask the
     policy what is owed (`Policy.decide`), in the same run, on the same data.
   The busy sweep and the baseline each run in a fresh interpreter, so their memory is their own:
   how far the process's peak RSS rose during the measurement.
2. **pings** (SQLite, or `--pings-backend`): `--pings` reminders falling due within the same minute, for cases spread over
   1,000 officers' chats, sent through the stand-in with Telegram's flood limits enforced
   (`StandIn(enforce_rate_limits=True)`: 30 messages/s overall with a burst of 30, 1/s per chat with
   a burst of 3) and the outbox at its configured pace. From the moment the sweep starts to the
   moment the stand-in has accepted the last ping. The ideal is the limit itself: 30 at once, then
   one every 1/30 s, i.e. (N - 30) / 30 seconds. Also: 429s served, and whether every one was
   answered (each message it hit was sent later; no row left pending or failed).
3. **restart** (same database): `--restart-pings` reminders due at once; the bot is stopped (as on SIGTERM)
   while the sweep is a third of the way through, and a new process is started on the same
   database and stand-in. Every case must get exactly one reminder: lost = cases without one,
   duplicated = reminders beyond one per case.

Nothing is asserted; the figures depend on the machine. `--quick`: 10,000 cases, SQLite only,
1,000 pings, 300 across the restart (about two minutes). The default takes about 8-10 minutes, most
of it the 10,000 pings at Telegram's pace (5.5 minutes by themselves); `--pings-backend both` runs
the pings and the restart on PostgreSQL too (another 7 minutes).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import asyncpg  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from gridsec.app import BotRuntime, build_services, build_supervisor, ensure_district  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.deadlines import policy_for  # noqa: E402
from bot.lifecycle import OPEN, Status  # noqa: E402
from standin import StandIn  # noqa: E402
from bot.supervision import Supervisor, TickReport  # noqa: E402
from handlers.render import OutboxNotifier  # noqa: E402
from handlers.supervision import OutboxDigests  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Case, DeadlineStep, Officer, OfficerScope, OutboxMessage, Person  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # a Tuesday morning: working hours, no quiet hours
DEFAULT_PG = os.environ.get("GRIDSEC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CHATS = 1000  # officers (chats) the pings are spread over; --chats
WAIT_SLACK = 120.0


# ---------------------------------------------------------------- databases
class Backends:
    """Scratch databases: SQLite files in a temporary folder, PostgreSQL databases gridsec_bench_dl_*."""

    def __init__(self, pg_admin: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="gridsec-bench-dl-"))
        self.pg_admin = pg_admin
        self.pg_names: list[str] = []

    async def _pg(self, sql: str) -> None:
        conn = await asyncpg.connect(self.pg_admin, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def _pg_url(self, name: str) -> str:
        return self.pg_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name

    async def fresh(self, backend: str, template: str | None = None) -> str:
        """A new database: empty, or a copy of `template` (a URL returned earlier)."""
        if backend == "sqlite":
            path = self.tmp / f"{uuid.uuid4().hex[:8]}.db"
            if template:
                shutil.copy(template.split("///", 1)[1], path)
            return f"sqlite+aiosqlite:///{path}"
        name = f"gridsec_bench_dl_{uuid.uuid4().hex[:8]}"
        source = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        await self._pg(f'CREATE DATABASE "{name}"{source}')
        self.pg_names.append(name)
        return self._pg_url(name)

    async def cleanup(self) -> None:
        for name in self.pg_names:
            try:
                await self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                print(f"  (could not drop {name}: {exc})")
        shutil.rmtree(self.tmp, ignore_errors=True)


async def migrated(backends: Backends, backend: str, config) -> str:
    url = await backends.fresh(backend)
    db = Database(url)
    await db.upgrade()
    await ensure_district(db, config)
    await db.dispose()
    return url


# ---------------------------------------------------------------- data
def schedule(policy, start: datetime) -> dict:
    """The deadline columns of a garbage case dispatched at `start` (as CaseService would set them)."""
    probe = SimpleNamespace(status=Status.ASSIGNED, category="garbage", urgent=False, due_from=start,
                            deadline_round_at=start, resolved_at=None, accept_due_at=None, resolve_due_at=None)
    probe.accept_due_at, probe.resolve_due_at = policy.start(probe, start)
    return {"due_from": start, "accept_due_at": probe.accept_due_at, "resolve_due_at": probe.resolve_due_at,
            "deadline_round": 1, "deadline_round_at": start, "next_check_at": policy.next_check(probe, set(), start)}


async def join_officers(session, officers: list[Officer], first_tg: int) -> dict[str, int]:
    """Give each officer a joined person; returns officer id → person id."""
    people = {}
    for i, officer in enumerate(officers):
        person = Person(tg_user_id=first_tg + i, chat_id=first_tg + i, display_name=officer.name,
                        created_at=T0 - timedelta(days=30))
        session.add(person)
        await session.flush()
        officer.person_id = person.id
        people[officer.id] = person.id
    return people


async def add_cases(session, policy, n: int, assignees: list[tuple[str, str | None]], reporter_ids: list[int],
                    due: int, *, due_at: datetime, ticket_prefix: str) -> None:
    """`n` assigned garbage cases; the first reminder of `due` of them falls due by `due_at`, the
    others' later. `assignees`: (officer id, grid id), used round-robin."""
    rng = random.Random(7)
    half = timedelta(minutes=15)  # half of garbage's 30 minutes to accept: the first reminder
    rows = []
    for i in range(n):
        officer_id, grid_id = assignees[i % len(assignees)]
        if i < due:  # first reminders spread over the minute before due_at
            start = due_at - half - timedelta(seconds=60 * i / max(1, due))
        else:  # dispatched in the last 14 minutes: first reminder still ahead
            start = due_at - timedelta(seconds=rng.uniform(0, 14 * 60))
        rows.append({"ticket": f"{ticket_prefix}-{i:07d}", "status": Status.ASSIGNED, "source": "resident",
                     "category": "garbage", "urgent": False, "description": "楼下垃圾堆了三天了没人收",
                     "lat": 23.1291, "lon": 113.2644, "grid_id": grid_id, "reporter_id": reporter_ids[i % len(reporter_ids)],
                     "assignee_officer_id": officer_id, "created_at": start, "updated_at": start, "version": 1,
                     **schedule(policy, start)})
        if len(rows) == 5000:
            await session.execute(insert(Case), rows)
            rows = []
    if rows:
        await session.execute(insert(Case), rows)


async def add_residents(session, n: int, first_tg: int) -> list[int]:
    await session.execute(insert(Person), [
        {"tg_user_id": first_tg + i, "chat_id": first_tg + i, "display_name": f"居民{i}",
         "created_at": T0 - timedelta(days=30)} for i in range(n)])
    return list((await session.execute(select(Person.id).where(Person.tg_user_id >= first_tg)
                                       .order_by(Person.id))).scalars())


# ---------------------------------------------------------------- 1. the sweep
def supervisor_for(url: str, config, clock) -> tuple[Database, Supervisor]:
    """A Supervisor as the bot builds it, without the pause between batches (nothing else writes here)."""
    config = config.copy_with(scheduler=config.scheduler.copy_with(batch_pause_seconds=0))
    db = Database(url)
    supervisor = Supervisor(db, clock, config, lambda mail: OutboxNotifier(mail, config), OutboxDigests(config),
                            holder="bench")
    return db, supervisor


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed_sweep(url: str, config) -> tuple[float, TickReport]:
    """One sweep at T0 on `url`: seconds and the report."""
    clock = ManualClock(T0)
    db, supervisor = supervisor_for(url, config, clock)
    async with db.session() as s:  # warm the pool and take the lease, outside the measurement
        await supervisor.lease.hold(s, datetime.now(TZ))
    began = time.perf_counter()
    report = await supervisor.sweep(clock.now())
    took = time.perf_counter() - began
    await db.dispose()
    return took, report


async def naive_scan(url: str, config) -> tuple[float, int]:
    """The baseline: every open case loaded and asked what is owed, as a sweep without an index would."""
    policy = policy_for(config)
    db = Database(url)
    async with db.session() as s:  # warm the pool
        await s.scalar(select(func.count()).select_from(Person))
    began = time.perf_counter()
    due = 0
    async with db.session() as s:
        for case in (await s.execute(select(Case).where(Case.status.in_([str(x) for x in OPEN])))).scalars():
            if policy.decide(case, set(), T0).perform:
                due += 1
    took = time.perf_counter() - began
    await db.dispose()
    return took, due


async def measure_alone(what: str, url: str) -> dict:
    """Run one measurement in a fresh interpreter, so its memory is its own: time, result, and how
    far the process's peak RSS rose above its RSS before the measurement."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.deadlines", "--measure", what, url, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"measuring {what} failed:\n{err.decode()[-3000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


async def measure(what: str, url: str) -> None:
    """The child side of measure_alone: prints one JSON line."""
    config = bench_config()
    gc.collect()
    before = rss_mb()
    if what == "sweep":
        took, report = await timed_sweep(url, config)
        result = {"seconds": took, "cases": report.cases, "performed": report.performed, "failed": report.failed}
    else:
        took, due = await naive_scan(url, config)
        result = {"seconds": took, "due": due}
    result["memory"] = max(0.0, peak_rss_mb() - before)
    print(json.dumps(result))


async def sweep_bench(backends: Backends, backend: str, config, n: int, due_fraction: float) -> dict:
    policy = policy_for(config)
    template = await migrated(backends, backend, config)
    due = int(n * due_fraction)
    db = Database(template)
    began = time.perf_counter()
    async with db.session() as s:
        officers = list((await s.execute(select(Officer).where(Officer.role == "grid_officer")
                                         .order_by(Officer.id))).scalars())
        await join_officers(s, officers, 300000)
        grids = dict((await s.execute(select(OfficerScope.officer_id, OfficerScope.scope_id)
                                      .where(OfficerScope.officer_id.in_([o.id for o in officers])))).all())
        reporters = await add_residents(s, 1000, 400000)
        await add_cases(s, policy, n, [(o.id, grids.get(o.id)) for o in officers], reporters, due,
                        due_at=T0, ticket_prefix="SW")
    setup = time.perf_counter() - began
    async with db.session() as s:
        counted = await s.scalar(select(func.count()).select_from(Case).where(Case.next_check_at <= T0))
    await db.dispose()
    idle_template = await backends.fresh(backend, template)
    db = Database(idle_template)
    async with db.session() as s:  # the same cases with nothing due
        await s.execute(update(Case).where(Case.next_check_at <= T0).values(next_check_at=T0 + timedelta(minutes=5)))
    await db.dispose()
    idle_times = [(await timed_sweep(idle_template, config))[0] for _ in range(5)]
    busy = await measure_alone("sweep", await backends.fresh(backend, template))
    naive = await measure_alone("baseline", await backends.fresh(backend, template))
    return {"backend": backend, "cases": n, "due": counted, "setup": setup, "idle": statistics.median(idle_times),
            "busy": busy, "naive": naive}


def print_sweep(results: list[dict]) -> None:
    print("\n1. One sweep over the open cases (each on a fresh copy of the same database)")
    head = f"{'backend':<9} {'cases':>8} {'due':>6} {'idle ms':>8} {'busy s':>7} {'ms/due':>7} {'mem MB':>7} │ " \
           f"{'baseline s':>10} {'mem MB':>7} │ {'×idle':>6} {'×busy':>6}"
    print(head)
    print("─" * len(head))
    for r in results:
        busy, naive = r["busy"], r["naive"]
        print(f"{r['backend']:<9} {r['cases']:>8,} {r['due']:>6,} {r['idle'] * 1000:>8.1f} {busy['seconds']:>7.2f} "
              f"{busy['seconds'] * 1000 / max(1, busy['performed']):>7.2f} {busy['memory']:>7.1f} │ "
              f"{naive['seconds']:>10.2f} {naive['memory']:>7.1f} │ {naive['seconds'] / r['idle']:>6.0f} "
              f"{naive['seconds'] / busy['seconds']:>6.1f}")
    for r in results:
        busy, naive = r["busy"], r["naive"]
        print(f"  {r['backend']}: setup {r['setup']:.1f} s; busy sweep: {busy['cases']:,} cases looked at, "
              f"{busy['performed']:,} reminders queued, {busy['failed']} failed; baseline found {naive['due']:,} due")
    print("  idle: a sweep with nothing due (median of 5). busy: the sweep that writes the due reminders\n"
          "  (timeline, step and outbox rows; scheduler.batch cases per transaction, no pause between batches).\n"
          "  baseline: load every open case and ask the policy, as a sweep without next_check_at would.\n"
          "  mem MB: how far the peak RSS of a fresh process rose during that one measurement.\n"
          "  ×idle / ×busy: how many times longer the baseline takes.")


# ---------------------------------------------------------------- 2 and 3. pings through the stand-in
class Harness:
    """The real bot (BotRuntime) against a rate-limited stand-in, the scheduler ticked by hand."""

    def __init__(self, config, url: str, standin: StandIn, clock: ManualClock, batch: int | None = None) -> None:
        self.config = config.copy_with(
            database=config.database.copy_with(url=url),
            telegram=config.telegram.copy_with(token=standin.token, base_url=standin.bot_base_url,
                                               file_base_url=standin.file_base_url, mode="polling"),
            scheduler=config.scheduler.copy_with(enabled=False, batch=batch or config.scheduler.batch))
        self.standin, self.clock = standin, clock
        self.runtime: BotRuntime | None = None

    async def start(self) -> None:
        self.runtime = BotRuntime(self.config, services=await build_services(self.config, self.clock))
        await self.runtime.start(mode="polling")

    async def stop(self) -> None:
        await self.runtime.stop()


def reminders(standin: StandIn, since: int = 0) -> list[dict]:
    return [r for r in standin.sent[since:] if (r.get("text") or "").startswith("⏰")]


async def outbox_states(url: str) -> dict[str, int]:
    db = Database(url)
    async with db.session() as s:
        rows = dict((await s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
    await db.dispose()
    return rows


async def prepare_pings(backends: Backends, config, n: int, prefix: str,
                        backend: str = "sqlite", chats: int = CHATS) -> tuple[str, list[int]]:
    """A database whose `n` cases' first reminders fall due in the minute before T0, spread over
    `chats` officers (each a chat of its own). Returns the URL and the officers' Telegram ids."""
    policy = policy_for(config)
    url = await migrated(backends, backend, config)
    db = Database(url)
    async with db.session() as s:
        officers = [Officer(id=f"BN-O{i:05d}", name=f"网格员{i}", phone="13800000000", role="grid_officer",
                            on_duty="24h", active=True) for i in range(chats)]
        s.add_all(officers)
        await s.flush()
        await join_officers(s, officers, 500000)
        reporters = await add_residents(s, 100, 600000)
        await add_cases(s, policy, n, [(o.id, "YX-BZ-01-03") for o in officers], reporters, n, due_at=T0,
                        ticket_prefix=prefix)
    await db.dispose()
    return url, [500000 + i for i in range(chats)]


async def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def pings_bench(backends: Backends, config, n: int, backend: str = "sqlite", chats: int = CHATS) -> dict:
    url, chats = await prepare_pings(backends, config, n, "PG", backend, chats)
    clock = ManualClock(T0)
    async with StandIn(enforce_rate_limits=True) as standin:
        for tg in chats:
            standin.add_user(tg, f"网格员{tg}")
        harness = Harness(config, url, standin, clock)
        await harness.start()
        await asyncio.sleep(0.5)  # let the startup settle (polling connected)
        began = time.time()
        sweep_began = time.perf_counter()
        report = await harness.runtime.supervisor.tick()
        sweep_took = time.perf_counter() - sweep_began
        ideal = max(0.0, (n - 30) / 30)
        finished = True
        try:
            await wait_for(lambda: len(reminders(standin)) >= n, ideal * 3 + WAIT_SLACK, f"{n} pings")
        except TimeoutError:
            finished = False  # reported as such, with what arrived
        last = max(r["at"] for r in reminders(standin))
        await asyncio.sleep(2.0)  # anything sent twice would show up now
        sent = reminders(standin)
        calls_429 = standin.served_429
        await harness.stop()
    states = await outbox_states(url)
    return {"n": n, "chats": len(chats), "finished": finished, "elapsed": last - began, "ideal": ideal, "sweep": sweep_took, "report": report,
            "delivered": len({(r["chat_id"], r["text"].split("：", 1)[1].split(" ", 1)[0]) for r in sent}),
            "total": len(sent), "429": calls_429, "states": states}


async def restart_bench(backends: Backends, config, n: int, backend: str = "sqlite", chats: int = CHATS) -> dict:
    url, chats = await prepare_pings(backends, config, n, "RS", backend, chats)
    clock = ManualClock(T0)
    async with StandIn(enforce_rate_limits=True) as standin:
        for tg in chats:
            standin.add_user(tg, f"网格员{tg}")
        first = Harness(config, url, standin, clock)
        await first.start()
        db = Database(url)

        async def steps() -> int:
            async with db.session() as s:
                return await s.scalar(select(func.count()).select_from(DeadlineStep))

        supervisor, seen = first.runtime.supervisor, [0]
        look = supervisor._case

        async def counted(*args, **kwargs):  # how far the sweep has got, without asking the database
            seen[0] += 1
            return await look(*args, **kwargs)

        supervisor._case = counted
        began = time.time()
        sweep = asyncio.create_task(supervisor.tick())
        await wait_for(lambda: seen[0] >= n // 3 or sweep.done(), WAIT_SLACK, "a third of the sweep")
        at_stop = seen[0]
        delivered_at_stop = len(reminders(standin))
        await first.stop()  # as on SIGTERM: the sweep ends its batch, the outbox stops, the lease is released
        first_report = await sweep
        steps_after_stop = await steps()
        second = Harness(config, url, standin, clock)
        await second.start()
        second_report = await second.runtime.supervisor.tick()
        await wait_for(lambda: len({r["text"] for r in reminders(standin)}) >= n,
                       n / 30 * 1.5 + WAIT_SLACK, f"{n} pings across the restart")
        await asyncio.sleep(3.0)  # a duplicate would arrive now
        sent = reminders(standin)
        elapsed = max(r["at"] for r in sent) - began
        await second.stop()
        await db.dispose()
    tickets = [r["text"].split("：", 1)[1].split(" ", 1)[0] for r in sent]
    states = await outbox_states(url)
    return {"n": n, "elapsed": elapsed, "steps_at_stop": at_stop, "steps_after_stop": steps_after_stop,
            "delivered_at_stop": delivered_at_stop, "first": first_report, "second": second_report,
            "distinct": len(set(tickets)), "total": len(tickets), "lost": n - len(set(tickets)),
            "duplicated": len(tickets) - len(set(tickets)), "states": states, "429": standin.served_429}


def print_pings(r: dict, backend: str) -> None:
    ratio = r["elapsed"] / r["ideal"] if r["ideal"] else float("nan")
    answered = r["states"].get("pending", 0) == 0 and r["states"].get("failed", 0) == 0
    if not r["finished"]:
        print(f"\n  (gave up waiting after {r['elapsed']:.0f} s: {r['delivered']:,} of {r['n']:,} delivered)")
    print(f"\n2. {r['n']:,} reminders due in the same minute to {r['chats']:,} chats, through the stand-in with "
          f"Telegram's limits enforced ({backend})")
    head = f"{'pings':>7} {'delivered':>9} {'sent':>6} {'time s':>8} {'ideal s':>8} {'×ideal':>7} " \
           f"{'within 1 %?':>11} {'429s':>5} {'all answered?':>13} {'sweep s':>8}"
    print(head)
    print("─" * len(head))
    print(f"{r['n']:>7,} {r['delivered']:>9,} {r['total']:>6,} {r['elapsed']:>8.1f} {r['ideal']:>8.1f} {ratio:>7.3f} "
          f"{'yes' if ratio <= 1.01 else 'no':>11} {r['429']:>5} {'yes' if answered else 'no':>13} {r['sweep']:>8.1f}")
    print(f"  outbox rows by status: {r['states']}")
    print("  time: from the sweep's start to the stand-in accepting the last reminder. ideal: (N - 30) / 30 s,\n"
          "  Telegram's 30 messages/s after a burst of 30. all answered: no outbox row left pending or failed\n"
          "  (a 429 delays its message by retry_after; it is not dropped). sweep: the tick that queued them all.")


def print_restart(r: dict, backend: str) -> None:
    print(f"\n3. {r['n']:,} reminders due at once; the bot is stopped a third of the way through the sweep and "
          f"a new one started ({backend})")
    print(f"  at the stop: {r['steps_at_stop']:,} cases swept, {r['delivered_at_stop']:,} reminders delivered; "
          f"the first sweep finished its batch: {r['steps_after_stop']:,} steps ({r['first'].performed:,} reminders)")
    print(f"  the new process's sweep: {r['second'].performed:,} reminders; every reminder delivered after "
          f"{r['elapsed']:.1f} s (ideal {(r['n'] - 30) / 30:.1f} s + the restart)")
    print(f"  cases with a reminder: {r['distinct']:,} of {r['n']:,}; lost {r['lost']}, sent twice {r['duplicated']}; "
          f"429s {r['429']}; outbox rows {r['states']}")


# ---------------------------------------------------------------- main
def bench_config():
    base = load_config(env={})
    # Only the deadline pings are measured: T0 is 10:00, within the morning list's catch-up window.
    return base.copy_with(digests=base.digests.copy_with(officer_morning="", supervisor_daily=""))


async def main(args) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.measure:
        await measure(*args.measure)
        return
    config = bench_config()
    backends = Backends(args.pg_url)
    print(f"bench.deadlines: {args.cases:,} cases ({args.due:.1%} due) per sweep; {args.pings:,} pings; "
          f"{args.restart_pings:,} across a restart; backends {', '.join(args.backends)}")
    try:
        results = []
        for backend in args.backends:
            print(f"  sweep on {backend} …", flush=True)
            results.append(await sweep_bench(backends, backend, config, args.cases, args.due))
        print_sweep(results)
        for backend in args.pings_backends:
            if args.pings:
                print(f"\n  pings on {backend} …", flush=True)
                print_pings(await pings_bench(backends, config, args.pings, backend, args.chats), backend)
            if args.restart_pings:
                print(f"\n  restart on {backend} …", flush=True)
                print_restart(await restart_bench(backends, config, args.restart_pings, backend, args.chats), backend)
        print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        await backends.cleanup()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cases, SQLite only, 1,000 pings, 300 across a restart")
    parser.add_argument("--cases", type=int, default=None, help="open cases in the sweep (default 100,000)")
    parser.add_argument("--due", type=float, default=0.01, help="fraction of them due at the sweep (default 0.01)")
    parser.add_argument("--pings", type=int, default=None, help="reminders due in the same minute (default 10,000)")
    parser.add_argument("--restart-pings", type=int, default=None, help="reminders across a restart (default 2,000)")
    parser.add_argument("--chats", type=int, default=CHATS, help="officers' chats the pings go to (default 1,000)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--pings-backend", choices=("sqlite", "postgres", "both"), default="sqlite",
                        help="database for the pings and the restart (default sqlite, the shipped default)")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL admin URL for scratch databases")
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "URL"), help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    quick = args.quick
    args.cases = args.cases if args.cases is not None else (10_000 if quick else 100_000)
    args.pings = args.pings if args.pings is not None else (1_000 if quick else 10_000)
    args.restart_pings = args.restart_pings if args.restart_pings is not None else (300 if quick else 2_000)
    args.backends = ["sqlite"] if quick or args.skip_postgres else ["sqlite", "postgres"]
    args.pings_backends = ["sqlite", "postgres"] if args.pings_backend == "both" else [args.pings_backend]
    if args.skip_postgres:
        args.pings_backends = ["sqlite"]
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
