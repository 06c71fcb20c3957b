"""Time limits as data: working-hours calendar, quiet hours, deadlines, reminder points and the
escalation ladder. Pure: no database, no Telegram; every function takes the instant it reasons about.

A case's schedule is a few columns on its row (see storage/models.py):

- `due_from`: when the running limits started (the dispatch: 派单, 转办 or 重新办理);
- `accept_due_at`, `resolve_due_at`: the 接单 and 办结 deadlines computed from the case's limit;
- `deadline_round`, `deadline_round_at`: a round starts at every dispatch, extension (延期) and
  办结; points that fell before the round began are not owed any more;
- `next_check_at`: when the sweep should next look at the case.

From those columns and the policy, `Policy.plan` lists the points owed in the current round:

    accept.remind.<i>    ASSIGNED   at the i-th reminder fraction of [due_from, accept_due_at]
    accept.escalate.<r>  ASSIGNED   at accept_due_at + rung r's delay
    resolve.remind.<i>   ACCEPTED   at the i-th reminder fraction of [due_from, resolve_due_at]
    resolve.escalate.<r> ASSIGNED, ACCEPTED, RETURNED   at resolve_due_at + rung r's delay
    rating.ask           RESOLVED   ask the reporter to rate, `ask_rating_after` after 办结
    rating.close         RESOLVED   close after `close_after` of silence

A point is done once per (case, round, step); the database enforces that with a unique key.
Fractions and delays count in the limit's own hours: working time (working days and hours minus
public holidays, plus make-up working days) or calendar time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from bot.lifecycle import Status

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PHASES = ("accept", "resolve")
# Statuses in which each kind of point is owed.
ACCEPT_STATUSES = frozenset({Status.ASSIGNED})
RESOLVE_REMIND_STATUSES = frozenset({Status.ACCEPTED})
RESOLVE_ESCALATE_STATUSES = frozenset({Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED})
RATING_STATUSES = frozenset({Status.RESOLVED})
# Statuses in which a time limit (接单 or 办结) runs.
LIMIT_STATUSES = ACCEPT_STATUSES | RESOLVE_ESCALATE_STATUSES
_MAX_DAYS = 3660  # a calendar with no working time at all must not loop for ever


# ---------------------------------------------------------------- parsing (shared with bot/config.py)
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|天|小时|时|分钟|分)")
_UNIT = {"天": "d", "小时": "h", "时": "h", "分钟": "m", "分": "m"}


class Amount(NamedTuple):
    """A duration as written: days are kept apart from the rest because in working hours a day is
    one working day, not 24 hours (see `duration`)."""

    days: float
    rest: timedelta

    @property
    def calendar(self) -> timedelta:
        """The amount in calendar time, a day being 24 hours."""
        return timedelta(days=self.days) + self.rest


def parse_amount(text: str) -> Amount:
    """'4h', '1h30m', '2d', '5天', '30分钟' → Amount(days, rest). ValueError with a readable message otherwise."""
    raw = str(text).strip().lower().replace(" ", "")
    parts = _AMOUNT.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 4h, 1h30m, 2d)")
    days, rest = 0.0, timedelta()
    for number, unit in parts:
        unit = _UNIT.get(unit, unit)
        if unit == "d":
            days += float(number)
        else:
            rest += timedelta(**{"hours" if unit == "h" else "minutes": float(number)})
    return Amount(days, rest)


def parse_clock(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text).strip())
    if not match or int(match[1]) > 24 or int(match[2]) > 59 or (int(match[1]) == 24 and int(match[2])):
        raise ValueError(f"not a time of day: {text!r} (use HH:MM, e.g. 08:30)")
    hour, minute = int(match[1]), int(match[2])
    return time.max if hour == 24 else time(hour, minute)


def parse_range(text: str) -> tuple[time, time]:
    """'08:30-12:00' → (08:30, 12:00). The end may be earlier than the start (crossing midnight)."""
    if not isinstance(text, str) or text.count("-") != 1:
        raise ValueError(f"not a time range: {text!r} (use HH:MM-HH:MM, e.g. 08:30-12:00)")
    start, end = (parse_clock(p) for p in text.split("-"))
    if start == end:
        raise ValueError(f"empty time range: {text!r}")
    return start, end


def parse_dates(items: Iterable[str]) -> frozenset[date]:
    """['2026-10-01..2026-10-07', '2026-01-01'] → the set of dates."""
    out: set[date] = set()
    for item in items:
        text = str(item).strip()
        first, _, last = text.partition("..")
        try:
            a = date.fromisoformat(first.strip())
            b = date.fromisoformat(last.strip()) if last else a
        except ValueError:
            raise ValueError(f"not a date or date range: {text!r} (use 2026-10-01 or 2026-10-01..2026-10-07)") from None
        if b < a:
            raise ValueError(f"date range ends before it starts: {text!r}")
        out.update(a + timedelta(days=i) for i in range((b - a).days + 1))
    return frozenset(out)


# ---------------------------------------------------------------- clocks that limits count in
class Hours(Protocol):
    day: timedelta  # what "1d" means in these hours

    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def between(self, a: datetime, b: datetime) -> timedelta: ...


@dataclass(frozen=True)
class CalendarHours:
    day: timedelta = timedelta(days=1)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return start + amount

    def between(self, a: datetime, b: datetime) -> timedelta:
        return max(timedelta(0), b - a)


@dataclass(frozen=True)
class WorkCalendar:
    """Working time: `hours` on `days` (0 = Monday), minus `holidays`, plus `extra_days` (调休上班)."""

    tz: ZoneInfo
    days: frozenset[int]
    hours: tuple[tuple[time, time], ...]
    holidays: frozenset[date] = frozenset()
    extra_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.hours or any(end <= start for start, end in self.hours):
            raise ValueError("working hours must be ranges within one day, e.g. 08:30-12:00")
        ordered = sorted(self.hours)
        if any(b[0] < a[1] for a, b in zip(ordered, ordered[1:])):
            raise ValueError("working hours overlap")
        object.__setattr__(self, "hours", tuple(ordered))

    @property
    def day(self) -> timedelta:
        return sum((_span(s, e) for s, e in self.hours), timedelta())

    @property
    def day_end(self) -> time:
        """When the working day ends: a deadline given as a bare date means then."""
        return self.hours[-1][1]

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_days:
            return True
        return day.weekday() in self.days and day not in self.holidays

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [(self._at(day, s), self._at(day, e)) for s, e in self.hours]

    def _at(self, day: date, moment: time) -> datetime:
        if moment == time.max:
            return datetime.combine(day + timedelta(days=1), time(0), self.tz).astimezone(timezone.utc)
        return datetime.combine(day, moment, self.tz).astimezone(timezone.utc)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of working time has passed since `start`."""
        if amount <= timedelta(0):
            return start
        left = amount
        day = start.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            for a, b in self.intervals(day):
                if b <= start:
                    continue
                a = max(a, start)
                if b - a >= left:
                    return a + left
                left -= b - a
            day += timedelta(days=1)
        raise ValueError("no working time in the next ten years: check working_days and holidays")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b` (zero if b is not after a)."""
        total = timedelta()
        if b <= a:
            return total
        day, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        while day <= last:
            for x, y in self.intervals(day):
                lo, hi = max(x, a), min(y, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total


def _span(start: time, end: time) -> timedelta:
    base = date(2000, 1, 3)
    stop = datetime.combine(base + timedelta(days=1), time(0)) if end == time.max else datetime.combine(base, end)
    return stop - datetime.combine(base, start)


@dataclass(frozen=True)
class QuietHours:
    """Local hours in which non-urgent pings wait; `start` after `end` means the range crosses midnight."""

    tz: ZoneInfo
    start: time
    end: time

    def holds(self, instant: datetime) -> bool:
        now = instant.astimezone(self.tz).time()
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def release(self, instant: datetime) -> datetime:
        """`instant` itself outside quiet hours, else the moment the quiet hours end."""
        if not self.holds(instant):
            return instant
        local = instant.astimezone(self.tz)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, self.tz).astimezone(timezone.utc)


def duration(hours: Hours, amount: Amount) -> timedelta:
    """`amount` in `hours` (a day is that clock's day)."""
    days, rest = amount
    return hours.day * days + rest


# ---------------------------------------------------------------- the policy
@dataclass(frozen=True)
class Rung:
    role: str            # an officers.csv role: grid_leader, community_secretary, …
    after: timedelta     # after the limit ran out, in the limit's hours


@dataclass(frozen=True)
class Limit:
    accept: timedelta
    resolve: timedelta
    hours: Hours
    ladders: dict[str, tuple[Rung, ...]]  # phase → rungs
    urgent: bool = False  # urgent limits ignore quiet hours


@dataclass(frozen=True)
class Point:
    at: datetime
    step: str          # e.g. "resolve.escalate.1"
    phase: str         # accept | resolve | rating
    kind: str          # remind | escalate | ask | close
    index: int = 0
    role: str | None = None  # escalation: the rung's role
    due: datetime | None = None  # the deadline the point is about
    exempt: bool = False  # may be sent during quiet hours


@dataclass(frozen=True)
class Due:
    """Where a case stands against the limit it is working to, as lists (/tasks, digests) show it."""

    phase: str                  # accept | resolve
    at: datetime                # the deadline
    days: int                   # local calendar days from now to it: 0 today, 1 tomorrow, -1 yesterday
    late: timedelta | None      # how long ago it passed; None while the limit runs

    @property
    def overdue(self) -> bool:
        return self.late is not None


def local_days(instant: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Local calendar days from `now` to `instant`: 0 the same day, 1 the next, -1 the day before."""
    return (instant.astimezone(tz).date() - now.astimezone(tz).date()).days


@dataclass(frozen=True)
class Decision:
    perform: tuple[Point, ...]   # do these now, in order
    skip: tuple[Point, ...]      # overtaken by a later point (e.g. a reminder after an escalation is due)
    held_until: datetime | None  # due but waiting for the quiet hours to end


class Schedulable(Protocol):
    """What the policy reads from a case (storage.models.Case has these attributes)."""

    status: str
    category: str
    urgent: bool
    due_from: datetime | None
    accept_due_at: datetime | None
    resolve_due_at: datetime | None
    deadline_round_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Policy:
    tz: ZoneInfo
    default: Limit
    urgent: Limit
    categories: dict[str, Limit]
    urgent_categories: frozenset[str]
    reminders: tuple[float, ...]
    quiet: QuietHours | None
    ask_rating_after: timedelta
    close_after: timedelta
    calendar: WorkCalendar
    rating_hours: Hours = field(default_factory=CalendarHours)

    # -- which limit
    def is_urgent(self, case: Schedulable) -> bool:
        return bool(case.urgent) or case.category in self.urgent_categories

    def limit_for(self, case: Schedulable) -> Limit:
        if self.is_urgent(case):
            return self.urgent
        return self.categories.get(case.category, self.default)

    # -- setting deadlines
    def start(self, case: Schedulable, now: datetime) -> tuple[datetime, datetime]:
        """The 接单 and 办结 deadlines of a case dispatched at `now`."""
        limit = self.limit_for(case)
        return limit.hours.add(now, limit.accept), limit.hours.add(now, limit.resolve)

    def extended(self, case: Schedulable, now: datetime, amount: Amount) -> datetime:
        """A 办结 deadline moved `amount` later (from now if it has already passed)."""
        hours = self.limit_for(case).hours
        base = max(case.resolve_due_at or now, now)
        return hours.add(base, duration(hours, amount))

    # -- what is owed
    def plan(self, case: Schedulable) -> list[Point]:
        """Every point owed in the case's current round, in time order."""
        limit = self.limit_for(case)
        exempt = limit.urgent
        status = str(case.status)
        points: list[Point] = []
        if status in ACCEPT_STATUSES and case.accept_due_at and case.due_from:
            points += self._reminders("accept", limit, case.due_from, case.accept_due_at, exempt)
            points += self._ladder("accept", limit, case.accept_due_at, exempt)
        if case.resolve_due_at and case.due_from:
            if status in RESOLVE_REMIND_STATUSES:
                points += self._reminders("resolve", limit, case.due_from, case.resolve_due_at, exempt)
            if status in RESOLVE_ESCALATE_STATUSES:
                points += self._ladder("resolve", limit, case.resolve_due_at, exempt)
        if status in RATING_STATUSES and case.resolved_at:
            points.append(Point(self.rating_hours.add(case.resolved_at, self.ask_rating_after), "rating.ask",
                                "rating", "ask"))
            points.append(Point(self.rating_hours.add(case.resolved_at, self.close_after), "rating.close",
                                "rating", "close"))
        if case.deadline_round_at is not None:
            points = [p for p in points if p.at >= case.deadline_round_at]
        return sorted(points, key=lambda p: (p.at, p.step))

    def _reminders(self, phase: str, limit: Limit, start: datetime, due: datetime, exempt: bool) -> list[Point]:
        span = limit.hours.between(start, due)
        return [Point(limit.hours.add(start, span * fraction), f"{phase}.remind.{i}", phase, "remind", i,
                      due=due, exempt=exempt)
                for i, fraction in enumerate(self.reminders)]

    def _ladder(self, phase: str, limit: Limit, due: datetime, exempt: bool) -> list[Point]:
        return [Point(limit.hours.add(due, rung.after), f"{phase}.escalate.{i}", phase, "escalate", i,
                      role=rung.role, due=due, exempt=exempt)
                for i, rung in enumerate(limit.ladders.get(phase, ()))]

    def decide(self, case: Schedulable, done: set[str], now: datetime) -> Decision:
        """What the sweep does at `now`: the points to act on, the ones overtaken, and what waits.

        After downtime several points may be due at once. Every due escalation rung is performed
        (each reaches different people); a reminder is sent only when no escalation of its phase is
        due, and then only the latest one; asking for a rating is skipped when the close is due.
        """
        due = [p for p in self.plan(case) if p.at <= now and p.step not in done]
        held_until = None
        if self.quiet is not None and self.quiet.holds(now):
            waiting = [p for p in due if not p.exempt]
            if waiting:
                held_until = self.quiet.release(now)
            due = [p for p in due if p.exempt]
        perform: list[Point] = []
        skip: list[Point] = []
        for phase in ("accept", "resolve"):
            mine = [p for p in due if p.phase == phase]
            escalations = [p for p in mine if p.kind == "escalate"]
            reminders = [p for p in mine if p.kind == "remind"]
            if escalations:
                perform += escalations
                skip += reminders
            elif reminders:
                perform.append(reminders[-1])
                skip += reminders[:-1]
        rating = {p.kind: p for p in due if p.phase == "rating"}
        if "close" in rating:
            perform.append(rating["close"])
            if "ask" in rating:
                skip.append(rating["ask"])
        elif "ask" in rating:
            perform.append(rating["ask"])
        return Decision(tuple(sorted(perform, key=lambda p: (p.at, p.step))), tuple(skip), held_until)

    def next_check(self, case: Schedulable, done: set[str], now: datetime) -> datetime | None:
        """When the sweep should next look at the case: its earliest point not yet done, moved past
        the quiet hours unless it is exempt; None when nothing more is owed."""
        times = []
        for point in self.plan(case):
            if point.step in done:
                continue
            at = max(point.at, now)
            if self.quiet is not None and not point.exempt:
                at = self.quiet.release(at)
            times.append(at)
        return min(times) if times else None

    def running_limit(self, case: Schedulable) -> tuple[str, datetime] | None:
        """The limit the case is working against now, as (phase, deadline): 接单 while waiting for
        it, else 办结; None in a status without a limit or when the case has none."""
        if str(case.status) in ACCEPT_STATUSES and case.accept_due_at:
            return "accept", case.accept_due_at
        if str(case.status) in RESOLVE_ESCALATE_STATUSES and case.resolve_due_at:
            return "resolve", case.resolve_due_at
        return None

    def current_due(self, case: Schedulable) -> datetime | None:
        """The deadline the case is working against now: 接单 while waiting for it, else 办结."""
        limit = self.running_limit(case)
        return limit[1] if limit else None

    def due(self, case: Schedulable, now: datetime) -> Due | None:
        """The running limit as of `now`, in local days, and how late the case is (None: no limit)."""
        limit = self.running_limit(case)
        if limit is None:
            return None
        phase, at = limit
        return Due(phase, at, local_days(at, now, self.tz), now - at if at < now else None)


# ---------------------------------------------------------------- the policy from config
def build_policy(config) -> Policy:
    """The Policy described by a validated bot.config.Config (sections `deadlines` and `cases`)."""
    section = config.deadlines
    tz = config.tz
    calendar = WorkCalendar(tz, frozenset(WEEKDAYS.index(d) for d in section.working_days), section.working_hours,
                            section.holidays, section.extra_working_days)

    def limit(entry, base: Limit | None, urgent: bool = False) -> Limit:
        if entry.hours:
            hours = calendar if entry.hours == "working" else CalendarHours()
        else:
            hours = base.hours if base is not None else calendar
        accept = duration(hours, entry.accept) if entry.accept else base.accept
        resolve = duration(hours, entry.resolve) if entry.resolve else base.resolve
        if entry.escalation is not None:
            ladders = _ladders(entry.escalation, hours)
        elif base is not None and base.hours == hours:
            ladders = base.ladders
        else:
            ladders = _ladders(section.escalation, hours)
        return Limit(accept, resolve, hours, ladders, urgent)

    default = limit(section.default, None)
    urgent = limit(section.urgent, None, urgent=True)
    categories = {name: limit(entry, default) for name, entry in section.categories.items()}
    quiet = QuietHours(tz, *section.quiet_hours) if section.quiet_hours else None
    return Policy(tz=tz, default=default, urgent=urgent, categories=categories,
                  urgent_categories=frozenset(section.urgent_categories), reminders=tuple(section.reminders),
                  quiet=quiet, ask_rating_after=config.cases.ask_rating_after,
                  close_after=config.cases.close_after, calendar=calendar)


def _ladders(escalation, hours: Hours) -> dict[str, tuple[Rung, ...]]:
    return {phase: tuple(Rung(r.to, duration(hours, r.after)) for r in getattr(escalation, phase))
            for phase in PHASES}


_POLICIES: dict[int, tuple[object, Policy]] = {}


def policy_for(config) -> Policy:
    """The Policy of a Config, built once per Config object."""
    cached = _POLICIES.get(id(config))
    if cached is None or cached[0] is not config:
        if len(_POLICIES) > 64:  # tests build many configs; a running bot has one
            _POLICIES.clear()
        cached = (config, build_policy(config))
        _POLICIES[id(config)] = cached
    return cached[1]


def span_parts(span: timedelta) -> tuple[int, int, int]:
    """(days, hours, minutes) of a span, rounded to the minute, for texts like 2天3小时."""
    minutes = max(0, int(round(span.total_seconds() / 60)))
    return minutes // 1440, minutes % 1440 // 60, minutes % 60
