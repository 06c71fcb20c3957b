"""CaseService on its own, on SQLite and PostgreSQL: every lifecycle action by every role from every
status, against the table. Allowed ones land in the rule's target with one timeline row in the actor's
role and tell the audiences NOTIFY names; refused ones say why and change nothing.

The data is the bundled sample district: grid YX-BZ-01-03, its officer YX-O00021 (on duty 13:00-22:00),
grid leader YX-O00008 above it; people join through invites as they do through /join.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import NOTIFY, SYSTEM, WAS, Actor, CaseService, post_of
from bot.clock import ManualClock
from bot.deadlines import Point
from bot.duplicates import followers
from bot.lifecycle import RULES, STATUS_REASONS, Action, Role, Status, TransitionRefused
from bot.people import create_invite, ensure_person, redeem_invite
from bot.ports import Audience
from bot.routing import Reach, place_in_grid
from storage.db import Database
from storage.models import Case, CaseEvent, CasePart, Department, Draft, GridCorrection, Officer, Person, Rating

START = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)  # 14:00 in the district: the officer is on duty
GRID, OFFICER, LEADER = "YX-BZ-01-03", "YX-O00021", "YX-O00008"
OTHER_GRID, OTHER_OFFICER = "YX-BZ-02-01", "YX-O00023"  # another community: the leader does not supervise it
DEPARTMENT, CO_DEPARTMENT = "YX-D01", "YX-D02"
VERIFIER = "YX-O00024"  # the officer asked to check a 办结 on site (any post: the case names it)
INSIDE = (23.1291, 113.2644)
NOTE = "有说明"
A, S, R, SYS = Role.ASSIGNEE, Role.SUPERVISOR, Role.REPORTER, Role.SYSTEM
F, V, CO = Role.FOLLOWER, Role.VERIFIER, Role.CO_HANDLER


class RecordingNotifier:
    """A bot.ports.Notifier that keeps (action, audience, person ids) instead of sending anything."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Audience, tuple[int, ...]]] = []
        self.retired: list[tuple[int, tuple[int, ...]]] = []  # (case id, people whose cards lost their buttons)

    async def case_event(self, case: Case, event: CaseEvent, audience: Audience, people: list[Person]) -> None:
        self.sent.append((event.action, audience, tuple(p.id for p in people)))

    async def duty_escalation(self, case: Case, event: CaseEvent, chat_id: int) -> None:
        self.sent.append((event.action, "duty", (chat_id,)))

    async def retire_cards(self, case: Case, people: list[Person]) -> None:
        self.retired.append((case.id, tuple(p.id for p in people)))


@dataclass
class World:
    session: AsyncSession
    clock: ManualClock
    cases: CaseService
    notifier: RecordingNotifier
    actors: dict[Role, Actor] = field(default_factory=dict)  # one person per role, holding only that role
    department: Department | None = None
    co_department: Department | None = None
    leader: Officer | None = None
    outsider: Actor | None = None  # a resident with nothing to do with the cases
    kept: Case | None = None  # an open case the others are merged into

    async def join(self, tg_id: int, name: str, **post: str) -> Actor:
        """A person, and with `officer_id` or `department_id` a staff post redeemed from an invite."""
        now = self.clock.now()
        person = await ensure_person(self.session, tg_id, tg_id, name, None, now)
        if post:
            invite = await create_invite(self.session, now, timedelta(hours=1), **post)
            await redeem_invite(self.session, person, invite.code, now)
        return await post_of(self.session, person)

    async def file(self, reporter: Actor | None = None, source: str = "resident", grid: str = GRID) -> Case:
        person = (reporter or self.actors[R]).person
        draft = Draft(person_id=person.id, source=source, description="楼下垃圾堆了三天了没人收", category="garbage",
                      lat=INSIDE[0], lon=INSIDE[1], grid_id=grid, media_groups=[], updated_at=self.clock.now())
        self.session.add(draft)
        await self.session.flush()
        case = await self.cases.file(draft, person, await place_in_grid(self.session, grid, self.clock.now()), photos=0)
        await self.session.delete(draft)
        await self.session.flush()
        await self.session.refresh(case)  # with its grid loaded, as the next update would load it
        return case

    async def case_in(self, status: Status, *, rated: bool = False) -> Case:
        """A filed case taken to `status` through the service; `rated`: with a rating on it. A submitted
        one is a dispatched one set back, keeping its assignee, so every role can be put to the table."""
        case = await self.file()
        # Every case has a follower, an officer to check it on site, and a co-handling department whose
        # part is done (so 办结 may be): CALLS set a part back to the state its own action needs.
        await self.cases.follow(case, self.actors[F].person)
        case.verifier_officer_id = VERIFIER
        self.session.add(CasePart(case_id=case.id, department_id=DEPARTMENT, status="done", added_at=self.clock.now()))
        await self.session.flush()
        steps = PATHS[status]
        if rated:
            steps = RATED_PATHS.get(status, RATED + steps)
        for action, role in steps:
            await CALLS[action](self, case, self.actors[role], NOTE)
        if status is Status.SUBMITTED:
            case.status = Status.SUBMITTED
            await self.session.flush()
        assert case.status == status
        return case

    def point(self, kind: str) -> Point:
        now = self.clock.now()
        return Point(now, f"accept.{kind}.0", "accept", kind, role="grid_leader", due=now)


# From a filed (assigned) case to each status; a rated case is one disputed and reopened on the way.
PATHS: dict[Status, list[tuple[Action, Role]]] = {
    Status.SUBMITTED: [],
    Status.ASSIGNED: [],
    Status.ACCEPTED: [(Action.ACCEPT, A)],
    Status.RETURNED: [(Action.RETURN, A)],
    Status.RESOLVED: [(Action.ACCEPT, A), (Action.RESOLVE, A)],
    Status.CLOSED: [(Action.ACCEPT, A), (Action.RESOLVE, A), (Action.RATE, R)],
    Status.REJECTED: [(Action.RETURN, A), (Action.REJECT, S)],
    Status.CANCELLED: [(Action.CANCEL, R)],
    Status.MERGED: [(Action.MERGE, A)],
    Status.VERIFYING: [(Action.ACCEPT, A), (Action.SUBMIT_CHECK, A)],
}
RATED = [(Action.ACCEPT, A), (Action.RESOLVE, A), (Action.DISPUTE, R), (Action.REOPEN, S)]
RATED_PATHS = {Status.RESOLVED: RATED[:3], Status.CLOSED: PATHS[Status.CLOSED]}


def through_apply(action: Action):
    """An action only another's call takes (ABSORB and SPLIT are MERGE's and UNMERGE's other half),
    put to the table as that call puts it."""
    return lambda w, c, a, n: w.cases._apply(c, action, a, note=n)


async def submit_check(w: "World", case: Case, actor: Actor, note: str):
    """A department's 办结 that needs 核查 (CaseService.resolve picks the verifier; here it is VERIFIER)."""
    case.verifier_officer_id = VERIFIER
    return await w.cases._apply(case, Action.SUBMIT_CHECK, actor, note=note)


def with_part(status: str, method):
    """A co-handler's action on its part, the part set to the state the action starts from."""
    async def call(w: "World", case: Case, actor: Actor, note: str):
        part = await w.session.scalar(select(CasePart).where(CasePart.case_id == case.id))
        part.status = status
        return await method(w, case, actor, note)
    return call


def by_system(action: Action, method):
    """Sweep actions take no actor in CaseService; anyone else is put to the table through `_apply`."""
    def call(w: World, case: Case, actor: Actor, note: str):
        return method(w, case) if actor is SYSTEM else w.cases._apply(case, action, actor)
    return call


# Each action through the CaseService call that takes it: (world, case, actor, note) → awaitable.
CALLS = {
    Action.ASSIGN: lambda w, c, a, n: w.cases._apply(c, Action.ASSIGN, a, assign_to=c.assignee_officer),  # file()'s
    Action.ACCEPT: lambda w, c, a, n: w.cases.accept(c, a),
    Action.TRANSFER: lambda w, c, a, n: w.cases.transfer(c, a, n, department=w.department),
    Action.RETURN: lambda w, c, a, n: w.cases.return_case(c, a, n),
    Action.REJECT: lambda w, c, a, n: w.cases.reject(c, a, n),
    Action.RESOLVE: lambda w, c, a, n: w.cases.resolve(c, a, n),
    Action.RATE: lambda w, c, a, n: w.cases.rate(c, a, "satisfied"),
    Action.REOPEN: lambda w, c, a, n: w.cases.reopen(c, a, n),
    Action.CLOSE: lambda w, c, a, n: w.cases.close(c, a, n),
    Action.CANCEL: lambda w, c, a, n: w.cases.cancel(c, a, n),
    Action.URGE: lambda w, c, a, n: w.cases.urge(c, a),
    Action.ADD_INFO: lambda w, c, a, n: w.cases.add_info(c, a, n),
    Action.RELAY: lambda w, c, a, n: w.cases.relay(c, a, n),
    Action.REMIND: by_system(Action.REMIND, lambda w, c: w.cases.remind(c, w.point("remind"))),
    Action.ESCALATE: by_system(Action.ESCALATE, lambda w, c: w.cases.escalate(c, w.point("escalate"), Reach((w.leader,)))),
    Action.SUPERVISE: lambda w, c, a, n: w.cases.supervise(c, a, n),
    Action.EXTEND: lambda w, c, a, n: w.cases.extend(c, a, w.clock.now() + timedelta(days=2), n),
    Action.ASK_RATING: by_system(Action.ASK_RATING, lambda w, c: w.cases.ask_rating(c)),
    Action.DISPUTE: lambda w, c, a, n: w.cases.rate(c, a, "unsatisfied", n),  # on_unsatisfied: supervisor here
    Action.RATE_COMMENT: lambda w, c, a, n: w.cases.comment_rating(c, a, n),
    # casework
    Action.FOLLOW: by_system(Action.FOLLOW, lambda w, c: w.cases.follow(c, w.outsider.person)),
    Action.MERGE: lambda w, c, a, n: w.cases.merge(c, w.kept, a),
    Action.ABSORB: through_apply(Action.ABSORB),
    Action.UNMERGE: lambda w, c, a, n: w.cases.unmerge(c, a),
    Action.SPLIT: through_apply(Action.SPLIT),
    Action.SUBMIT_CHECK: submit_check,
    Action.VERIFY: lambda w, c, a, n: w.cases.verify(c, a, n),
    Action.VERIFY_FAIL: lambda w, c, a, n: w.cases.verify_fail(c, a, n),
    Action.ADD_PART: lambda w, c, a, n: w.cases.add_part(c, a, w.co_department),
    Action.ACCEPT_PART: with_part("assigned", lambda w, c, a, n: w.cases.accept_part(c, a)),
    Action.FINISH_PART: with_part("accepted", lambda w, c, a, n: w.cases.finish_part(c, a, n)),
    Action.CO_RATE: lambda w, c, a, n: w.cases.co_rate(c, a, "satisfied"),
}
CASE_ACTIONS = [a for a in RULES if a is not Action.FILE]  # filing makes the case: tested on its own


@pytest.fixture
async def world(config):
    db = Database(config.database.url)
    clock = ManualClock(START)
    notifier = RecordingNotifier()
    disputes = config.copy_with(cases=config.cases.copy_with(on_unsatisfied="supervisor"))
    try:
        async with db.session() as session:
            w = World(session, clock, CaseService(session, clock, disputes, notifier), notifier)
            w.actors = {R: await w.join(1001, "alice"), A: await w.join(1002, "wang", officer_id=OFFICER),
                        S: await w.join(1003, "liang", officer_id=LEADER), SYS: SYSTEM,
                        F: await w.join(1006, "carol"), V: await w.join(1007, "zhou", officer_id=VERIFIER),
                        CO: await w.join(1004, "chengguan", department_id=DEPARTMENT)}
            w.outsider = await w.join(1005, "bob")
            w.department = await session.get(Department, DEPARTMENT)
            w.co_department = await session.get(Department, CO_DEPARTMENT)
            w.leader = await session.get(Officer, LEADER)
            w.kept = await w.file()
            notifier.sent.clear()
            yield w
    finally:
        await db.dispose()


async def expected_notices(w: World, case: Case, action: Action, actor: Actor, previous: list[Person]):
    """What NOTIFY says `action` tells, without the actor; a relay and an escalation also tell their own."""
    if action is Action.RELAY:
        from_reporter = actor is w.actors[R]
        people = await w.cases.assignee_people(case) if from_reporter else [case.reporter]
        return [(action, Audience.ASSIGNEES if from_reporter else Audience.REPORTER, ids(people, actor))]
    audiences = {Audience.REPORTER: [case.reporter, *await followers(w.session, case.id)],
                 Audience.ASSIGNEES: await w.cases.assignee_people(case),
                 Audience.PREVIOUS: previous, Audience.SUPERVISORS: [w.actors[S].person],
                 Audience.VERIFIER: [w.actors[V].person], Audience.CO_HANDLERS: []}  # nobody joined YX-D02
    sent = [(action, audience, ids(audiences[audience], actor)) for audience in NOTIFY.get(action, ())]
    if action is Action.ESCALATE:
        sent.append((action, Audience.SUPERVISORS, (w.actors[S].person.id,)))
    if action in (Action.MERGE, Action.UNMERGE):  # the kept case's side: its handler hears of it
        other = Action.ABSORB if action is Action.MERGE else Action.SPLIT
        sent.append((other, Audience.ASSIGNEES, ids(await w.cases.assignee_people(w.kept), actor)))
    return [notice for notice in sent if notice[2]]


def ids(people: list[Person], actor: Actor) -> tuple[int, ...]:
    return tuple(p.id for p in people if actor.person is None or p.id != actor.person.id)


async def events_after(w: World, case: Case, seen: int) -> list[tuple]:
    return [(e.action, e.actor_role, e.from_status, e.to_status) for e in (await w.cases.timeline(case))[seen:]]


# ---------------------------------------------------------------- the table, cell by cell (issue 12)
# An action taken by the call that takes another's: a dispute is a rating of 不满意, so RATE's roles may.
GRANTED_BY = {Action.DISPUTE: Action.RATE}
OUTSIDER = None  # a person standing to the case in no role at all


def actor_of(w: World, role: Role | None) -> Actor:
    return w.outsider if role is OUTSIDER else w.actors[role]


async def snapshot(w: World, case: Case) -> tuple:
    """Everything a refused action must leave as it was."""
    await w.session.flush()
    ratings = await w.session.scalar(select(func.count()).select_from(Rating).where(Rating.case_id == case.id))
    return (case.status, case.grid_id, case.assignee_officer_id, case.assignee_department_id, case.resolved_at,
            case.closed_at, case.next_check_at, ratings, len(await w.cases.timeline(case)))


async def assert_allowed(w: World, action: Action, role: Role, source: Status) -> None:
    rule = RULES[action]
    case = await w.case_in(source, rated=action is Action.RATE_COMMENT)
    actor, seen = w.actors[role], len(await w.cases.timeline(case))
    previous = await w.cases.assignee_people(case)
    w.notifier.sent.clear()
    await CALLS[action](w, case, actor, NOTE)
    target = rule.target or source
    assert case.status == target, (role, source)
    assert await events_after(w, case, seen) == [(action, role, source, target)], (role, source)
    assert w.notifier.sent == await expected_notices(w, case, action, actor, previous), (role, source)


async def assert_refused(w: World, action: Action, role: Role | None, source: Status, reason: str,
                         note: str = NOTE, case: Case | None = None) -> None:
    """`case`: one in `source` to put the action to (a refusal leaves it as it was, so it can be reused)."""
    case = case or await w.case_in(source, rated=action is Action.RATE_COMMENT)
    before = await snapshot(w, case)
    w.notifier.sent.clear()
    with pytest.raises(TransitionRefused) as refused:
        await CALLS[action](w, case, actor_of(w, role), note)
    assert refused.value.reason == reason, (role, source)
    assert (await snapshot(w, case), w.notifier.sent) == (before, []), (role, source)


@pytest.mark.parametrize("action", CASE_ACTIONS)
async def test_every_role_from_every_status_is_allowed_or_refused_as_the_table_says(world, action):
    """Role × status for each action, from RULES: allowed cells land in the rule's target with one
    timeline row in the actor's role and the notices NOTIFY names; refused ones say why and change
    nothing (status, assignee, limits, ratings, timeline, messages)."""
    rule = RULES[action]
    allowed = RULES[GRANTED_BY.get(action, action)].roles
    for source in sorted(Status):
        refusing = await world.case_in(source, rated=action is Action.RATE_COMMENT)
        for role in [*sorted(Role), OUTSIDER]:
            if role in allowed and source in rule.sources:
                await assert_allowed(world, action, role, source)
            else:
                reason = STATUS_REASONS[source] if role in allowed else "not_your_case"
                await assert_refused(world, action, role, source, reason, case=refusing)
    if rule.needs_note:
        await assert_refused(world, action, min(allowed), min(rule.sources), "note_required", note="  ")


# ---------------------------------------------------------------- ratings and their outcomes (issue 12)
@pytest.fixture
def reopening(world):
    """The world with cases.on_unsatisfied: reopen (the default)."""
    world.cases.config = world.cases.config.copy_with(
        cases=world.cases.config.cases.copy_with(on_unsatisfied="reopen"))
    return world


async def test_an_unsatisfied_rating_reopens_the_case_in_the_reporters_name(reopening):
    case = await reopening.case_in(Status.RESOLVED)
    seen = len(await reopening.cases.timeline(case))
    assert await reopening.cases.rate(case, reopening.actors[R], "unsatisfied", "还是老样子") is Action.REOPEN
    assert await events_after(reopening, case, seen) == [(Action.REOPEN, R, Status.RESOLVED, Status.ASSIGNED)]
    assert case.assignee_officer_id == OFFICER


@pytest.mark.parametrize("role", [A, S, SYS, OUTSIDER])
async def test_nobody_rates_unsatisfied_on_the_reporters_behalf(reopening, role):
    case = await reopening.case_in(Status.RESOLVED)
    before = await snapshot(reopening, case)
    with pytest.raises(TransitionRefused) as refused:
        await reopening.cases.rate(case, actor_of(reopening, role), "unsatisfied")
    assert refused.value.reason == "not_your_case"
    assert (await snapshot(reopening, case), reopening.notifier.sent[-1][0]) == (before, Action.RESOLVE)


async def test_a_reporter_cannot_reopen_without_rating(reopening):
    """A forged 重新办理 press: the reporter's way back is a 不满意 rating, as cases.on_unsatisfied says."""
    await assert_refused(reopening, Action.REOPEN, R, Status.RESOLVED, "not_your_case")


# ---------------------------------------------------------------- 改派 targets (issue 12)
COLLEAGUE, UNJOINED, RETIRED = "YX-O00020", "YX-O00019", "YX-O00022"  # grids of YX-BZ-01, the case's community
OTHER_STREET_OFFICER = "YX-O00012"  # grid YX-RY-01-01


@pytest.fixture
async def colleagues(world):
    for tg_id, officer in enumerate((COLLEAGUE, RETIRED, OTHER_OFFICER, OTHER_STREET_OFFICER), start=1101):
        await world.join(tg_id, officer, officer_id=officer)
    (await world.session.get(Officer, RETIRED)).active = False
    await world.session.flush()
    return world


async def test_a_supervisor_reassigns_only_to_joined_active_officers_of_their_scope(colleagues):
    w = colleagues
    case = await w.case_in(Status.ACCEPTED)
    targets = await w.cases.reassign_targets(case, w.actors[S])
    assert [officer.id for officer, _ in targets] == [COLLEAGUE]
    for officer_id in (UNJOINED, RETIRED, OTHER_OFFICER, OTHER_STREET_OFFICER, "YX-O99999"):
        before = await snapshot(w, case)
        officer = await w.session.get(Officer, officer_id) or Officer(  # a post that does not exist
            id=officer_id, name="x", phone="", role="grid_officer")
        with pytest.raises(TransitionRefused) as refused:
            await w.cases.transfer(case, w.actors[S], NOTE, officer=officer)
        assert refused.value.reason == "not_reassignable", officer_id
        assert await snapshot(w, case) == before, officer_id
    await w.cases.transfer(case, w.actors[S], NOTE, officer=await w.session.get(Officer, COLLEAGUE))
    assert (case.assignee_officer_id, case.status, case.grid_id) == (COLLEAGUE, Status.ASSIGNED, GRID)


async def test_a_grid_officer_has_no_colleague_in_their_scope_to_reassign_to(colleagues):
    case = await colleagues.case_in(Status.ACCEPTED)
    assert await colleagues.cases.reassign_targets(case, colleagues.actors[A]) == []
    with pytest.raises(TransitionRefused) as refused:
        await colleagues.cases.transfer(case, colleagues.actors[A], NOTE,
                                        officer=await colleagues.session.get(Officer, COLLEAGUE))
    assert refused.value.reason == "not_reassignable"


# ---------------------------------------------------------------- filing (issue 10, holes 1 and 3)
async def test_a_resident_report_is_filed_by_the_bot_and_dispatched(world):
    case = await world.file()
    assert await events_after(world, case, 0) == [("file", "system", None, "submitted"),
                                                  ("assign", "system", "submitted", "assigned")]
    assert world.notifier.sent == [("assign", Audience.ASSIGNEES, (world.actors[A].person.id,))]


async def test_a_patrol_officer_files_as_the_reporter_of_a_case_that_becomes_theirs(world):
    officer = world.actors[A]
    case = await world.file(officer, source="patrol")
    assert await events_after(world, case, 0) == [("file", "reporter", None, "submitted"),
                                                  ("assign", "system", "submitted", "assigned")]
    assert (await world.cases.timeline(case))[0].actor_id == officer.person.id
    assert await world.cases.roles_of(case, officer) == {R, A}
    # the dispatch is the bot's, so the officer gets the card to accept their own report
    assert world.notifier.sent == [("assign", Audience.ASSIGNEES, (officer.person.id,))]


# ---------------------------------------------------------------- what a case went through, kept on it
@pytest.mark.parametrize(("status", "rated"), [(s, False) for s in PATHS] + [(Status.RESOLVED, True)])
async def test_the_flags_on_a_case_say_what_its_timeline_holds(world, status, rated):
    case = await world.case_in(status, rated=rated)
    actions = {e.action for e in await world.cases.timeline(case)}
    said = {flag: any(str(a) in actions for a, f in WAS.items() if f == flag) for flag in WAS.values()}
    assert {flag: getattr(case, flag) for flag in said} == said
    assert not case.was_moved


# ---------------------------------------------------------------- transfers (issue 10, holes 1 and 2)
async def test_a_transfer_is_recorded_in_the_role_its_actor_had_before_it(world):
    officer = world.actors[A]
    case = await world.case_in(Status.ACCEPTED)
    await world.cases.transfer(case, officer, "不是本网格", grid_id=OTHER_GRID)
    event = (await world.cases.timeline(case))[-1]
    assert (event.action, event.actor_role, event.data) == ("transfer", "assignee", {"to_grid": OTHER_GRID})
    assert (case.grid_id, case.assignee_officer_id) == (OTHER_GRID, OTHER_OFFICER)
    assert await world.cases.roles_of(case, officer) == set()  # no longer theirs, yet it was their act
    correction = await world.session.scalar(select(GridCorrection))
    assert (correction.from_grid_id, correction.to_grid_id, correction.officer_id) == (GRID, OTHER_GRID, OFFICER)
    assert case.was_moved


async def test_a_supervisor_sends_a_returned_case_to_a_grid_they_do_not_supervise(world):
    leader = world.actors[S]
    case = await world.case_in(Status.RETURNED)
    await world.cases.transfer(case, leader, "属隔壁社区", grid_id=OTHER_GRID)
    event = (await world.cases.timeline(case))[-1]
    assert (event.actor_role, case.status, case.grid_id) == ("supervisor", "assigned", OTHER_GRID)
    assert S not in await world.cases.roles_of(case, leader)
    assert await world.session.scalar(select(func.count()).select_from(GridCorrection)) == 0  # not the officer's word
    assert not case.was_moved


@pytest.mark.parametrize(("role", "status", "note", "reason"), [
    (A, Status.ACCEPTED, " ", "note_required"),
    (R, Status.ACCEPTED, NOTE, "not_your_case"),
    (A, Status.RESOLVED, NOTE, "already_resolved"),
])
async def test_a_refused_transfer_to_another_grid_leaves_nothing_behind(world, role, status, note, reason):
    case = await world.case_in(status)
    seen = len(await world.cases.timeline(case))
    with pytest.raises(TransitionRefused) as refused:
        await world.cases.transfer(case, world.actors[role], note, grid_id=OTHER_GRID)
    assert refused.value.reason == reason
    await world.session.flush()
    assert (case.grid_id, case.assignee_officer_id, case.status) == (GRID, OFFICER, status)
    assert await world.session.scalar(select(func.count()).select_from(GridCorrection)) == 0
    assert len(await world.cases.timeline(case)) == seen


# ---------------------------------------------------------------- rating comments (issue 10, hole 3)
async def test_a_rating_comment_is_kept_with_the_rating(world):
    case = await world.case_in(Status.CLOSED)
    await world.cases.comment_rating(case, world.actors[R], "很快很好")
    rating = await world.session.scalar(select(Rating).where(Rating.case_id == case.id))
    assert (rating.score, rating.comment) == ("satisfied", "很快很好")


async def test_a_case_never_rated_takes_no_rating_comment(world):
    case = await world.case_in(Status.ASSIGNED)
    with pytest.raises(TransitionRefused) as refused:
        await world.cases.comment_rating(case, world.actors[R], "很快很好")
    assert refused.value.reason == "not_your_case"
    assert [e.action for e in await world.cases.timeline(case)] == ["file", "assign", "follow"]  # case_in's follower


async def test_two_processes_filing_the_days_first_cases_at_once_get_their_own_tickets(config):
    """Each process numbers in its own transaction; neither may take the other's number or fail."""
    async def number(db: Database) -> str:
        async with db.session() as session:
            ticket = await CaseService(session, ManualClock(START), config, RecordingNotifier())._next_ticket(START)
            await asyncio.sleep(0.2)  # the other takes its number meanwhile, or waits for this commit
            return ticket

    first, second = Database(config.database.url), Database(config.database.url)
    try:
        tickets = await asyncio.gather(number(first), number(second), number(first))
    finally:
        await first.dispose(), await second.dispose()
    assert sorted(tickets) == [f"{config.ticket_prefix}-20261124-{n:04d}" for n in (1, 2, 3)]
