"""The casework rules on their own: how alike and how near a duplicate is, what a grid's baseline
allows before a hot spot, who checks a 办结 on site, that a joint case waits for its parts, and that
an undone merge takes back exactly the co-reporters it brought."""
from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from bot.duplicates import followers, nearby_duplicates, nearby_matches
from bot.hotspots import allowance, hot_spots
from bot.lifecycle import Action, Status, TransitionRefused
from bot.ports import Audience
from bot.similarity import metres_between, similarity
from storage.models import Case, Department, Person
from tests.bot.test_case_service import (  # noqa: F401  (world: the fixture)
    CO, CO_DEPARTMENT, GRID, INSIDE, NOTE, OFFICER, A, F, R, S, world,
)

PILE = "楼下垃圾堆了三天了没人收"


# ---------------------------------------------------------------- similarity and distance
def test_reports_of_one_pile_are_more_alike_than_reports_of_different_problems():
    assert similarity(PILE, PILE) == 1.0
    assert similarity(PILE, "楼下垃圾，堆了三天了！没人收。") == 1.0  # punctuation and spaces carry nothing
    same_pile = similarity(PILE, "垃圾桶满了溢出来没人收")
    other_problem = similarity(PILE, "路灯不亮了晚上很黑")
    assert same_pile > 0.2 and other_problem == 0.0
    assert similarity("", PILE) == 0.0


def test_distance_is_in_metres():
    assert metres_between(*INSIDE, INSIDE[0] + 0.0002, INSIDE[1]) == pytest.approx(22.2, abs=0.5)
    assert metres_between(*INSIDE, *INSIDE) == 0.0


# ---------------------------------------------------------------- duplicates
async def test_a_duplicate_is_the_same_category_near_recent_and_alike(world):
    w = world
    config = w.cases.config
    found = await nearby_duplicates(w.session, config, category="garbage", lat=INSIDE[0] + 0.001, lon=INSIDE[1],
                                    text="垃圾没人收", now=w.clock.now())
    assert [d.case.id for d in found] == [w.kept.id] and found[0].metres == pytest.approx(111, abs=2)

    async def matches(**changes) -> list[int]:
        query = dict(category="garbage", lat=INSIDE[0], lon=INSIDE[1], text="垃圾没人收", now=w.clock.now()) | changes
        return [d.case.id for d in await nearby_duplicates(w.session, config, **query)]

    assert await matches(category="noise") == []
    assert await matches(lat=INSIDE[0] + 0.003) == []  # 333 m: beyond radius_m (250)
    assert await matches(now=w.clock.now() + timedelta(days=8)) == []  # beyond the 7-day window
    assert await matches(text="路灯不亮") == []
    assert await matches(exclude_person=w.kept.reporter_id) == []  # their own case: they know it
    w.kept.status = Status.RESOLVED  # a resolved case is its reporter's to rate, not to join
    assert await matches() == []



async def test_one_read_of_the_cases_nearby_serves_the_offer_and_the_new_cases_card(world):
    w = world  # w.kept: alice's garbage case at INSIDE; carol comes to follow it
    config = w.cases.config
    await w.cases.follow(w.kept, w.actors[F].person)
    query = dict(category="garbage", lat=INSIDE[0], lon=INSIDE[1], text="垃圾没人收", now=w.clock.now())
    for actor, theirs in ((w.actors[R], True), (w.actors[F], True), (w.outsider, False)):
        matches = await nearby_matches(w.session, config, person=actor.person.id, **query)
        assert [(m.case_id, m.theirs) for m in matches] == [(w.kept.id, theirs)]
        offer = await nearby_duplicates(w.session, config, exclude_person=actor.person.id, **query)
        assert [d.case.id for d in offer] == ([] if theirs else [w.kept.id])  # not offered what they know
    # alice reports the pile again: not offered her own case, and the new case's card lists it
    matches = await nearby_matches(w.session, config, person=w.actors[R].person.id, **query)
    case = await w.file()
    assert [d.case.id for d in await w.cases.duplicates_of(case, matches)] == [w.kept.id]
    assert [d.case.id for d in await w.cases.duplicates_of(case)] == [w.kept.id]  # as read afresh

# ---------------------------------------------------------------- hot spots
def test_a_quiet_grid_needs_min_cases_and_a_busy_one_must_clearly_exceed_its_usual():
    assert allowance(0.0, min_cases=3, factor=2.0) == 2   # 3 cases make a hot spot
    assert allowance(3.0, min_cases=3, factor=2.0) == 6   # usually 3 a day: 7 do


async def add_cases(w, n: int, days_ago: float, grid: str = GRID, category: str = "garbage",
                    status: str = "assigned") -> None:
    reporter = await w.session.get(Person, w.kept.reporter_id)
    at = w.clock.now() - timedelta(days=days_ago)
    for i in range(n):
        w.session.add(Case(ticket=f"YX-T-{uuid4().hex[:16]}", status=status,
                           category=category, description="x", grid_id=grid, reporter_id=reporter.id,
                           created_at=at, updated_at=at))
    await w.session.flush()


async def test_a_hot_spot_is_more_than_the_grids_own_baseline_allows(world):
    w = world  # the world's own case (w.kept) is one garbage case in GRID today
    config = w.cases.config
    assert await hot_spots(w.session, config, w.clock.now()) == []
    await add_cases(w, 2, 0.1)
    spot, = await hot_spots(w.session, config, w.clock.now())
    assert (spot.grid_id, spot.category, spot.count, spot.baseline) == (GRID, "garbage", 3, 0.0)
    await add_cases(w, 28 * 2, 3)  # two a day over the baseline: 3 today is usual now
    assert await hot_spots(w.session, config, w.clock.now()) == []
    await add_cases(w, 2, 0.2)
    assert [s.count for s in await hot_spots(w.session, config, w.clock.now())] == [5]  # over 2 × 2


async def test_merged_and_withdrawn_reports_are_no_further_problems(world):
    w = world
    await add_cases(w, 1, 0.1, status="merged")
    await add_cases(w, 1, 0.1, status="cancelled")
    assert await hot_spots(w.session, w.cases.config, w.clock.now()) == []
    await add_cases(w, 2, 0.1, grid="YX-BZ-02-01")
    assert await hot_spots(w.session, w.cases.config, w.clock.now()) == []  # another grid's cases


# ---------------------------------------------------------------- 核查结案
@pytest.fixture
def checking(world):
    world.cases.config = world.cases.config.copy_with(
        casework=world.cases.config.casework.copy_with(verify_categories=["garbage"]))
    return world


async def department_case(w, case: Case) -> Case:
    """`case` given to the department and accepted by its staff member (the table tests' co-handler)."""
    await w.cases.transfer(case, w.actors[A], NOTE, department=w.department)
    await w.cases.accept(case, w.actors[CO])
    return case


async def test_a_departments_resolution_of_a_checked_category_goes_to_the_grid_officer(checking):
    w = checking
    case = await department_case(w, w.kept)
    await w.cases.resolve(case, w.actors[CO], "已清运")
    assert (case.status, case.verifier_officer_id, case.resolved_at) == (Status.VERIFYING, OFFICER, None)
    await w.cases.verify(case, w.actors[A], "现场已干净")
    assert case.status == Status.RESOLVED and case.resolved_at == w.clock.now()


async def test_an_officers_own_resolution_and_an_unchecked_category_are_not_checked(checking):
    w = checking
    await w.cases.accept(w.kept, w.actors[A])
    await w.cases.resolve(w.kept, w.actors[A], "已清运")
    assert w.kept.status == Status.RESOLVED
    w.cases.config = w.cases.config.copy_with(casework=w.cases.config.casework.copy_with(verify_categories=[]))
    other = await department_case(w, await w.file())
    await w.cases.resolve(other, w.actors[CO], "已清运")
    assert other.status == Status.RESOLVED


# ---------------------------------------------------------------- 联合处置
async def test_a_joint_case_waits_for_every_part(world):
    w = world
    case = w.kept
    await w.cases.accept(case, w.actors[A])
    co_department = await w.session.get(Department, CO_DEPARTMENT)
    await w.cases.add_part(case, w.actors[A], co_department)
    with pytest.raises(TransitionRefused) as refused:
        await w.cases.add_part(case, w.actors[A], co_department)
    assert refused.value.reason == "part_exists"
    with pytest.raises(TransitionRefused) as refused:
        await w.cases.resolve(case, w.actors[A], "已清运")
    assert (refused.value.reason, refused.value.params) == ("parts_open", {"departments": co_department.name})
    with pytest.raises(TransitionRefused):
        await w.cases.ensure_allowed(case, w.actors[A], Action.RESOLVE)  # the 办结 button refuses at once
    part, = await w.cases.parts(case)
    part.status = "done"
    await w.cases.resolve(case, w.actors[A], "已清运")
    assert case.status == Status.RESOLVED


async def test_the_lead_department_is_no_co_handler_of_its_own_case(world):
    w = world
    case = w.kept
    await w.cases.transfer(case, w.actors[A], NOTE, department=w.department)
    with pytest.raises(TransitionRefused) as refused:
        await w.cases.add_part(case, w.actors[S], w.department)
    assert refused.value.reason == "part_is_lead"


# ---------------------------------------------------------------- merges
async def test_an_undone_merge_takes_back_exactly_the_followers_it_brought(world):
    w = world
    kept = w.kept
    await w.cases.follow(kept, w.outsider.person)  # followed the kept case on their own
    duplicate = await w.file(reporter=w.actors[F])
    with pytest.raises(TransitionRefused) as refused:
        await w.cases.merge(kept, kept, w.actors[A])
    assert refused.value.reason == "merge_self"
    await w.cases.merge(duplicate, kept, w.actors[A])
    assert (duplicate.status, duplicate.merged_into_id) == (Status.MERGED, kept.id)
    assert {p.id for p in await followers(w.session, kept.id)} == {w.outsider.person.id,
                                                                   w.actors[F].person.id}
    await w.cases.unmerge(duplicate, w.actors[S])
    assert [p.id for p in await followers(w.session, kept.id)] == [w.outsider.person.id]
    assert (duplicate.status, duplicate.merged_into_id, duplicate.closed_at) == (Status.ASSIGNED, None, None)
    assert duplicate.accept_due_at is not None  # dispatched again: new limits


async def test_only_the_reporters_rating_decides(world):
    w = world
    case = w.kept
    carol = w.actors[F]
    await w.cases.follow(case, carol.person)
    await w.cases.accept(case, w.actors[A])
    await w.cases.resolve(case, w.actors[A], "已清运")
    assert await w.cases.rates_as_follower(case, carol) and not await w.cases.rates_as_follower(case, w.actors[R])
    await w.cases.co_rate(case, carol, "unsatisfied")
    assert case.status == Status.RESOLVED and not await w.cases.rated_since_resolved(case)
    await w.cases.rate(case, w.actors[R], "satisfied")
    assert case.status == Status.CLOSED and await w.cases.rated_since_resolved(case)


async def test_a_follower_who_rated_is_not_asked_again(world):
    w = world
    case = w.kept
    carol, bob = w.actors[F], w.outsider
    for person in (carol.person, bob.person):
        await w.cases.follow(case, person)
    await w.cases.accept(case, w.actors[A])
    await w.cases.resolve(case, w.actors[A], "已清运")
    await w.cases.co_rate(case, carol, "satisfied")
    w.notifier.sent.clear()
    await w.cases.ask_rating(case)
    assert w.notifier.sent == [("ask_rating", Audience.REPORTER, (case.reporter_id, bob.person.id))]
