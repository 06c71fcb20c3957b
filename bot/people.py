"""Who is who: people by Telegram id, their staff posts, and the invite codes that grant those posts."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.limits import Window
from storage.models import Department, DepartmentStaff, Invite, Officer, Person

log = logging.getLogger(__name__)

SUPERVISOR_ROLES = ("grid_leader", "community_secretary", "street_supervisor", "district_supervisor")
OFFICER_ROLES = ("grid_officer",) + SUPERVISOR_ROLES
# Letters that can't be misread for one another when typed from a printed code.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class StaffPost:
    """What a person may do besides reporting: an officer post, a department, or neither."""

    officer: Officer | None
    department: Department | None

    @property
    def is_staff(self) -> bool:
        return self.officer is not None or self.department is not None

    @property
    def is_supervisor(self) -> bool:
        return self.officer is not None and self.officer.role in SUPERVISOR_ROLES


class Refused(Exception):
    """A request refused for a reason the person can act on; `reason` is a key of the user-facing texts."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def with_post(*entities):
    """SELECT `entities` from people with the person's active officer post and department (each
    None when there is none) joined on: who someone is and what they may do, in one statement."""
    return (select(*entities).select_from(Person)
            .outerjoin(Officer, (Officer.person_id == Person.id) & Officer.active)
            .outerjoin(DepartmentStaff, DepartmentStaff.person_id == Person.id)
            .outerjoin(Department, Department.id == DepartmentStaff.department_id)
            .limit(1))


# Built once, with bound parameters: every update looks its caller up.
_CALLER = with_post(Person, Officer, Department).where(Person.tg_user_id == bindparam("tg_user_id"))
_POST = with_post(Officer, Department).where(Person.id == bindparam("person_id"))


async def ensure_caller(session: AsyncSession, tg_user_id: int, chat_id: int, display_name: str,
                        username: str | None, now: datetime,
                        lookup=_CALLER) -> tuple[Person, StaffPost, tuple | None]:
    """The person with this Telegram id (created the first time, their chat and names kept up to
    date) and their staff post, read together; and the rest of what `lookup` (`with_post(Person,
    Officer, Department, …)` where `tg_user_id` is bound) reads with them, None when they were
    created just now."""
    row = (await session.execute(lookup, {"tg_user_id": tg_user_id})).first()
    if row is None:
        person = Person(tg_user_id=tg_user_id, chat_id=chat_id, display_name=display_name[:128],
                        username=username, created_at=now)
        session.add(person)
        await session.flush()
        return person, StaffPost(None, None), None  # a post is given to a person who exists (redeem_invite)
    person, officer, department, *rest = row
    person.chat_id, person.display_name, person.username = chat_id, display_name[:128], username
    return person, StaffPost(officer, department), tuple(rest)


async def ensure_person(session: AsyncSession, tg_user_id: int, chat_id: int, display_name: str,
                        username: str | None, now: datetime) -> Person:
    return (await ensure_caller(session, tg_user_id, chat_id, display_name, username, now))[0]


async def staff_post(session: AsyncSession, person: Person) -> StaffPost:
    officer, department = (await session.execute(_POST, {"person_id": person.id})).one()
    return StaffPost(officer, department)


async def create_invite(session: AsyncSession, now: datetime, valid_for: timedelta, *,
                        officer_id: str | None = None, department_id: str | None = None) -> Invite:
    """A one-time code binding whoever redeems it to an officer post or a department."""
    if (officer_id is None) == (department_id is None):
        raise ValueError("an invite is for exactly one officer or one department")
    if officer_id and await session.get(Officer, officer_id) is None:
        raise LookupError(f"no officer {officer_id}")
    if department_id and await session.get(Department, department_id) is None:
        raise LookupError(f"no department {department_id}")
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    invite = Invite(code=code, officer_id=officer_id, department_id=department_id,
                    created_at=now, expires_at=now + valid_for)
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(session: AsyncSession, person: Person, code: str, now: datetime,
                        attempts: Window | None = None) -> StaffPost:
    """Bind `person` to the invite's post. With `attempts`, failed tries are counted per person and
    refused once too many (codes are 8 characters of 31, but guessing must not be free), and each
    failure is logged with the code masked."""
    if attempts is not None and attempts.full(person.id, now):
        log.warning("/join refused: person %s tried too often (code %s)", person.id, masked_code(code))
        raise Refused("join_throttled")
    try:
        return await _redeem(session, person, code, now)
    except Refused as refused:
        if attempts is not None:
            attempts.record(person.id, now)
        log.warning("/join failed for person %s: %s (code %s)", person.id, refused.reason, masked_code(code))
        raise


def masked_code(code: str) -> str:
    """Enough of a guessed code to tell attempts apart in the log, never the whole of it."""
    code = code.strip()
    return f"{code[:2]}…({len(code)})"


async def _redeem(session: AsyncSession, person: Person, code: str, now: datetime) -> StaffPost:
    invite = await session.get(Invite, code.strip().upper(), with_for_update=True)
    if invite is None:
        raise Refused("invite_unknown")
    if invite.used_at is not None:
        raise Refused("invite_used")
    if invite.expires_at <= now:
        raise Refused("invite_expired")
    current = await staff_post(session, person)
    if current.is_staff:
        raise Refused("invite_already_staff")
    if invite.officer_id:
        officer = await session.get(Officer, invite.officer_id)
        if officer.person_id is not None:
            raise Refused("invite_post_taken")
        officer.person_id = person.id
    else:
        session.add(DepartmentStaff(person_id=person.id, department_id=invite.department_id, joined_at=now))
    invite.used_at, invite.used_by = now, person.id
    await session.flush()
    return await staff_post(session, person)


def masked_name(name: str) -> str:
    name = name.strip()
    return (name[0] + "**") if name else "匿名"
