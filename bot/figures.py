"""The command centre's figures (受理量, 当日办结率 …) for a scope and a period, computed in SQL.

One module for the daily digest (bot/supervision.py), `gridsec report` and the web command centre,
so every screen shows the same numbers. Each rate is kept as its numerator and denominator (a
`Tally`, additive over grids), so a supervisor covering several grids, communities or streets
gets the sum of per-grid aggregates and nobody loads cases into Python.

The definitions (a period is whole local days, `from` to `to` inclusive; "filed" means created in it):

- `filed`: cases filed in the period.
- `same_day_rate`: filed cases whose standing 办结 fell on the local day they were filed / filed.
  (A reopened case has no standing 办结 until it is resolved again.)
- `on_time_rate`: of the filed cases that are resolved, or whose 办结 limit passed before they were
  resolved or ended (cancelled, rejected), those resolved by the limit; extensions count, since
  延期 moves the limit itself.
- `closed_rate`: filed cases now closed (结案) / filed.
- `rework_rate`: filed cases reopened after 办结 at least once / filed cases resolved at least once.
  (A department's 办结 sent for 核查 counts as a 办结, and a failed check, 未办好退回, as reopening.)
- `first_dispatch_rate`: filed cases never handed back (退回) nor moved to another grid as "not
  my grid" (a grid correction) / filed.
- `satisfaction_rate`: (满意 + 基本满意) / ratings given in the period.
- `avg_accept_minutes`: dispatch → 接单 over the acceptances in the period.
- `avg_resolve_hours`: filing → 办结 over the 办结 in the period.
- `overdue_open`: cases open now whose running limit (接单 while waiting for it, else 办结) has passed.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deadlines import ACCEPT_STATUSES, RESOLVE_ESCALATE_STATUSES
from bot.hotspots import HotSpot, hot_spots
from bot.lifecycle import Status
from storage.models import Case, Community, Department, Grid, Rating, Street, UtcDateTime

FIGURE_KEYS = ("filed", "same_day_rate", "on_time_rate", "closed_rate", "rework_rate", "first_dispatch_rate",
               "satisfaction_rate", "avg_accept_minutes", "avg_resolve_hours", "overdue_open")
GOOD_SCORES = ("satisfied", "basic")  # 满意, 基本满意


class UnknownScope(LookupError):
    """A scope id that is no grid, community, street or district of the database."""


# ---------------------------------------------------------------- scope and period
@dataclass(frozen=True)
class Scope:
    """Where the figures are about: one grid, community or street, or the whole district."""

    id: str
    kind: str  # grid | community | street | district
    name: str

    def cases(self) -> ColumnElement[bool] | None:
        """The condition on Case for the cases in this scope; None for the district (every case)."""
        if self.kind == "grid":
            return Case.grid_id == self.id
        if self.kind == "community":
            return Case.grid_id.in_(select(Grid.id).where(Grid.community_id == self.id))
        if self.kind == "street":
            return Case.grid_id.in_(select(Grid.id).join(Community).where(Community.street_id == self.id))
        return None


async def find_scope(session: AsyncSession, scope_id: str) -> Scope:
    """The scope a grid, community, street or district id names (a district id is the prefix of
    its street ids, `YX` for `YX-BZ`, as the district import defines it)."""
    for kind, model in (("grid", Grid), ("community", Community), ("street", Street)):
        name = await session.scalar(select(model.name).where(model.id == scope_id))
        if name is not None:
            return Scope(scope_id, kind, name)
    district = await session.scalar(select(Street.district_name).where(Street.id.like(f"{scope_id}-%")).limit(1))
    if district is None:
        raise UnknownScope(scope_id)
    return Scope(scope_id, "district", district)


@dataclass(frozen=True)
class Period:
    """Whole local days, `first` to `last` inclusive, in the district's time zone."""

    first: date
    last: date
    tz: ZoneInfo

    @classmethod
    def day(cls, day: date, tz: ZoneInfo) -> "Period":
        return cls(day, day, tz)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, self.tz).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


# ---------------------------------------------------------------- the tally
@dataclass(frozen=True)
class Tally:
    """The numerators and denominators behind the figures, for some set of cases; additive."""

    filed: int = 0
    same_day: int = 0
    on_time: int = 0
    on_time_due: int = 0      # resolved, or past their 办结 limit unresolved
    closed: int = 0
    resolved_once: int = 0
    reopened: int = 0
    first_dispatch: int = 0
    accepted: int = 0         # acceptances in the period
    accept_seconds: float = 0.0
    resolved: int = 0         # 办结 in the period
    resolve_seconds: float = 0.0
    rated: int = 0
    satisfied: int = 0        # 满意 or 基本满意
    overdue_open: int = 0

    @classmethod
    def of(cls, values: dict[str, Any]) -> "Tally":
        """From query results, whose sums are Decimal on PostgreSQL: counts as int, seconds as float."""
        return cls(**{f.name: type(f.default)(values.get(f.name) or 0) for f in fields(cls)})

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def avg_accept(self) -> timedelta | None:
        return timedelta(seconds=self.accept_seconds / self.accepted) if self.accepted else None

    @property
    def avg_resolve(self) -> timedelta | None:
        return timedelta(seconds=self.resolve_seconds / self.resolved) if self.resolved else None

    def figures(self) -> dict[str, float | int | None]:
        """The figures under their keys (FIGURE_KEYS); a rate or mean of nothing is None."""
        return {
            "filed": self.filed,
            "same_day_rate": _share(self.same_day, self.filed),
            "on_time_rate": _share(self.on_time, self.on_time_due),
            "closed_rate": _share(self.closed, self.filed),
            "rework_rate": _share(self.reopened, self.resolved_once),
            "first_dispatch_rate": _share(self.first_dispatch, self.filed),
            "satisfaction_rate": _share(self.satisfied, self.rated),
            "avg_accept_minutes": round(self.accept_seconds / 60 / self.accepted, 1) if self.accepted else None,
            "avg_resolve_hours": round(self.resolve_seconds / 3600 / self.resolved, 2) if self.resolved else None,
            "overdue_open": self.overdue_open,
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Figures:
    scope: Scope
    period: Period
    tally: Tally

    def as_dict(self) -> dict[str, Any]:
        """What `gridsec report --json` prints: the figures, the scope and the period."""
        return {"scope": asdict(self.scope), "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat(), **self.tally.figures()}


@dataclass(frozen=True)
class Breakdown:
    """What the command centre shows beside the figures, for the same scope and period."""

    by_day: tuple[tuple[str, int], ...]               # local date → cases filed
    overdue_grids: tuple[tuple[str, str, int], ...]   # the TOP grids by open cases past a limit now: id, name, n
    by_category: tuple[tuple[str, int], ...]          # category → cases filed, most first
    by_department: tuple[tuple[str, str, int], ...]   # department id, name, filed cases it holds, most first


TOP = 10


# ---------------------------------------------------------------- the queries
async def breakdown(session: AsyncSession, scope: Scope, period: Period, now: datetime) -> Breakdown:
    sql = Dialect(session, period)
    scoped = [] if scope.cases() is None else [scope.cases()]
    filed = [period.holds(Case.created_at), *scoped]
    day = sql.local_date(Case.created_at)
    by_day = (await session.execute(select(day, func.count()).where(*filed).group_by(day).order_by(day))).all()
    late = func.count().label("late")
    overdue = (await session.execute(
        select(Grid.id, Grid.name, late).join(Case, Case.grid_id == Grid.id)
        .where(running_limit() < literal(now, UtcDateTime()), *scoped)
        .group_by(Grid.id, Grid.name).order_by(late.desc(), Grid.id).limit(TOP))).all()
    n = func.count().label("n")
    categories = (await session.execute(select(Case.category, n).where(*filed).group_by(Case.category)
                                        .order_by(n.desc(), Case.category))).all()
    departments = (await session.execute(
        select(Department.id, Department.name, n).join(Case, Case.assignee_department_id == Department.id)
        .where(*filed).group_by(Department.id, Department.name).order_by(n.desc(), Department.id))).all()
    return Breakdown(tuple((str(d), int(c)) for d, c in by_day), tuple((g, name, int(c)) for g, name, c in overdue),
                     tuple((c, int(k)) for c, k in categories), tuple((d, name, int(k)) for d, name, k in departments))


async def figures(session: AsyncSession, scope: Scope, period: Period, now: datetime) -> Figures:
    tallies = await tally(session, period, now, where=scope.cases())
    return Figures(scope, period, tallies.get(None, Tally()))


async def hot_spots_in(session: AsyncSession, config, scope: Scope, now: datetime) -> list[HotSpot]:
    """预警 for the command centre: the hot spots in `scope` now, as the grid leaders are pinged about."""
    return await hot_spots(session, config, now, where=scope.cases())


async def tally_by_grid(session: AsyncSession, period: Period, now: datetime) -> dict[str | None, Tally]:
    """grid id (None: cases without a grid) → its tally: the digest sums them per supervisor."""
    return await tally(session, period, now, by_grid=True)


async def tally(session: AsyncSession, period: Period, now: datetime, *, where: ColumnElement[bool] | None = None,
                by_grid: bool = False) -> dict[str | None, Tally]:
    """Two aggregate queries (one scan of the cases `where` selects, whose flags say what each went
    through; the ratings), summed per grid with `by_grid`, else under the key None."""
    sql = Dialect(session, period)
    key = Case.grid_id if by_grid else literal(None)
    scoped = [] if where is None else [where]
    at_now = literal(now, UtcDateTime())
    count = lambda condition: func.sum(case((condition, 1), else_=0))  # noqa: E731
    resolved_by_limit = or_(Case.resolve_due_at.is_(None), Case.resolved_at <= Case.resolve_due_at)
    limit_passed = and_(Case.resolved_at.is_(None), Case.resolve_due_at < func.coalesce(Case.closed_at, at_now))
    first_dispatch = and_(Case.was_returned.is_(False), Case.was_moved.is_(False))
    dispatched_at = func.coalesce(Case.due_from, Case.created_at)
    filed = period.holds(Case.created_at)
    resolved = Case.resolved_at.is_not(None)
    accepted = and_(period.holds(Case.accepted_at), Case.accepted_at >= dispatched_at)
    resolved_in = period.holds(Case.resolved_at)
    queries = {  # one scan of the scope's cases for everything but the ratings
        ("filed", "same_day", "on_time", "on_time_due", "closed", "resolved_once", "reopened", "first_dispatch",
         "accepted", "accept_seconds", "resolved", "resolve_seconds", "overdue_open"):
            select(key, count(filed),
                   count(and_(filed, resolved, sql.local_date(Case.resolved_at) == sql.local_date(Case.created_at))),
                   count(and_(filed, resolved, resolved_by_limit)), count(and_(filed, or_(resolved, limit_passed))),
                   count(and_(filed, Case.status == str(Status.CLOSED))), count(and_(filed, Case.was_resolved)),
                   count(and_(filed, Case.was_reopened)), count(and_(filed, first_dispatch)),
                   count(accepted), func.sum(case((accepted, sql.seconds(Case.accepted_at, dispatched_at)), else_=0)),
                   count(resolved_in), func.sum(case((resolved_in, sql.seconds(Case.resolved_at, Case.created_at)),
                                                     else_=0)),
                   count(running_limit() < at_now))
            .select_from(Case).where(*scoped),
        ("rated", "satisfied"): _rated(select(key, func.count(), count(Rating.score.in_(GOOD_SCORES))),
                                       period, scoped, by_grid),
    }
    found: dict[str | None, dict[str, Any]] = {}
    for names, query in queries.items():
        if by_grid:
            query = query.group_by(Case.grid_id)
        for grid_id, *values in (await session.execute(query)).all():
            row = found.setdefault(grid_id, {})
            row.update(zip(names, values))
    return {grid_id: Tally.of(values) for grid_id, values in found.items()}


def _rated(query: Select, period: Period, scoped: list[ColumnElement[bool]], by_grid: bool) -> Select:
    """The ratings given in the period, joined to their cases only when a scope or the grids need them."""
    query = query.select_from(Rating).where(period.holds(Rating.at))
    if scoped or by_grid:
        query = query.join(Case, Case.id == Rating.case_id).where(*scoped)
    return query


def running_limit() -> ColumnElement[Any]:
    """The limit a case works against now, as Policy.running_limit reads it: 接单 while waiting for
    it, else 办结; NULL in a status without one."""
    return case((and_(Case.status.in_(_values(ACCEPT_STATUSES)), Case.accept_due_at.is_not(None)),
                 Case.accept_due_at),
                (Case.status.in_(_values(RESOLVE_ESCALATE_STATUSES)), Case.resolve_due_at))


def _values(statuses: frozenset[Status]) -> list[str]:
    return sorted(str(s) for s in statuses)


class Dialect:
    """The two expressions SQLite and PostgreSQL spell differently: a timestamp's local date and the
    seconds between two timestamps."""

    def __init__(self, session: AsyncSession, period: Period) -> None:
        self.name = session.get_bind().dialect.name
        self.zone = period.tz.key
        # SQLite has no time zones: the zone's offset at the start of the period (exact for zones
        # without daylight saving, as China's; PostgreSQL is exact for every zone)
        offset = period.start.astimezone(period.tz).utcoffset() or timedelta()
        self.offset = f"{int(offset.total_seconds() // 60):+d} minutes"

    def local_date(self, column: Any) -> ColumnElement[Any]:
        if self.name == "postgresql":
            return func.date(func.timezone(self.zone, column))
        return func.date(column, self.offset)

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        if self.name == "postgresql":
            return extract("epoch", later - earlier)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
