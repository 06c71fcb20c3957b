"""Leave and substitutes: who covers a grid while its officer is away."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import SUPERVISOR_ROLES, Refused
from storage.models import Grid, Officer, OfficerLeave, Person


async def _covers(session: AsyncSession, supervisor: Officer, officer: Officer) -> bool:
    """Does `supervisor`'s scope (community, street or district) include every grid `officer` covers?"""
    if supervisor.role == "district_supervisor":
        return True
    for scope in officer.scopes:
        grid = await session.get(Grid, scope.scope_id)
        area = {scope.scope_id} if grid is None else {grid.id, grid.community_id, grid.community.street_id}
        if not area & {s.scope_id for s in supervisor.scopes}:
            return False
    return True


async def set_leave(session: AsyncSession, by: Officer, person: Person, officer_id: str, length: timedelta,
                    substitute_id: str | None, now: datetime) -> OfficerLeave:
    """Record a leave from now for `length`; refused (with a reason key) when not allowed or nonsensical."""
    officer = await session.get(Officer, officer_id.upper())
    if officer is None or not officer.active:
        raise Refused("leave_unknown_officer")
    if officer.id != by.id and not (by.role in SUPERVISOR_ROLES and await _covers(session, by, officer)):
        raise Refused("leave_not_allowed")
    if length <= timedelta(0) or length > timedelta(days=90):
        raise Refused("leave_bad_length")
    if substitute_id is not None:
        substitute = await session.get(Officer, substitute_id.upper())
        if substitute is None or not substitute.active or substitute.id == officer.id:
            raise Refused("leave_bad_substitute")
        substitute_id = substitute.id
    await end_leave(session, officer.id, now)
    leave = OfficerLeave(officer_id=officer.id, substitute_id=substitute_id, starts_at=now, ends_at=now + length,
                         set_by=person.id)
    session.add(leave)
    await session.flush()
    return leave


async def end_leave(session: AsyncSession, officer_id: str, now: datetime) -> bool:
    current = (await session.execute(select(OfficerLeave).where(
        OfficerLeave.officer_id == officer_id, OfficerLeave.starts_at <= now, OfficerLeave.ends_at > now))).scalars().all()
    for leave in current:
        leave.ends_at = now
    return bool(current)
