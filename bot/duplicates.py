"""Same-spot duplicates: open cases of the same category near a point, recent enough and described
alike enough (casework.duplicates), and the co-reporters who follow a case.

FixMyStreet offers nearby reports before filing; Mark-a-Spot flags same-category reports by place,
time and text similarity. Here the place and time narrow the candidates in SQL (category, status,
created since the window, a latitude/longitude box), then the exact distance and the
character-bigram similarity (bot/similarity.py) decide.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.lifecycle import MERGEABLE
from bot.similarity import degree_box, metres_between, similarity
from storage.models import Case, CaseFollower, Person

MAX_OFFERED = 3


@dataclass(frozen=True)
class Duplicate:
    case: Case
    metres: float
    similarity: float

    def as_data(self) -> dict:
        """How a timeline row keeps it (the card shows it from there)."""
        return {"id": self.case.id, "ticket": self.case.ticket, "metres": round(self.metres)}


@dataclass(frozen=True)
class Match:
    """An open case near enough and alike enough, not yet loaded; `theirs`: the person asked about
    (`nearby_matches`) reported it or follows it."""

    case_id: int
    metres: float
    similarity: float
    theirs: bool = False


async def nearby_matches(session: AsyncSession, config: Config, *, category: str, lat: float | None,
                         lon: float | None, text: str, now: datetime, exclude_case: int | None = None,
                         person: int | None = None) -> list[Match]:
    """Every open case a report (or a case) may duplicate, most alike first, then nearest. A filing
    reads them once (bot/desk.py): the resident is offered the first that is not `person`'s, and the
    new case's card lists the first few, whoever reported them."""
    rules = config.casework.duplicates
    if lat is None or lon is None:
        return []
    dlat, dlon = degree_box(lat, rules.radius_m)
    # The candidates as plain columns, in a Core statement; only the few offered are loaded as cases
    # (with their joins).
    cases, following = Case.__table__.c, CaseFollower.__table__.c
    theirs = (cases.reporter_id == person) | cases.id.in_(
        select(following.case_id).where(following.person_id == person)) if person is not None else false()
    query = select(cases.id, cases.lat, cases.lon, cases.description, theirs.label("theirs")).where(
        cases.category == category, cases.status.in_(sorted(str(s) for s in MERGEABLE)),
        cases.created_at >= now - rules.window, cases.lat.between(lat - dlat, lat + dlat),
        cases.lon.between(lon - dlon, lon + dlon)).order_by(cases.id)
    if exclude_case is not None:
        query = query.where(cases.id != exclude_case)
    await session.flush()  # what this unit of work changed counts (a Core statement does not autoflush)
    found = []
    for case_id, case_lat, case_lon, description, known in await session.execute(query):
        metres = metres_between(lat, lon, case_lat, case_lon)
        alike = similarity(text, description)
        if metres <= rules.radius_m and alike >= rules.min_similarity:
            found.append(Match(case_id, metres, alike, bool(known)))
    found.sort(key=lambda m: (-m.similarity, m.metres, m.case_id))
    return found


async def offered(session: AsyncSession, matches: list[Match], limit: int = MAX_OFFERED) -> list[Duplicate]:
    """The first `limit` matches, loaded as cases."""
    return [Duplicate(await session.get(Case, m.case_id), m.metres, m.similarity) for m in matches[:limit]]


async def nearby_duplicates(session: AsyncSession, config: Config, *, category: str, lat: float | None,
                            lon: float | None, text: str, now: datetime, exclude_case: int | None = None,
                            exclude_person: int | None = None) -> list[Duplicate]:
    """Open cases a report (or a case) may duplicate, most alike first, then nearest. A person's own
    cases and those they already follow are left out: they know them (and the conversation asks)."""
    matches = await nearby_matches(session, config, category=category, lat=lat, lon=lon, text=text, now=now,
                                   exclude_case=exclude_case, person=exclude_person)
    return await offered(session, [m for m in matches if not m.theirs])


async def followers(session: AsyncSession, case_id: int) -> list[Person]:
    return list((await session.execute(
        select(Person).join(CaseFollower, CaseFollower.person_id == Person.id)
        .where(CaseFollower.case_id == case_id).order_by(CaseFollower.id))).scalars())


async def follows(session: AsyncSession, case_id: int, person_id: int) -> bool:
    return await session.scalar(select(CaseFollower.id).where(
        CaseFollower.case_id == case_id, CaseFollower.person_id == person_id)) is not None


async def add_followers(session: AsyncSession, case: Case, people: list[Person], now: datetime,
                        from_case: int | None = None) -> list[int]:
    """Make `people` co-reporters of `case` (its reporter and those already following are skipped);
    the ids of those added."""
    added = []
    for person in people:
        if person.id == case.reporter_id or person.id in added or await follows(session, case.id, person.id):
            continue
        session.add(CaseFollower(case_id=case.id, person_id=person.id, from_case_id=from_case, since=now))
        added.append(person.id)
    await session.flush()
    return added


async def drop_followers_from(session: AsyncSession, case_id: int, from_case: int) -> None:
    """An undone merge: the co-reporters it brought leave the kept case."""
    await session.execute(delete(CaseFollower).where(
        CaseFollower.case_id == case_id, CaseFollower.from_case_id == from_case))
