"""Who has joined: every post of a district, street, community or grid, by street and community,
and invite codes for the posts nobody holds yet.

At the start of a deployment most posts have not sent /join, and every case that should reach them
reaches nobody (bot/routing.py `rung_reach`). `gridsec district onboarding` shows where the gaps
are, `gridsec invite --scope ID --all` prints a code for each of them, and the supervisor's daily
report counts the gaps in their scope.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.figures import find_scope
from bot.people import create_invite
from bot.routing import CHAIN
from storage.models import Community, Grid, Officer, OfficerScope, Street


@dataclass(frozen=True)
class Post:
    officer_id: str
    name: str
    role: str
    grid_ids: tuple[str, ...]  # the grids a grid officer covers; empty for the posts above
    grids: tuple[str, ...]     # their names
    joined: bool


@dataclass
class Area:
    """A district, street, community or grid with the posts responsible for it at its own level."""

    id: str
    name: str
    kind: str  # district | street | community | grid
    posts: list[Post] = field(default_factory=list)
    areas: list["Area"] = field(default_factory=list)

    def every_post(self) -> Iterator[Post]:
        yield from self.posts
        for area in self.areas:
            yield from area.every_post()

    @property
    def total(self) -> int:
        return sum(1 for _ in self.every_post())

    @property
    def joined(self) -> int:
        return sum(post.joined for post in self.every_post())

    @property
    def unjoined(self) -> list[Post]:
        return [post for post in self.every_post() if not post.joined]

    def find(self, area_id: str) -> "Area | None":
        if self.id == area_id:
            return self
        return next((found for area in self.areas if (found := area.find(area_id)) is not None), None)


async def district_tree(session: AsyncSession) -> Area:
    """The whole district: its supervisors, then each street with its own posts and communities, each
    community with its posts and grid officers; the posts higher up the chain first."""
    streets = list((await session.execute(select(Street).order_by(Street.id))).scalars())
    communities = list((await session.execute(select(Community).order_by(Community.id))).scalars())
    grids = list((await session.execute(select(Grid).order_by(Grid.id))).scalars())
    officers = list((await session.execute(select(Officer).where(Officer.active).order_by(Officer.id))).scalars())
    scopes: dict[str, list[str]] = defaultdict(list)
    for officer_id, scope_id in (await session.execute(
            select(OfficerScope.officer_id, OfficerScope.scope_id).order_by(OfficerScope.scope_id))).all():
        scopes[officer_id].append(scope_id)
    district_id = streets[0].id.rsplit("-", 1)[0] if streets else ""
    root = Area(district_id, streets[0].district_name if streets else "", "district")
    areas = {root.id: root}
    for street in streets:
        areas[street.id] = Area(street.id, street.name, "street")
        root.areas.append(areas[street.id])
    for community in communities:
        areas[community.id] = Area(community.id, community.name, "community")
        areas[community.street_id].areas.append(areas[community.id])
    grid_of = {grid.id: grid for grid in grids}
    for officer in sorted(officers, key=lambda o: (-CHAIN.index(o.role) if o.role in CHAIN else 1, o.id)):
        mine = scopes.get(officer.id, [])
        covered = [grid_of[s] for s in mine if s in grid_of]
        post = Post(officer.id, officer.name, officer.role, tuple(g.id for g in covered), tuple(g.name for g in covered),
                    officer.person_id is not None)
        if officer.role == "district_supervisor":
            root.posts.append(post)
        elif covered:  # a grid officer sits with the community of their (first) grid
            areas[covered[0].community_id].posts.append(post)
        else:
            for scope_id in mine[:1]:
                areas.get(scope_id, root).posts.append(post)
    return root


async def onboarding(session: AsyncSession, scope_id: str | None = None) -> Area:
    """The posts of a scope (a grid, community, street or district id; None: the district) and who holds them.
    UnknownScope (bot.figures) for an id that is none of these."""
    root = await district_tree(session)
    if scope_id is None:
        return root
    scope = await find_scope(session, scope_id)
    if scope.kind == "district":
        return root
    if scope.kind != "grid":
        return root.find(scope.id)
    grid = await session.get(Grid, scope.id)
    posts = [post for post in root.find(grid.community_id).posts if scope.id in post.grid_ids]
    return Area(scope.id, scope.name, "grid", posts)


def unjoined_in(root: Area, scope_ids: set[str], everywhere: bool = False) -> int:
    """How many posts nobody has joined in the areas `scope_ids` name (`everywhere`: the whole district);
    a grid id counts the grid officers of that grid."""
    if everywhere:
        return len(root.unjoined)
    posts = {post.officer_id for scope_id in scope_ids if (area := root.find(scope_id)) is not None
             for post in area.unjoined}
    posts |= {post.officer_id for post in root.unjoined if set(post.grid_ids) & scope_ids}
    return len(posts)


@dataclass(frozen=True)
class IssuedInvite:
    post: Post
    code: str
    expires_at: datetime


async def invite_unjoined(session: AsyncSession, scope_id: str, now: datetime, valid_for: timedelta) -> list[IssuedInvite]:
    """A one-time /join code for every post of the scope nobody holds yet (codes issued earlier stay valid)."""
    area = await onboarding(session, scope_id)
    issued = []
    for post in area.unjoined:
        invite = await create_invite(session, now, valid_for, officer_id=post.officer_id)
        issued.append(IssuedInvite(post, invite.code, invite.expires_at))
    return issued
