"""What a renderer gets instead of a database session.

Channel adapters turn domain events into messages; they queue them here, in the transaction of
the change that implies them, and read here the few facts a message shows that the case row
does not carry (its photos, who acted). So no channel holds a session or writes a query.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import Outgoing, enqueue
from storage.models import Attachment, Case, Department, DepartmentStaff, Officer, OutboxMessage, Person

REPORT_PHOTOS = ("report", "info")
_ATTACHMENTS = Attachment.__table__
# Built once, a Core statement: every case card reads its photos.
_PHOTOS = (select(_ATTACHMENTS.c.tg_file_id)
           .where(_ATTACHMENTS.c.case_id == bindparam("case"),
                  _ATTACHMENTS.c.purpose.in_(bindparam("purposes", expanding=True)), _ATTACHMENTS.c.tg_file_id != "")
           .order_by(_ATTACHMENTS.c.id))


class Mailroom:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def send(self, message: Outgoing) -> None:
        enqueue(self._session, message)

    async def send_tracked(self, message: Outgoing) -> int:
        """Queue `message` and return its outbox id, for a later edit of the same message. Only the
        outbox's new rows are flushed for the id (in the order queued): what else the unit of work
        changed goes in its next flush, with what it changes next (a draft gets one UPDATE, not two)."""
        row = enqueue(self._session, message)
        await self._session.flush([queued for queued in self._session.new if isinstance(queued, OutboxMessage)])
        return row.id

    async def photos(self, case: Case, purposes: tuple[str, ...] = REPORT_PHOTOS) -> list[str]:
        """Telegram file ids of the case's photos of these purposes, oldest first (a photo uploaded
        through an API channel has none: the command centre shows it from the photo store)."""
        await self._session.flush()  # photos attached in this unit of work count (a Core statement does not autoflush)
        return list((await self._session.execute(_PHOTOS, {"case": case.id, "purposes": list(purposes)})).scalars())

    async def buttoned(self, case: Case, chat_id: int) -> list[int]:
        """Outbox ids of the messages about `case` to `chat_id` that were sent with buttons and still have them."""
        rows = (await self._session.execute(select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.payload).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.case_id == case.id).order_by(OutboxMessage.id))).all()
        retired = {payload.get("edit_of") for _, kind, payload in rows if kind == "unbutton"}
        return [row_id for row_id, kind, payload in rows
                if kind in ("text", "photo") and payload.get("buttons") and row_id not in retired]

    async def file_id(self, attachment_id: int) -> str | None:
        attachment = await self._session.get(Attachment, attachment_id)
        return attachment.tg_file_id if attachment else None

    async def who(self, person_id: int | None) -> tuple[str | None, str]:
        """(officer role or None, name) of whoever acted, as the roster names them: an officer's name
        from officers.csv, a department's staff by their department; only a resident by their own name."""
        if person_id is None:
            return None, ""
        officer = await self._session.scalar(select(Officer).where(Officer.person_id == person_id))
        if officer is not None:
            return officer.role, officer.name
        department = await self._session.scalar(
            select(Department.name).join(DepartmentStaff, DepartmentStaff.department_id == Department.id)
            .where(DepartmentStaff.person_id == person_id))
        if department is not None:
            return None, department
        person = await self._session.get(Person, person_id)
        return None, person.display_name if person else ""
