"""Putting a report together: text, photos and a location arrive in any order within a window.

The draft lives in the database, so a restart in the middle of a report loses nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.understanding import NluClient, Parse
from storage.models import Address, Attachment, Draft, Person


@dataclass(frozen=True)
class DraftState:
    draft: Draft
    photos: int

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name, present in (("description", bool(self.draft.description)),
                                                ("location", self.draft.grid_id is not None)) if not present)

    @property
    def complete(self) -> bool:
        return not self.missing


class IntakeService:
    def __init__(self, session: AsyncSession, clock: Clock, config: Config, nlu: NluClient) -> None:
        self.session, self.clock, self.config, self.nlu = session, clock, config, nlu

    @property
    def _window(self) -> timedelta:
        return timedelta(minutes=self.config.intake.draft_window_minutes)

    async def current(self, person: Person) -> Draft | None:
        """The person's open draft, or None; a draft left alone past the window is dropped."""
        draft = await self.session.scalar(select(Draft).where(Draft.person_id == person.id))
        if draft is not None and self.clock.now() - draft.updated_at > self._window:
            await self.discard(person)
            return None
        return draft

    async def _open(self, person: Person, source: str) -> Draft:
        draft = await self.current(person)
        if draft is None:
            draft = Draft(person_id=person.id, source=source, description="", media_groups=[],
                          updated_at=self.clock.now())
            self.session.add(draft)
            await self.session.flush()
        return draft

    async def state(self, draft: Draft) -> DraftState:
        count = await self.session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.draft_id == draft.id))
        return DraftState(draft, count or 0)

    async def add_text(self, person: Person, text: str, source: str, *, parse: Parse | None = None,
                       replace: bool = False) -> tuple[DraftState, Parse]:
        """Add to (or replace) the description and re-read the whole of it: a later "还好臭" must not
        turn a blocked drain into a garbage case. `parse` is the caller's parse of `text`, reused when
        `text` is the whole description."""
        draft = await self._open(person, source)
        text = text.strip()
        if replace or not draft.description:
            draft.description = text
        elif text not in draft.description:
            draft.description = f"{draft.description}；{text}"
        if parse is None or draft.description != text:
            parse = await self.nlu.parse(draft.description)
        self.apply_parse(draft, parse)
        draft.updated_at = self.clock.now()
        return await self.state(draft), parse

    @staticmethod
    def apply_parse(draft: Draft, parse: Parse) -> None:
        """Take the category and urgency from a parse of the whole description (a chosen category stays)."""
        if draft.category is None or draft.category_confidence < 1.0:
            draft.category = parse.category
            draft.category_confidence = parse.category_confidence
        draft.urgent = draft.urgent or parse.urgent
        draft.address_text = draft.address_text or parse.first("address")

    async def add_photo(self, person: Person, attachment: Attachment, media_group_id: str | None,
                        source: str) -> tuple[DraftState, bool]:
        """Attach a photo; the flag says whether to answer (once per album, not once per photo)."""
        draft = await self._open(person, source)
        attachment.draft_id = draft.id
        self.session.add(attachment)
        first_of_album = True
        if media_group_id:
            first_of_album = media_group_id not in draft.media_groups
            if first_of_album:
                draft.media_groups = [*draft.media_groups, media_group_id]
        draft.updated_at = self.clock.now()
        await self.session.flush()
        return await self.state(draft), first_of_album

    async def photo_room(self, person: Person) -> int:
        draft = await self.current(person)
        if draft is None:
            return self.config.intake.max_photos
        return self.config.intake.max_photos - (await self.state(draft)).photos

    async def add_location(self, person: Person, lat: float, lon: float, grid_id: str, source: str) -> DraftState:
        draft = await self._open(person, source)
        draft.lat, draft.lon, draft.grid_id = lat, lon, grid_id
        draft.address_id = None  # the shared point is more exact than any name
        draft.updated_at = self.clock.now()
        return await self.state(draft)

    async def add_address(self, person: Person, address: Address, source: str) -> DraftState:
        """A place from the address library stands in for a shared location."""
        draft = await self._open(person, source)
        draft.lat, draft.lon, draft.grid_id = address.lat, address.lon, address.grid_id
        draft.address_text, draft.address_id = address.name, address.id
        draft.updated_at = self.clock.now()
        return await self.state(draft)

    async def set_category(self, person: Person, category: str) -> DraftState | None:
        draft = await self.current(person)
        if draft is None:
            return None
        draft.category, draft.category_confidence = category, 1.0
        draft.updated_at = self.clock.now()
        return await self.state(draft)

    async def discard(self, person: Person) -> None:
        draft = await self.session.scalar(select(Draft).where(Draft.person_id == person.id))
        if draft is not None:
            await self.session.execute(delete(Attachment).where(Attachment.draft_id == draft.id))
            await self.session.delete(draft)
            await self.session.flush()
