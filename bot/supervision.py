"""The scheduled work: the deadline sweep, the daily digests, and the lease that lets one process do them.

Nothing here knows about APScheduler or Telegram: `gridsec/scheduler.py` calls `Supervisor.tick()`
on a timer, `gridsec simulate` calls it when a script moves the clock, and the messages are
queued through the Notifier and DigestSender the composition root passes in.

- **The sweep** picks cases whose `next_check_at` has come (an indexed column, so a sweep over
  100,000 open cases reads only the due ones), locks each row, asks `Policy.decide` what is owed,
  records each step in `deadline_steps` (unique per case, round and step: nothing is done twice,
  even by two processes) and performs it through CaseService, whose timeline row and outbox rows
  are written in the same transaction. Then it sets the case's next check.
- **Cases older than deadlines**: before the sweep, open dispatched cases with no limits at all
  (filed before migration 0003) get their first round, counted from their last dispatch, in
  batches under the same lease; from then on the sweep owes them what any case is owed.
- **Digests** are due once a local day at their configured time; `digest_runs` has one row per
  kind and day, written in the transaction that queues the messages. One missed while no process
  ran is sent late by at most `digests.catch_up`, else skipped.
- **The lease** (`scheduler_leases`, one row) names the process that acts. Every batch first
  renews it in its own transaction (a row lock on PostgreSQL, the write lock on SQLite), so a
  process that lost the lease writes nothing. The lease runs on wall-clock time; the deadlines on
  the domain clock.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Iterable, Protocol

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import CaseService
from bot.clock import Clock
from bot.config import Config
from bot.inbox import Inbox
from bot.deadlines import LIMIT_STATUSES, Due, Point, Policy, policy_for
from bot.figures import Period, Tally, tally_by_grid
from bot.hotspots import HotSpot, hot_spots
from bot.lifecycle import Status
from bot.mailroom import Mailroom
from bot.onboarding import district_tree, unjoined_in
from bot.people import SUPERVISOR_ROLES
from bot.ports import Notifier
from bot.routing import Reach, place_in_grid, rung_reach, supervisors_of
from storage.db import Database
from storage.models import (
    Case, Community, DeadlineStep, Department, DepartmentStaff, DigestRun, Grid, HotSpotAlert, Officer, Person,
    SchedulerLease,
    Street,
)

log = logging.getLogger(__name__)

LEASE = "scheduler"
OPEN_WORK = (Status.ASSIGNED, Status.ACCEPTED)                     # what an officer's morning list shows
# The columns a case dispatched before deadlines existed (migration 0003) has empty.
NO_LIMITS = (Case.due_from, Case.accept_due_at, Case.resolve_due_at, Case.next_check_at)
FAR = datetime.max.replace(tzinfo=timezone.utc)
# Who hears of a hot spot (预警): the posts that can act on the whole grid at once.
HOT_SPOT_ROLES = ("grid_leader", "community_secretary")


def wall_clock() -> datetime:
    return datetime.now(timezone.utc)


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


# ---------------------------------------------------------------- digests as data
@dataclass(frozen=True)
class DigestLine:
    """One open case in an officer's list: the morning digest and /tasks."""

    case_id: int
    ticket: str
    status: str
    category: str
    urgent: bool
    due: Due | None  # the limit it is working against; None when none runs

    @classmethod
    def of(cls, case: Any, policy: Policy, now: datetime) -> "DigestLine":
        """`case`: a Case, or a row with its id, ticket, status, category, urgent and deadlines."""
        return cls(case.id, case.ticket, str(case.status), case.category, bool(case.urgent), policy.due(case, now))

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due.overdue

    @property
    def due_today(self) -> bool:
        return self.due is not None and not self.due.overdue and self.due.days == 0

    @property
    def due_at(self) -> datetime:
        return self.due.at if self.due is not None else FAR


def task_list(cases: Iterable[Any], policy: Policy, now: datetime) -> list[DigestLine]:
    """An officer's open cases as /tasks lists them, most urgent first: urgent ones, then those past
    their limit, then the soonest due, then those without a running limit."""
    lines = [DigestLine.of(case, policy, now) for case in cases]
    return sorted(lines, key=lambda l: (not l.urgent, not l.overdue, l.due is None, l.due_at, l.case_id))


@dataclass(frozen=True)
class OfficerDigest:
    day: date
    lines: tuple[DigestLine, ...]  # overdue first, then due today, then the rest
    name: str = ""  # whom it greets, as the roster names them: the officer, or the staff member's department

    @property
    def overdue(self) -> int:
        return sum(line.overdue for line in self.lines)

    @property
    def due_today(self) -> int:
        return sum(line.due_today for line in self.lines)


@dataclass(frozen=True)
class SupervisorReport:
    """A supervisor's daily report: the figures of bot/figures.py for the day (see there what each counts)."""

    day: date
    scope: str
    new: int
    resolved: int
    same_day: int
    on_time: int
    closed: int
    overdue_by_grid: tuple[tuple[str, int], ...]  # (grid name, open cases past their limit)
    avg_accept: timedelta | None
    avg_resolve: timedelta | None
    rated: int
    satisfied: int  # 满意 or 基本满意
    unjoined: int = 0  # posts in the scope nobody has joined yet (bot/onboarding.py)

    @property
    def overdue(self) -> int:
        return sum(n for _, n in self.overdue_by_grid)

    @classmethod
    def of(cls, day: date, scope: str, tally: Tally, overdue_by_grid: list[tuple[str, int]],
           unjoined: int = 0) -> "SupervisorReport":
        return cls(day=day, scope=scope, new=tally.filed, resolved=tally.resolved, same_day=tally.same_day,
                   on_time=tally.on_time, closed=tally.closed, overdue_by_grid=tuple(overdue_by_grid),
                   avg_accept=tally.avg_accept, avg_resolve=tally.avg_resolve, rated=tally.rated,
                   satisfied=tally.satisfied, unjoined=unjoined)


class DigestSender(Protocol):
    """Queues digest messages in the caller's transaction (handlers/supervision.py renders them)."""

    def officer_morning(self, mail: Mailroom, person: Person, digest: OfficerDigest) -> None: ...

    def supervisor_daily(self, mail: Mailroom, person: Person, report: SupervisorReport) -> None: ...

    def hot_spot(self, mail: Mailroom, person: Person, spot: HotSpot) -> None: ...


@dataclass
class TickReport:
    leader: bool = True
    cases: int = 0       # cases looked at
    performed: int = 0   # reminders, escalations, rating requests and closes done
    skipped: int = 0     # steps overtaken by later ones
    held: int = 0        # cases whose due pings wait for the quiet hours to end
    failed: int = 0
    started: int = 0     # dispatched cases without limits (older than deadlines) given their first round
    digests: list[str] = field(default_factory=list)
    pruned: int = 0      # stored inbound updates whose payload was emptied (privacy.retention_days)
    alerts: int = 0      # hot spots (预警) pinged

    def add(self, other: "TickReport") -> None:
        for name in ("cases", "performed", "skipped", "held", "failed", "started"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Batch:
    cases: dict[int, Case] = field(default_factory=dict)
    done: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    people: list[Person] = field(default_factory=list)  # held here: the identity map keeps weak references
    dispatched: dict[int, datetime] = field(default_factory=dict)  # case id → its last dispatch


# How one kind of batched work reads its batch and does one case of it (Supervisor._batches).
Load = Callable[[AsyncSession, CaseService, list[int]], Awaitable[_Batch]]
One = Callable[[AsyncSession, CaseService, _Batch, int, "TickReport"], Awaitable[None]]


# ---------------------------------------------------------------- the lease
class Lease:
    """One row per lease name; its holder acts until `expires_at` (wall clock) unless it renews."""

    def __init__(self, holder: str, seconds: float, name: str = LEASE) -> None:
        self.holder, self.seconds, self.name = holder, seconds, name

    async def hold(self, session: AsyncSession, now: datetime) -> bool:
        """Take or renew the lease inside the caller's transaction; False if another process holds it."""
        row = await session.get(SchedulerLease, self.name, with_for_update=True, populate_existing=True)
        expires = now + timedelta(seconds=self.seconds)
        if row is None:
            try:
                async with session.begin_nested():
                    session.add(SchedulerLease(name=self.name, holder=self.holder, acquired_at=now, expires_at=expires))
            except IntegrityError:  # another process inserted it first
                return False
            log.info("scheduler lease taken by %s", self.holder)
            return True
        if row.holder != self.holder and row.expires_at > now:
            return False
        if row.holder != self.holder:
            log.info("scheduler lease taken over by %s from %s", self.holder, row.holder)
            row.holder, row.acquired_at = self.holder, now
        row.expires_at = expires
        return True

    async def release(self, session: AsyncSession, now: datetime) -> None:
        row = await session.get(SchedulerLease, self.name, with_for_update=True)
        if row is not None and row.holder == self.holder:
            row.expires_at = now


# ---------------------------------------------------------------- the supervisor
class Supervisor:
    def __init__(self, db: Database, clock: Clock, config: Config, notifier: Callable[[Mailroom], Notifier],
                 digests: DigestSender, *, holder: str | None = None, wall: Callable[[], datetime] = wall_clock,
                 on_queued: Callable[[], None] | None = None) -> None:
        self.db, self.clock, self.config = db, clock, config
        self.notifier, self.digests, self.wall = notifier, digests, wall
        self.on_queued = on_queued or (lambda: None)
        self.lease = Lease(holder or process_name(), config.scheduler.lease_seconds)
        self.policy: Policy = policy_for(config)
        self._lock = asyncio.Lock()
        self._closing = False
        self._backfilled = False  # start_missing has run to the end once in this process
        self._hot_checked_at: datetime | None = None  # the last look for hot spots (casework.hotspots.check_every)
        self._single_writer = db.engine.dialect.name == "sqlite"

    @property
    def holder(self) -> str:
        return self.lease.holder

    async def tick(self) -> TickReport:
        """Everything due at the domain clock's now: limits for dispatched cases that have none (once
        per process: every case dispatched since gets its limits at dispatch, and the query cannot
        use an index), the sweep, then the digests. One at a time."""
        report = TickReport()
        async with self._lock:
            if self._closing:
                report.leader = False
                return report
            now = self.clock.now()
            if not self._backfilled:
                await self.start_missing(now, report)
                self._backfilled = report.leader and not self._closing
            if report.leader and not self._closing:
                await self.sweep(now, report)
            if report.leader and not self._closing:
                report.digests = await self.due_digests(now)
            if report.leader and not self._closing:
                report.pruned = await Inbox(self.db).prune(
                    now - timedelta(days=self.config.privacy.retention_days), now)
            if report.leader and not self._closing and self.config.casework.hotspots.enabled:
                report.alerts = await self.hot_spot_alerts(now)
        if report.performed or report.digests or report.started or report.pruned or report.alerts:
            log.info("tick: %s", report)
        return report

    async def close(self) -> None:
        """Finish the batch in progress, then hand the lease back so another process can act at once."""
        self._closing = True
        async with self._lock:
            try:
                async with self.db.session() as session:
                    await self.lease.release(session, self.wall())
            except Exception:  # the database may already be gone; the lease then simply expires
                log.warning("could not release the scheduler lease", exc_info=True)

    # ------------------------------------------------------------ batches under the lease
    async def _batches(self, what: str, pick: Select, load: Load, one: One, report: TickReport) -> TickReport:
        """Work through the case ids `pick` selects, `scheduler.batch` at a time, each batch in its own
        transaction that first renews the lease: `load` reads the batch (its rows locked), `one` does
        one case of it, which must leave the case no longer picked. A batch that fails is redone case
        by case, so only the failing case waits for the next tick."""
        batch = self.config.scheduler.batch
        failed: set[int] = set()
        while not self._closing:
            async with self.db.session() as session:
                if not await self.lease.hold(session, self.wall()):
                    report.leader = False
                    return report
                query = pick.limit(batch)
                if failed:
                    query = query.where(Case.id.not_in(failed))
                ids = list((await session.execute(query)).scalars())
                cases = CaseService(session, self.clock, self.config, self.notifier(Mailroom(session)))
                if not await self._whole_batch(what, session, cases, ids, load, one, report):
                    rows = await load(session, cases, ids)
                    for case_id in ids:
                        try:
                            async with session.begin_nested():
                                await one(session, cases, rows, case_id, report)
                        except Exception:
                            log.exception("%s: case %s failed; it is retried at the next tick", what, case_id)
                            failed.add(case_id)
                            report.failed += 1
            if ids:
                self.on_queued()
            if len(ids) < batch:
                return report
            if self._single_writer:
                # let other writers in: the outbox needs SQLite's only write lock to mark messages
                # sent, and SQLite's busy handler would otherwise lose the race to our next batch
                await asyncio.sleep(self.config.scheduler.batch_pause_seconds)
        return report

    async def _whole_batch(self, what: str, session: AsyncSession, cases: CaseService, ids: list[int], load: Load,
                           one: One, report: TickReport) -> bool:
        """The batch in one savepoint (one round trip per batch rather than two per case); False if it failed."""
        trial = TickReport()
        try:
            async with session.begin_nested():
                rows = await load(session, cases, ids)
                for case_id in ids:
                    await one(session, cases, rows, case_id, trial)
        except Exception:
            log.warning("%s: a batch failed; retrying its cases one by one", what, exc_info=True)
            return False
        report.add(trial)
        return True

    async def _locked(self, session: AsyncSession, ids: list[int]) -> _Batch:
        """The batch's case rows, locked."""
        batch = _Batch()
        if ids:
            batch.cases = {case.id: case for case in (await session.execute(
                select(Case).where(Case.id.in_(ids)).with_for_update(of=Case)
                .execution_options(populate_existing=True))).scalars()}
        return batch

    # ------------------------------------------------------------ cases older than deadlines
    async def start_missing(self, now: datetime, report: TickReport | None = None) -> TickReport:
        """Open, dispatched cases that have no limits at all (filed before migration 0003 added them)
        get their round, counted from their last dispatch (CaseService.start_missing_limits); what
        fell due since is the sweep's to do. Cases in a status without a limit are left alone."""
        report = report or TickReport()
        pick = (select(Case.id).where(Case.status.in_(sorted(LIMIT_STATUSES)), Case.deadline_round == 0,
                                      *(column.is_(None) for column in NO_LIMITS)).order_by(Case.id))
        return await self._batches("deadline backfill", pick, self._load_missing, self._start_one, report)

    async def _load_missing(self, session: AsyncSession, cases: CaseService, ids: list[int]) -> _Batch:
        batch = await self._locked(session, ids)
        batch.dispatched = await cases.last_dispatches(ids)
        return batch

    async def _start_one(self, session: AsyncSession, cases: CaseService, batch: _Batch, case_id: int,
                         report: TickReport) -> None:
        case = batch.cases.get(case_id)
        if case is None or not lacks_limits(case):
            return  # changed since it was picked
        cases.start_missing_limits(case, batch.dispatched.get(case_id))
        report.started += 1

    # ------------------------------------------------------------ the sweep
    async def sweep(self, now: datetime, report: TickReport | None = None) -> TickReport:
        report = report or TickReport()
        pick = select(Case.id).where(Case.next_check_at <= now).order_by(Case.next_check_at, Case.id)

        async def one(session: AsyncSession, cases: CaseService, batch: _Batch, case_id: int,
                      report: TickReport) -> None:
            await self._case(session, cases, batch.cases.get(case_id), batch.done[case_id], now, report)

        return await self._batches("deadline sweep", pick, self._load, one, report)

    async def _load(self, session: AsyncSession, cases: CaseService, ids: list[int]) -> _Batch:
        """The batch's case rows, locked; the steps each has done in its current round; and the
        assignees' people, loaded at once rather than one lookup per case."""
        batch = await self._locked(session, ids)
        if not ids:
            return batch
        officers = {c.assignee_officer_id for c in batch.cases.values() if c.assignee_officer_id}
        if officers:
            batch.people = list((await session.execute(select(Person).join(
                Officer, Officer.person_id == Person.id).where(Officer.id.in_(officers)))).scalars())
        for case_id, round_, step in (await session.execute(select(
                DeadlineStep.case_id, DeadlineStep.round, DeadlineStep.step).where(DeadlineStep.case_id.in_(ids)))).all():
            if round_ == batch.cases[case_id].deadline_round:
                batch.done[case_id].add(step)
        return batch

    async def _case(self, session: AsyncSession, cases: CaseService, case: Case | None, done: set[str],
                    now: datetime, report: TickReport) -> None:
        if case is None or case.next_check_at is None or case.next_check_at > now:
            return  # changed since it was picked
        report.cases += 1
        decision = self.policy.decide(case, done, now)
        for point in decision.skip:
            self._step(session, case, point, now, "skipped")
            done.add(point.step)
            report.skipped += 1
        # set before acting, so it goes out in the same UPDATE as the action's (a close clears it again)
        case.next_check_at = self.policy.next_check(case, done | {p.step for p in decision.perform}, now)
        for point in decision.perform:
            if point.step not in {p.step for p in self.policy.plan(case)}:
                continue  # an earlier step of this pass changed the case (e.g. closed it)
            row = self._step(session, case, point, now, "done")  # its unique key fails the flush if done already
            if await self._perform(session, cases, case, point):
                report.performed += 1
            else:
                row.outcome = "skipped"
                report.skipped += 1
            done.add(point.step)
        if decision.held_until is not None:
            report.held += 1

    def _step(self, session: AsyncSession, case: Case, point: Point, now: datetime, outcome: str) -> DeadlineStep:
        row = DeadlineStep(case_id=case.id, round=case.deadline_round, step=point.step, due_at=point.at,
                           done_at=now, outcome=outcome)
        session.add(row)
        return row

    async def _perform(self, session: AsyncSession, cases: CaseService, case: Case, point: Point) -> bool:
        if point.kind == "remind":
            await cases.remind(case, point)
        elif point.kind == "escalate":
            return await cases.escalate(case, point, await self.rung(session, case, point.role)) is not None
        elif point.kind == "ask":
            if await cases.rated_since_resolved(case):
                return False
            await cases.ask_rating(case)
        elif point.kind == "close":
            if await cases.rated_since_resolved(case):
                return False  # rated 不满意 and waiting for a supervisor: not silence
            await cases.auto_close(case)
        return True

    async def rung(self, session: AsyncSession, case: Case, role: str | None) -> Reach:
        """Whom a rung of `role` reaches for the case's grid (substitutes stand in for absentees):
        bot.routing.rung_reach, with the configured duty chat above the district supervisor."""
        if case.grid_id:
            chain = (await place_in_grid(session, case.grid_id, self.clock.now())).chain
        else:
            chain = await supervisors_of(session, None)
        assignee = await session.get(Officer, case.assignee_officer_id) if case.assignee_officer_id else None
        return rung_reach(chain, role, assignee, self.config.deadlines.duty_chat_id)

    # ------------------------------------------------------------ 预警
    async def hot_spot_alerts(self, now: datetime) -> int:
        """Ping each hot spot (bot/hotspots.py) once a window: its grid leader and community secretary
        get the cases with buttons to open them. The alert row is written in the same transaction."""
        rules = self.config.casework.hotspots
        if self._hot_checked_at is not None and now - self._hot_checked_at < rules.check_every:
            return 0
        self._hot_checked_at = now
        async with self.db.session() as session:  # counted without the lease: on SQLite it holds the write lock
            spots = await hot_spots(session, self.config, now)
        if not spots:
            return 0
        window, sent = rules.window, 0
        async with self.db.session() as session:
            if not await self.lease.hold(session, self.wall()):
                return 0
            for spot in spots:
                if await session.scalar(select(HotSpotAlert.id).where(
                        HotSpotAlert.grid_id == spot.grid_id, HotSpotAlert.category == spot.category,
                        HotSpotAlert.at > now - window).limit(1)) is not None:
                    continue
                people = await self._hot_spot_people(session, spot.grid_id, now)
                session.add(HotSpotAlert(grid_id=spot.grid_id, category=spot.category, at=now, count=spot.count,
                                         baseline=spot.baseline, case_ids=list(spot.case_ids), people=len(people)))
                for person in people:
                    self.digests.hot_spot(Mailroom(session), person, spot)
                sent += 1
        if sent:
            self.on_queued()
        return sent

    async def _hot_spot_people(self, session: AsyncSession, grid_id: str, now: datetime) -> list[Person]:
        """The grid's joined leader and community secretary; if neither has joined, the nearest joined post above."""
        chain = (await place_in_grid(session, grid_id, now)).chain
        above = [o for o in chain if o.role != "grid_officer" and o.person_id is not None]
        wanted = [o for o in above if o.role in HOT_SPOT_ROLES] or above[:1]
        return [await session.get(Person, o.person_id) for o in wanted]

    # ------------------------------------------------------------ digests
    async def due_digests(self, now: datetime) -> list[str]:
        """Send each digest whose time has come today (and is at most `catch_up` late), once a day."""
        sent = []
        tz = self.config.tz
        local = now.astimezone(tz)
        for kind, at in (("officer_morning", self.config.digests.officer_morning),
                         ("supervisor_daily", self.config.digests.supervisor_daily)):
            if at is None:
                continue
            scheduled = datetime.combine(local.date(), at, tz)
            if not scheduled <= local <= scheduled + self.config.digests.catch_up:
                continue
            day = local.date()
            async with self.db.session() as session:
                if not await self.lease.hold(session, self.wall()):
                    return sent
                if await session.get(DigestRun, (kind, day.isoformat())) is not None:
                    continue
                run = DigestRun(kind=kind, day=day.isoformat(), at=now, messages=0)
                session.add(run)
                await session.flush()
                if kind == "officer_morning":
                    run.messages = await self._officer_morning(session, now, day)
                else:
                    run.messages = await self._supervisor_daily(session, now, day)
            sent.append(kind)
            self.on_queued()
        return sent

    async def officer_digests(self, session: AsyncSession, now: datetime, day: date) -> dict[int, OfficerDigest]:
        """person id → their morning list: open cases they (or their department) hold."""
        rows = (await session.execute(
            select(Case.id, Case.ticket, Case.status, Case.category, Case.urgent, Case.accept_due_at,
                   Case.resolve_due_at, Case.assignee_officer_id, Case.assignee_department_id)
            .where(Case.status.in_(OPEN_WORK)).order_by(Case.id))).all()
        officers, names = {}, {}
        for officer_id, person_id, name in (await session.execute(
                select(Officer.id, Officer.person_id, Officer.name).where(Officer.person_id.is_not(None)))).all():
            officers[officer_id], names[person_id] = person_id, name
        staff: dict[str, list[int]] = defaultdict(list)
        for person_id, department_id, department in (await session.execute(
                select(DepartmentStaff.person_id, DepartmentStaff.department_id, Department.name)
                .join(Department, Department.id == DepartmentStaff.department_id))).all():
            staff[department_id].append(person_id)
            names.setdefault(person_id, department)
        lines: dict[int, list[DigestLine]] = defaultdict(list)
        for row in rows:
            line = DigestLine.of(row, self.policy, now)
            people = [officers[row.assignee_officer_id]] if row.assignee_officer_id in officers else []
            people += staff.get(row.assignee_department_id, []) if row.assignee_department_id else []
            for person_id in people:
                lines[person_id].append(line)
        return {person_id: OfficerDigest(day, tuple(sorted(
            items, key=lambda l: (not l.overdue, not l.due_today, not l.urgent, l.due_at, l.case_id))),
            names.get(person_id, ""))
            for person_id, items in lines.items()}

    async def _officer_morning(self, session: AsyncSession, now: datetime, day: date) -> int:
        digests = await self.officer_digests(session, now, day)
        people = {p.id: p for p in (await session.execute(
            select(Person).where(Person.id.in_(list(digests))))).scalars()} if digests else {}
        for person_id, digest in sorted(digests.items()):
            self.digests.officer_morning(Mailroom(session), people[person_id], digest)
        return len(digests)

    async def supervisor_reports(self, session: AsyncSession, now: datetime, day: date) -> dict[int, SupervisorReport]:
        """person id → the day's report for the supervisor's scope: the figures of bot/figures.py for
        that day, summed over the grids the supervisor covers (one set of aggregate queries for all)."""
        supervisors = list((await session.execute(
            select(Officer).where(Officer.role.in_(SUPERVISOR_ROLES), Officer.person_id.is_not(None),
                                  Officer.active).order_by(Officer.id))).scalars())
        if not supervisors:
            return {}
        by_grid = await tally_by_grid(session, Period.day(day, self.config.tz), now)
        grids = {g.id: g for g in (await session.execute(select(Grid))).scalars()}
        names = {**dict((await session.execute(select(Community.id, Community.name))).all()),
                 **dict((await session.execute(select(Street.id, Street.name))).all())}
        district = await session.scalar(select(Street.district_name).limit(1)) or ""
        posts = await district_tree(session)

        def area(grid_id: str | None) -> set[str]:
            grid = grids.get(grid_id or "")
            return {grid.id, grid.community_id, grid.community.street_id} if grid else set()

        reports = {}
        for officer in supervisors:
            scopes = {s.scope_id for s in officer.scopes}
            everywhere = officer.role == "district_supervisor"
            mine = {grid_id: t for grid_id, t in by_grid.items() if everywhere or area(grid_id) & scopes}
            overdue = sorted(((grids[g].name if g in grids else "—", t.overdue_open) for g, t in mine.items()
                              if t.overdue_open), key=lambda kv: (-kv[1], kv[0]))
            scope = district if everywhere else "、".join(names.get(s, s) for s in sorted(scopes))
            reports[officer.person_id] = SupervisorReport.of(day, scope, sum(mine.values(), Tally()), overdue,
                                                             unjoined_in(posts, scopes, everywhere))
        return reports

    async def _supervisor_daily(self, session: AsyncSession, now: datetime, day: date) -> int:
        reports = await self.supervisor_reports(session, now, day)
        for person_id, report in sorted(reports.items()):
            self.digests.supervisor_daily(Mailroom(session), await session.get(Person, person_id), report)
        return len(reports)


def lacks_limits(case: Case) -> bool:
    """A case in a status with a time limit that has never had one (see Supervisor.start_missing)."""
    return (str(case.status) in LIMIT_STATUSES and not case.deadline_round
            and all(getattr(case, column.key) is None for column in NO_LIMITS))

