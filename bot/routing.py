"""Who acts on a case: point → grid → the grid's on-duty officer, then up the chain.

The chain is grid officer → grid leader → community secretary → street supervisor → district
supervisor. An officer on leave is replaced by the substitute they (or a supervisor) named.
The case goes to the first post in the chain whose holder has joined the bot and is on duty now;
when nobody is on duty it goes to the first joined post anyway (it waits for their shift), and
when nobody has joined it goes to the grid's own officer, whose cards wait for their /join.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.district.files import DutyHours
from storage.models import Department, Grid, Officer, OfficerLeave, OfficerScope

CHAIN = ("grid_officer", "grid_leader", "community_secretary", "street_supervisor", "district_supervisor")

Locate = Callable[[float, float], "str | None"]


@dataclass(frozen=True)
class Placement:
    grid: Grid | None  # None: outside the district
    chain: tuple[Officer, ...]  # the posts responsible, nearest first, substitutes in place of absentees
    handler: Officer | None
    why: str  # on_duty | off_duty | not_joined | substitute | nobody

    @property
    def handler_id(self) -> str | None:
        return self.handler.id if self.handler else None


async def officer_chain(session: AsyncSession, grid: Grid) -> tuple[Officer, ...]:
    """Every post responsible for `grid`, nearest first."""
    scopes = (grid.id, grid.community_id, grid.community.street_id)
    # One deployment serves one district, so its supervisors cover every grid: read with the
    # posts of the grid's scopes, in one statement.
    in_scope = select(OfficerScope.officer_id).where(OfficerScope.scope_id.in_(scopes))
    rows = (await session.execute(select(Officer).where(
        Officer.active, Officer.id.in_(in_scope) | (Officer.role == "district_supervisor"))
        .order_by(Officer.id))).scalars().all()
    return tuple(o for role in CHAIN for o in rows if o.role == role)


async def _district_supervisors(session: AsyncSession) -> tuple[Officer, ...]:
    return tuple((await session.execute(select(Officer).where(
        Officer.role == "district_supervisor", Officer.active).order_by(Officer.id))).scalars())


async def active_leaves(session: AsyncSession, now: datetime) -> dict[str, OfficerLeave]:
    rows = (await session.execute(select(OfficerLeave).where(
        OfficerLeave.starts_at <= now, OfficerLeave.ends_at > now).order_by(OfficerLeave.id))).scalars()
    return {leave.officer_id: leave for leave in rows}


def choose_handler(chain: tuple[Officer, ...], leaves: dict[str, OfficerLeave],
                   substitutes: dict[str, Officer], now: datetime) -> tuple[tuple[Officer, ...], Officer | None, str]:
    """Swap absentees for their substitutes, then take the first joined post on duty."""
    effective: list[Officer] = []
    substituted: set[str] = set()
    for officer in chain:
        leave = leaves.get(officer.id)
        if leave is None:
            effective.append(officer)
        elif leave.substitute_id in substitutes and leave.substitute_id not in leaves:
            effective.append(substitutes[leave.substitute_id])
            substituted.add(leave.substitute_id)
    effective = list(dict.fromkeys(effective))
    joined = [o for o in effective if o.person_id is not None]
    on_duty = [o for o in joined if DutyHours.parse(o.on_duty).covers(now)]
    if on_duty:
        chosen = on_duty[0]
        why = "substitute" if chosen.id in substituted else "on_duty"
    elif joined:
        chosen, why = joined[0], "off_duty"
    elif effective:
        chosen, why = effective[0], "not_joined"
    else:
        chosen, why = None, "nobody"
    return tuple(effective), chosen, why


async def place(session: AsyncSession, locate: Locate, lat: float, lon: float, now: datetime) -> Placement:
    grid_id = locate(lat, lon)
    if grid_id is None:
        return Placement(None, (), None, "nobody")
    return await place_in_grid(session, grid_id, now)


async def place_in_grid(session: AsyncSession, grid_id: str, now: datetime) -> Placement:
    grid = await session.get(Grid, grid_id)
    if grid is None:
        return Placement(None, (), None, "nobody")
    chain = await officer_chain(session, grid)
    leaves = await active_leaves(session, now)
    wanted = {leave.substitute_id for leave in leaves.values() if leave.substitute_id}
    substitutes = {o.id: o for o in (await session.execute(
        select(Officer).where(Officer.id.in_(wanted), Officer.active))).scalars()} if wanted else {}
    effective, handler, why = choose_handler(chain, leaves, substitutes, now)
    return Placement(grid, effective, handler, why)


@dataclass(frozen=True)
class Reach:
    """Whom one rung of the escalation ladder reaches: joined posts, else the duty chat, else nobody."""

    officers: tuple[Officer, ...] = ()
    duty_chat_id: int = 0  # deadlines.duty_chat_id, when no joined post above the case could take it

    @property
    def nobody(self) -> bool:
        return not self.officers and not self.duty_chat_id


def rung_reach(chain: tuple[Officer, ...], role: str | None, assignee: Officer | None, duty_chat_id: int = 0) -> Reach:
    """The nearest joined posts at or above the rung's `role` (the case's own assignee never counts);
    above the district supervisor comes the duty chat. Without a duty chat, the nearest joined post
    below the rung but above the assignee, so that a late case still reaches a person."""
    joined = [o for o in chain if o.person_id is not None and (assignee is None or o.id != assignee.id)]

    def first_joined(roles) -> tuple[Officer, ...]:
        return next((found for wanted in roles if (found := tuple(o for o in joined if o.role == wanted))), ())

    start = CHAIN.index(role) if role in CHAIN else 1
    floor = CHAIN.index(assignee.role) + 1 if assignee is not None and assignee.role in CHAIN else 1
    if above := first_joined(CHAIN[start:]):
        return Reach(above)
    if duty_chat_id:
        return Reach(duty_chat_id=duty_chat_id)
    return Reach(first_joined(reversed(CHAIN[floor:start])))


async def supervisors_of(session: AsyncSession, grid: Grid | None) -> tuple[Officer, ...]:
    """Posts above the grid officer, nearest first: who takes a returned case."""
    if grid is None:
        return await _district_supervisors(session)
    return tuple(o for o in await officer_chain(session, grid) if o.role != "grid_officer")


async def department_for_label(session: AsyncSession, config: Config, label: str | None) -> str | None:
    """The district department a router label stands for (by a word of its name), or None."""
    if not label:
        return None
    word = config.nlu.departments.get(label, label)
    return await session.scalar(select(Department.id).where(Department.name.contains(word))
                                .order_by(func.length(Department.name), Department.id).limit(1))


async def departments_for(session: AsyncSession, config: Config, category: str,
                          suggested: str | None = None) -> list[Department]:
    """Departments that handle `category`: its lead department first (categories.<c>.department in the
    config, else the district's lead for it), then the router's confident suggestion when it is
    another, then the others. The router often answers with its most frequent label (城乡建设) for a
    sewer, garbage or noise alike, so its suggestion never outranks the lead."""
    departments = (await session.execute(select(Department).order_by(Department.id))).scalars().all()
    configured = config.categories.get(category)
    preferred = configured.department if configured else None

    def rank(d: Department) -> tuple[int, str]:
        if d.id == preferred or (preferred is None and category in d.lead_categories):
            return (0, d.id)
        if d.id == suggested:
            return (1, d.id)
        return (2, d.id)

    return sorted((d for d in departments if category in d.categories or d.id in (preferred, suggested)), key=rank)
