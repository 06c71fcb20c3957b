"""The figures (bot/figures.py) on SQLite and PostgreSQL, on purpose-built cases: each definition's
numerator and denominator, the local day (cases filed and resolved around midnight, where the
local and the UTC dates differ), scopes from a grid to the district, and the digest's use of them.

Cases are written by a factory with the timestamps, timeline rows, ratings and grid corrections
each definition reads, in every status; the period is 2026-11-24 in Asia/Shanghai, "now" 18:00.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.cases import WAS
from bot.figures import (
    FIGURE_KEYS, Period, Scope, Tally, UnknownScope, breakdown, figures, find_scope, tally_by_grid,
)
from bot.people import create_invite, ensure_person, redeem_invite
from bot.lifecycle import Action, Status
from bot.supervision import Supervisor
from gridsec import cli
from storage.models import Case, CaseEvent, GridCorrection, Person, Rating

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 24)
PERIOD = Period.day(DAY, TZ)
G1, G2, G3 = "YX-BZ-01-01", "YX-BZ-02-01", "YX-RY-01-01"  # 秉北社区 and 文澜社区 of 秉政街道; 榕荫街道
LEADER = "YX-O00008"  # grid leader of 秉北社区 (YX-BZ-01)


def at(text: str, day: int = 0) -> datetime:
    """'09:30' on the period's day (plus `day` days), local time."""
    hour, minute = map(int, text.split(":"))
    return datetime.combine(DAY + timedelta(days=day), datetime.min.time(), TZ).replace(hour=hour, minute=minute)


NOW = at("18:00")
tickets = count(1)


class Factory:
    def __init__(self, session) -> None:
        self.session = session
        self.reporter: Person | None = None

    async def case(self, filed: datetime, status: Status, grid: str | None = G1, *, accepted: datetime | None = None,
                   dispatched: datetime | None = None, resolved: datetime | None = None, ended: datetime | None = None,
                   accept_due: datetime | None = None, resolve_due: datetime | None = None,
                   events: tuple[Action, ...] = (), ratings: tuple[tuple[str, datetime], ...] = (),
                   corrected: bool = False) -> Case:
        if self.reporter is None:
            self.reporter = Person(tg_user_id=5001, chat_id=5001, display_name="居民", created_at=filed)
            self.session.add(self.reporter)
            await self.session.flush()
        case = Case(ticket=f"T{next(tickets):06d}", status=str(status), category="garbage", description="垃圾没人收",
                    grid_id=grid, reporter_id=self.reporter.id, created_at=filed, updated_at=filed,
                    due_from=dispatched or filed, accepted_at=accepted, resolved_at=resolved, closed_at=ended,
                    accept_due_at=accept_due, resolve_due_at=resolve_due, was_moved=corrected,
                    **{flag: any(a in events for a, f in WAS.items() if f == flag) for flag in WAS.values()})
        self.session.add(case)
        await self.session.flush()
        for action in events:
            self.session.add(CaseEvent(case_id=case.id, at=filed, actor_role="assignee", action=str(action),
                                       to_status=str(status), data={}))
        for score, rated in ratings:
            self.session.add(Rating(case_id=case.id, score=score, at=rated))
        if corrected:
            self.session.add(GridCorrection(case_id=case.id, from_grid_id=G1, to_grid_id=grid, at=filed))
        await self.session.flush()
        return case


async def build(session) -> None:
    """The cases of the module docstring; the comment on each says what it counts for in G1."""
    f = Factory(session)
    # filed, same day, on time, closed, resolved once, first dispatch; accept 30 min; resolve 6 h; 满意
    await f.case(at("09:00"), Status.CLOSED, accepted=at("09:30"), resolved=at("15:00"), ended=at("16:00"),
                 resolve_due=at("09:00", 2), events=(Action.RESOLVE,), ratings=(("satisfied", at("16:00")),))
    # filed 23:30 and resolved 00:30 local: the same UTC date, another local day; late; rated tomorrow
    await f.case(at("23:30"), Status.RESOLVED, accepted=at("23:40"), resolved=at("00:30", 1),
                 resolve_due=at("23:45"), events=(Action.RESOLVE,), ratings=(("unsatisfied", at("09:00", 1)),))
    # filed 00:30 and resolved 07:00 local (the previous UTC day): same day; on time; accept 30 min; 6.5 h
    await f.case(at("00:30"), Status.RESOLVED, accepted=at("01:00"), resolved=at("07:00"), resolve_due=at("12:00"),
                 events=(Action.RESOLVE,))
    # open past its 办结 limit: due for on time and not on time, overdue now; accept 20 min
    await f.case(at("10:00"), Status.ACCEPTED, accepted=at("10:20"), resolve_due=at("12:00"))
    # handed back: not a first dispatch; its limit is days away
    await f.case(at("11:00"), Status.RETURNED, resolve_due=at("11:00", 3), events=(Action.RETURN,))
    # resolved, reopened, resolved again by its limit: same day, on time, rework; accept 30 min; 6 h; 不满意 today
    await f.case(at("08:00"), Status.RESOLVED, accepted=at("08:30"), resolved=at("14:00"), resolve_due=at("17:00"),
                 events=(Action.RESOLVE, Action.REOPEN, Action.RESOLVE), ratings=(("unsatisfied", at("13:00")),))
    # resolved once, reopened and waiting again: rework, no standing 办结; accepted before its re-dispatch
    await f.case(at("08:10"), Status.ASSIGNED, accepted=at("08:20"), dispatched=at("12:00"),
                 accept_due=at("09:00", 1), resolve_due=at("09:00", 2), events=(Action.RESOLVE, Action.REOPEN))
    # cancelled before its limit passed: not due for on time
    await f.case(at("12:00"), Status.CANCELLED, ended=at("12:30"), resolve_due=at("13:00"))
    # cancelled after its limit passed: due for on time and late
    await f.case(at("09:00"), Status.CANCELLED, ended=at("11:00"), resolve_due=at("10:00"))
    # filed yesterday: not filed in the period, but accepted (23 h after dispatch), resolved (26 h) and 基本满意 today
    await f.case(at("10:00", -1), Status.RESOLVED, accepted=at("09:00"), resolved=at("12:00"),
                 resolve_due=at("10:00", 2), events=(Action.RESOLVE,), ratings=(("basic", at("13:00")),))
    # filed days ago, past its limit: overdue now whatever the period
    await f.case(at("10:00", -3), Status.ACCEPTED, accepted=at("11:00", -3), resolve_due=at("10:00", -1))
    # G2, moved there as "not my grid": not a first dispatch; waiting past its 接单 limit
    await f.case(at("11:30"), Status.ASSIGNED, G2, accept_due=at("11:45"), resolve_due=at("11:30", 2), corrected=True)
    # G3, another street: waiting past its 接单 limit
    await f.case(at("10:00"), Status.ASSIGNED, G3, accept_due=at("10:30"), resolve_due=at("10:00", 2))
    # no grid yet (submitted): only the district's
    await f.case(at("10:00"), Status.SUBMITTED, None)


G1_TALLY = Tally(filed=9, same_day=3, on_time=3, on_time_due=6, closed=1, resolved_once=5, reopened=2,
                 first_dispatch=8, accepted=6, accept_seconds=(30 + 10 + 30 + 20 + 30 + 1380) * 60, resolved=4,
                 resolve_seconds=(6 + 6.5 + 6 + 26) * 3600, rated=3, satisfied=2, overdue_open=2)


@pytest.fixture
async def built(db):
    """The cases, committed."""
    async with db.session() as s:
        await build(s)


@pytest.fixture
async def session(db, built):
    async with db.session() as s:
        yield s


def same(tally: Tally, expected: Tally) -> None:
    """Equal, the seconds up to SQLite's julianday rounding."""
    assert tally.accept_seconds == pytest.approx(expected.accept_seconds, abs=1)
    assert tally.resolve_seconds == pytest.approx(expected.resolve_seconds, abs=1)
    rounded = dict(accept_seconds=0.0, resolve_seconds=0.0)
    assert Tally.of({**vars(tally), **rounded}) == Tally.of({**vars(expected), **rounded})


async def test_each_figure_counts_its_definition_in_a_grid(session):
    result = await figures(session, await find_scope(session, G1), PERIOD, NOW)
    same(result.tally, G1_TALLY)
    values = result.as_dict()
    assert list(values) == ["scope", "from", "to", *FIGURE_KEYS]
    assert values["scope"] == {"id": G1, "kind": "grid", "name": "秉北社区第1网格"}
    assert (values["from"], values["to"]) == ("2026-11-24", "2026-11-24")
    assert values | {"scope": None} == {
        "scope": None, "from": "2026-11-24", "to": "2026-11-24", "filed": 9, "same_day_rate": 0.3333,
        "on_time_rate": 0.5, "closed_rate": 0.1111, "rework_rate": 0.4, "first_dispatch_rate": 0.8889,
        "satisfaction_rate": 0.6667, "avg_accept_minutes": 250.0, "avg_resolve_hours": pytest.approx(44.5 / 4, abs=0.01),
        "overdue_open": 2}


@pytest.mark.parametrize("scope_id, kind, name, extra", [
    ("YX-BZ-01", "community", "秉北社区", Tally()),
    ("YX-BZ", "street", "秉政街道", Tally(filed=1, overdue_open=1)),
    ("YX", "district", "越秀区", Tally(filed=3, first_dispatch=2, overdue_open=2)),
])
async def test_wider_scopes_add_the_cases_of_their_grids(session, scope_id, kind, name, extra):
    scope = await find_scope(session, scope_id)
    assert scope == Scope(scope_id, kind, name)
    same((await figures(session, scope, PERIOD, NOW)).tally, G1_TALLY + extra)


async def test_per_grid_tallies_sum_to_the_district(session):
    by_grid = await tally_by_grid(session, PERIOD, NOW)
    assert set(by_grid) == {G1, G2, G3, None}
    same(by_grid[G1], G1_TALLY)
    same(sum(by_grid.values(), Tally()), (await figures(session, await find_scope(session, "YX"), PERIOD, NOW)).tally)


async def test_a_longer_period_takes_in_the_days_it_covers(session):
    two_days = Period(DAY - timedelta(days=1), DAY, TZ)
    tally = (await figures(session, await find_scope(session, G1), two_days, NOW)).tally
    # yesterday's case is filed in it now, with its first dispatch and its resolve event
    assert (tally.filed, tally.first_dispatch, tally.resolved_once, tally.on_time, tally.on_time_due) == (10, 9, 6, 4, 7)


async def test_nothing_in_the_period_gives_no_rates(session):
    empty = await figures(session, await find_scope(session, G1), Period.day(DAY + timedelta(days=30), TZ), NOW)
    assert empty.as_dict() | {"scope": None, "from": None, "to": None} == {
        "scope": None, "from": None, "to": None, **{key: None for key in FIGURE_KEYS},
        "filed": 0, "overdue_open": 2}


async def test_an_unknown_scope_is_refused(session):
    with pytest.raises(UnknownScope):
        await find_scope(session, "YX-NOPE")


async def test_the_daily_digest_shows_the_same_figures(session, db, config):
    person = await ensure_person(session, 7001, 7001, "梁峰", None, NOW)
    invite = await create_invite(session, NOW, timedelta(hours=1), officer_id=LEADER)
    await redeem_invite(session, person, invite.code, NOW)
    supervisor = Supervisor(db, None, config, notifier=None, digests=None)
    report = (await supervisor.supervisor_reports(session, NOW, DAY))[person.id]
    expected = (await figures(session, await find_scope(session, "YX-BZ-01"), PERIOD, NOW)).tally
    assert (report.scope, report.new, report.resolved, report.same_day, report.on_time, report.closed,
            report.rated, report.satisfied, report.overdue) == (
        "秉北社区", expected.filed, expected.resolved, expected.same_day, expected.on_time, expected.closed,
        expected.rated, expected.satisfied, expected.overdue_open)
    assert report.overdue_by_grid == (("秉北社区第1网格", 2),)
    assert report.avg_accept == expected.avg_accept and report.avg_resolve == expected.avg_resolve


async def test_gridsec_report_prints_the_figures(built, config, capsys):
    argv = ["report", "--config", "tests/config.yaml", "--database", config.database.url, "--scope", "YX-BZ",
            "--from", "2026-11-24", "--to", "2026-11-24", "--now", NOW.isoformat()]
    assert await cli._report(cli.parser().parse_args([*argv, "--json"])) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["scope", "from", "to", *FIGURE_KEYS]
    assert printed["scope"] == {"id": "YX-BZ", "kind": "street", "name": "秉政街道"}
    assert (printed["filed"], printed["on_time_rate"], printed["overdue_open"]) == (10, 0.5, 3)
    assert await cli._report(cli.parser().parse_args(argv)) == 0
    text = capsys.readouterr().out
    assert text.startswith("秉政街道 (YX-BZ)  2026-11-24 – 2026-11-24")
    assert "按期办结率" in text and "50.0%" in text and "首派准确率" in text and "80.0%" in text  # 8 of 10
    assert await cli._report(cli.parser().parse_args([*argv[:5], "--scope", "YX-NOPE"])) == 2


async def test_the_breakdown_beside_the_figures(session):
    await session.execute(update(Case).where(Case.grid_id == G2).values(assignee_department_id="YX-D01",
                                                                          category="noise"))
    two_days = Period(DAY - timedelta(days=1), DAY, TZ)
    district = await breakdown(session, await find_scope(session, "YX"), two_days, NOW)
    assert district.by_day == (("2026-11-23", 1), ("2026-11-24", 12))
    assert district.overdue_grids == ((G1, "秉北社区第1网格", 2), (G2, "文澜社区第1网格", 1), (G3, "仙邻社区第1网格", 1))
    assert district.by_category == (("garbage", 12), ("noise", 1))
    assert [(d, n) for d, _, n in district.by_department] == [("YX-D01", 1)]
    street = await breakdown(session, await find_scope(session, "YX-RY"), two_days, NOW)
    assert street.by_day == (("2026-11-24", 1),) and street.overdue_grids == ((G3, "仙邻社区第1网格", 1),)
