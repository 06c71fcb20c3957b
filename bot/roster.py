"""The roster as supervisors use it in chat: whom a case may be 改派 to, found by name, grid name
or code, and grids found by their name as well as their id.

A supervisor's scope is the areas their posts name (a grid, a community, a street; a district
supervisor's is every grid). They may give a case to any joined, active officer below them there:
the grid's own officers first, then the other grids of its community, then the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.routing import CHAIN
from storage.models import Case, Community, Grid, Officer


@dataclass(frozen=True)
class Colleague:
    officer: Officer
    grid_name: str  # where they work: their grid's name, or their community's or street's
    grid_ids: tuple[str, ...] = ()


def _normal(text: str) -> str:
    return "".join(text.split()).upper()


async def find_grid(session: AsyncSession, text: str) -> Grid | None:
    """A grid by its id (in any letter case) or its name ('秉北社区第3网格'), or else the only grid
    whose name contains the text; None when none or several do."""
    wanted = _normal(text)
    if not wanted:
        return None
    grid = await session.get(Grid, wanted)
    if grid is not None:
        return grid
    grids = list((await session.execute(select(Grid).where(Grid.name.contains(text.strip()))
                                         .order_by(func.length(Grid.name), Grid.id).limit(2))).scalars())
    exact = [g for g in grids if _normal(g.name) == wanted]
    return exact[0] if exact else grids[0] if len(grids) == 1 else None


async def colleagues_for(session: AsyncSession, case: Case, actor: Officer | None) -> list[Colleague]:
    """Joined, active officers below `actor` within the actor's scope, other than the case's
    assignee: the case grid's own officers first, then its community's, then the rest by grid."""
    if actor is None or actor.role not in CHAIN:
        return []
    below = CHAIN[:CHAIN.index(actor.role)]
    if not below:
        return []
    grids = {g.id: g for g in (await session.execute(select(Grid))).scalars()}
    communities = {c.id: c for c in (await session.execute(select(Community))).scalars()}

    def areas(scope_id: str) -> set[str]:
        """The scope and every area above it."""
        if scope_id in grids:
            community = communities[grids[scope_id].community_id]
            return {scope_id, community.id, community.street_id}
        if scope_id in communities:
            return {scope_id, communities[scope_id].street_id}
        return {scope_id}

    mine = {s.scope_id for s in actor.scopes}
    everywhere = actor.role == "district_supervisor"
    officers = (await session.execute(
        select(Officer).where(Officer.role.in_(below), Officer.active, Officer.person_id.is_not(None),
                              Officer.id != (case.assignee_officer_id or "")).order_by(Officer.id))).scalars()
    case_grid = grids.get(case.grid_id or "")
    found = []
    for officer in officers:
        scopes = sorted(s.scope_id for s in officer.scopes)
        if not everywhere and not any(areas(s) & mine for s in scopes):
            continue
        own = tuple(s for s in scopes if s in grids)
        label = "、".join(grids[s].name for s in own) or "、".join(
            communities[s].name if s in communities else s for s in scopes)
        here = case_grid is not None and case_grid.id in own
        near = case_grid is not None and any(grids[s].community_id == case_grid.community_id for s in own)
        found.append(((not here, not near, own[:1] or scopes[:1], officer.id), Colleague(officer, label, own)))
    return [colleague for _, colleague in sorted(found, key=lambda item: item[0])]


def search(colleagues: list[Colleague], text: str) -> list[Colleague]:
    """Those `text` names: by officer name or 工号, or by the name or id of a grid they cover.
    Whole matches win over partial ones ('罗艳' is not also '罗艳红')."""
    wanted = _normal(text)
    if not wanted:
        return []

    def keys(c: Colleague) -> list[str]:
        return [_normal(c.officer.name), c.officer.id.upper(), *(g.upper() for g in c.grid_ids),
                *(_normal(name) for name in c.grid_name.split("、"))]

    whole = [c for c in colleagues if wanted in keys(c)]
    return whole or [c for c in colleagues if any(wanted in key for key in keys(c))]
