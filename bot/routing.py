"""Who acts on a case: point → grid → the grid's officer, then up the chain when nobody is there.

The chain is grid officer → grid leader → community secretary → street supervisor → district
supervisor. The first post whose holder has joined the bot gets the case; if nobody has joined
yet, the grid's own officer does, and the card waits for them in the outbox of their first /join.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from storage.models import Department, Grid, Officer, OfficerScope

CHAIN = ("grid_officer", "grid_leader", "community_secretary", "street_supervisor", "district_supervisor")

Locate = Callable[[float, float], "str | None"]


@dataclass(frozen=True)
class Placement:
    grid: Grid | None  # None: outside the district
    chain: tuple[Officer, ...]

    @property
    def handler(self) -> Officer | None:
        joined = [o for o in self.chain if o.person_id is not None]
        return joined[0] if joined else (self.chain[0] if self.chain else None)


async def officer_chain(session: AsyncSession, grid: Grid) -> tuple[Officer, ...]:
    """Every post responsible for `grid`, nearest first."""
    scopes = (grid.id, grid.community_id, grid.community.street_id)
    rows = (await session.execute(
        select(Officer).join(OfficerScope).where(OfficerScope.scope_id.in_(scopes), Officer.active)
        .order_by(Officer.id))).scalars().unique().all()
    by_role = {role: [o for o in rows if o.role == role] for role in CHAIN}
    # One deployment serves one district, so its supervisors cover every grid.
    by_role["district_supervisor"] = list(await _district_supervisors(session))
    return tuple(o for role in CHAIN for o in by_role[role])


async def _district_supervisors(session: AsyncSession) -> tuple[Officer, ...]:
    return tuple((await session.execute(select(Officer).where(
        Officer.role == "district_supervisor", Officer.active).order_by(Officer.id))).scalars())


async def place(session: AsyncSession, locate: Locate, lat: float, lon: float) -> Placement:
    grid_id = locate(lat, lon)
    if grid_id is None:
        return Placement(None, ())
    return await place_in_grid(session, grid_id)


async def place_in_grid(session: AsyncSession, grid_id: str) -> Placement:
    grid = await session.get(Grid, grid_id)
    if grid is None:
        return Placement(None, ())
    return Placement(grid, await officer_chain(session, grid))


async def supervisors_of(session: AsyncSession, grid: Grid | None) -> tuple[Officer, ...]:
    """Posts above the grid officer, nearest first: who takes a returned case."""
    if grid is None:
        return await _district_supervisors(session)
    return tuple(o for o in await officer_chain(session, grid) if o.role != "grid_officer")


async def departments_for(session: AsyncSession, config: Config, category: str) -> list[Department]:
    """Departments that handle `category`, the default one (configured or the lead) first."""
    departments = (await session.execute(select(Department).order_by(Department.id))).scalars().all()
    configured = config.categories.get(category)
    preferred = configured.department if configured else None

    def rank(d: Department) -> tuple[int, str]:
        if d.id == preferred:
            return (0, d.id)
        if category in d.lead_categories:
            return (1, d.id)
        return (2, d.id)

    return sorted((d for d in departments if category in d.categories or d.id == preferred), key=rank)
