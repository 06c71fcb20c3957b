"""Putting a report together: text, photos and a location arrive in any order within a window.

The draft lives in the database, so a restart in the middle of a report loses nothing. Every
addition answers with one `IntakeStep`: what the bot should do next, for any channel to render.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.district.geo import GridIndex
from bot.lifecycle import TransitionRefused
from bot.places.matcher import PlaceMatcher
from bot.understanding import NluClient, Parse
from bot.where import Place, PlaceStatus, locate
from storage.db import forget_on_rollback
from storage.models import Address, Attachment, Draft, Grid, Person


def missing(draft: Draft) -> tuple[str, ...]:
    """What the report needs before it may be filed (photos are optional)."""
    return tuple(name for name, present in (("description", bool(draft.description)),
                                            ("location", draft.grid_id is not None)) if not present)


@dataclass(frozen=True)
class DraftState:
    draft: Draft
    photos: int

    @property
    def missing(self) -> tuple[str, ...]:
        return missing(self.draft)

    @property
    def complete(self) -> bool:
        return not self.missing


class Next(StrEnum):
    """What the bot does next with a report in progress."""

    DESCRIBE = "describe"            # ask what the problem is
    LOCATE = "locate"                # ask for a location
    PICK_PLACE = "pick_place"        # the typed place is unsure: offer the candidates
    PLACE_OUTSIDE = "place_outside"  # the typed place is outside the district
    POINT_OUTSIDE = "point_outside"  # the shared point is outside the district
    CONFIRM = "confirm"              # everything is there: show the summary to confirm
    TOO_MANY_PHOTOS = "too_many_photos"
    QUIET = "quiet"                  # a further photo of an album already answered


@dataclass(frozen=True)
class IntakeStep:
    next: Next
    state: DraftState | None = None
    place: Place | None = None
    grid_name: str | None = None  # CONFIRM: the grid the report is in
    refresh: bool = False         # CONFIRM: edit the summary already shown (a late album photo)
    point: tuple[float, float] | None = None  # POINT_OUTSIDE


# In a unit of work's session.info: person id → their draft with its photo count (None: they have
# none), as read or changed in this unit of work, so that its every step does not SELECT them again.
_DRAFTS = forget_on_rollback("gridsec_intake_drafts")
# How many photos a draft has: read with it (here, and with the caller: bot/desk.py), then kept.
DRAFT_PHOTOS = select(func.count()).where(Attachment.draft_id == Draft.id).scalar_subquery()
_DRAFT = select(Draft, DRAFT_PHOTOS).where(Draft.person_id == bindparam("person"))  # built once
_GRID_NAME = select(Grid.__table__.c.name).where(Grid.__table__.c.id == bindparam("grid"))  # a Core statement


class IntakeService:
    def __init__(self, session: AsyncSession, clock: Clock, config: Config, nlu: NluClient,
                 grids: GridIndex, places: PlaceMatcher) -> None:
        self.session, self.clock, self.config, self.nlu = session, clock, config, nlu
        self.grids, self.places = grids, places

    # ------------------------------------------------------------ decisions
    async def report_text(self, person: Person, text: str, source: str, parse: Parse | None = None, *,
                          replace: bool = False) -> IntakeStep:
        """Add text to the report; while it has no place, look for one in the whole description."""
        state, parse = await self.add_text(person, text, source, parse=parse, replace=replace)
        if state.draft.grid_id is None:
            place = locate(self.grids, self.places, text=state.draft.description, address=parse.first("address"))
            if place.status is PlaceStatus.MATCHED:
                state = await self.add_address(person, place.best.address_id, source)
            elif place.status is PlaceStatus.CONFIRM:
                return IntakeStep(Next.PICK_PLACE, state, place)
            elif place.status is PlaceStatus.OUTSIDE:
                return IntakeStep(Next.PLACE_OUTSIDE, state, place)
        return await self.step(state)

    async def report_photo(self, person: Person, attachment: Attachment, media_group_id: str | None,
                           source: str) -> IntakeStep:
        state, first_of_album = await self.add_photo(person, attachment, media_group_id, source)
        if first_of_album:
            return await self.step(state)
        if state.complete:
            return await self.step(state, refresh=True)
        return IntakeStep(Next.QUIET, state)

    async def report_location(self, person: Person, lat: float, lon: float, source: str) -> IntakeStep:
        place = locate(self.grids, self.places, lat=lat, lon=lon)
        if place.grid_id is None:
            return IntakeStep(Next.POINT_OUTSIDE, place=place, point=(lat, lon))
        return await self.step(await self.add_location(person, lat, lon, place.grid_id, source))

    async def choose_place(self, person: Person, address_id: str, source: str) -> IntakeStep:
        return await self.step(await self.add_address(person, address_id, source))

    async def choose_category(self, person: Person, category: str) -> IntakeStep:
        if category not in self.config.categories:
            raise TransitionRefused("expired_button")
        return await self.step(await self.set_category(person, category))

    async def category_ranking(self, person: Person) -> list[str]:
        """The likeliest categories for the report, best first (for the 修改 menu)."""
        draft = await self.current(person)
        if draft is None or not draft.description:
            return []
        return [c for c, _ in (await self.nlu.parse(draft.description)).category_ranking]

    async def step(self, state: DraftState, *, refresh: bool = False) -> IntakeStep:
        """Ask for what is missing, else the summary to confirm."""
        if "description" in state.missing:
            return IntakeStep(Next.DESCRIBE, state)
        if "location" in state.missing:
            return IntakeStep(Next.LOCATE, state)
        grid_name = await self.session.scalar(_GRID_NAME, {"grid": state.draft.grid_id})
        return IntakeStep(Next.CONFIRM, state, grid_name=grid_name,
                          refresh=refresh and state.draft.summary_outbox_id is not None)

    @staticmethod
    def warn_once(draft: Draft) -> bool:
        """True the first time an urgent draft is shown: its reporter is told whom to call meanwhile."""
        if not draft.urgent or draft.urgent_warned:
            return False
        draft.urgent_warned = True
        return True

    async def summary_shown(self, person: Person, outbox_id: int) -> None:
        """Remember the summary message, so a late album photo edits it instead of sending another."""
        draft = await self.current(person)
        if draft is not None:
            draft.summary_outbox_id = outbox_id

    @property
    def _window(self) -> timedelta:
        return timedelta(minutes=self.config.intake.draft_window_minutes)

    async def _state_of(self, person: Person) -> DraftState | None:
        known = self.session.info.setdefault(_DRAFTS, {})
        if person.id not in known:
            row = (await self.session.execute(_DRAFT, {"person": person.id})).first()
            known[person.id] = DraftState(*row) if row is not None else None
        return known[person.id]

    async def _draft_of(self, person: Person) -> Draft | None:
        state = await self._state_of(person)
        return state.draft if state is not None else None

    def know(self, person: Person, draft: Draft | None, photos: int) -> None:
        """The person's draft (None: they have none; a person created just now has none), read with
        its photo count by the caller: the session need not look for it."""
        self._know(person, DraftState(draft, photos) if draft is not None else None)

    def _know(self, person: Person, state: DraftState | None) -> None:
        self.session.info.setdefault(_DRAFTS, {})[person.id] = state

    async def current(self, person: Person) -> Draft | None:
        """The person's open draft, or None; a draft left alone past the window is dropped."""
        draft = await self._draft_of(person)
        if draft is not None and self.clock.now() - draft.updated_at > self._window:
            await self.discard(person)
            return None
        return draft

    async def _open(self, person: Person, source: str) -> Draft:
        draft = await self.current(person)
        if draft is None:  # inserted with what the step puts in it, at the unit's next flush
            draft = Draft(person_id=person.id, source=source, description="", media_groups=[],
                          updated_at=self.clock.now())
            self.session.add(draft)
            self._know(person, DraftState(draft, 0))
        return draft

    def state(self, draft: Draft) -> DraftState:
        """The draft with its photo count, as read with it and kept up to date in this unit of work."""
        return self.session.info[_DRAFTS][draft.person_id]

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
        return self.state(draft), parse

    @staticmethod
    def apply_parse(draft: Draft, parse: Parse) -> None:
        """Take the category and urgency from a parse of the whole description (a chosen category stays)."""
        if draft.category is None or draft.category_confidence < 1.0:
            draft.category = parse.category
            draft.category_confidence = parse.category_confidence
        draft.urgent = draft.urgent or parse.urgent
        draft.urgent_cue = draft.urgent_cue or (parse.urgent_cue[:64] if parse.urgent and parse.urgent_cue else None)
        draft.address_text = draft.address_text or parse.first("address")

    async def add_photo(self, person: Person, attachment: Attachment, media_group_id: str | None,
                        source: str) -> tuple[DraftState, bool]:
        """Attach a photo; the flag says whether to answer (once per album, not once per photo)."""
        draft = await self._open(person, source)
        if draft.id is None:  # opened just now: its id comes with its INSERT
            await self.session.flush()
        attachment.draft_id = draft.id
        self.session.add(attachment)
        first_of_album = True
        if media_group_id:
            first_of_album = media_group_id not in draft.media_groups
            if first_of_album:
                draft.media_groups = [*draft.media_groups, media_group_id]
        draft.updated_at = self.clock.now()
        await self.session.flush()
        state = DraftState(draft, self.state(draft).photos + 1)
        self._know(person, state)
        return state, first_of_album

    async def photo_refused(self, person: Person, media_group_id: str | None) -> IntakeStep | None:
        """None while the report has room for another photo; else say so once (not once per album photo)."""
        draft = await self.current(person)
        if draft is None or self.state(draft).photos < self.config.intake.max_photos:
            return None
        if media_group_id is not None and media_group_id in draft.media_groups:
            return IntakeStep(Next.QUIET)
        return IntakeStep(Next.TOO_MANY_PHOTOS)

    async def add_location(self, person: Person, lat: float, lon: float, grid_id: str, source: str) -> DraftState:
        draft = await self._open(person, source)
        draft.lat, draft.lon, draft.grid_id = lat, lon, grid_id
        draft.address_id = None  # the shared point is more exact than any name
        draft.updated_at = self.clock.now()
        return self.state(draft)

    async def add_address(self, person: Person, address_id: str, source: str) -> DraftState:
        """A place from the address library stands in for a shared location."""
        address = await self.session.get(Address, address_id)
        if address is None:
            raise TransitionRefused("expired_button")
        draft = await self._open(person, source)
        draft.lat, draft.lon, draft.grid_id = address.lat, address.lon, address.grid_id
        draft.address_text, draft.address_id = address.name, address.id
        draft.updated_at = self.clock.now()
        return self.state(draft)

    async def set_category(self, person: Person, category: str) -> DraftState | None:
        draft = await self.current(person)
        if draft is None:
            return None
        draft.category, draft.category_confidence = category, 1.0
        draft.updated_at = self.clock.now()
        return self.state(draft)

    async def discard(self, person: Person) -> None:
        """Drop the draft and its photos."""
        state = await self._state_of(person)
        if state is not None:
            if state.photos:
                await self.session.execute(delete(Attachment).where(Attachment.draft_id == state.draft.id))
            await self.done(person)

    async def done(self, person: Person) -> None:
        """The draft became a case, or joined one, and took its photos along: only the draft is dropped
        (one opened in this unit of work and never flushed is simply not inserted)."""
        draft = await self._draft_of(person)
        if draft is not None:
            if draft in self.session.new:
                self.session.expunge(draft)
            else:
                await self.session.delete(draft)
                await self.session.flush()
            self._know(person, None)
