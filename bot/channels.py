"""Cases from channels other than chat: the 12345 hotline, a web form, another city system.

A channel holds an API key (`gridsec apikey`), stored by the SHA-256 of its secret. Its requests are
filed through the very intake, placement and routing a chat report goes through (a `Desk` for the
caller, who is a person without Telegram ids named by the channel), so they reach the same officer
with the same limits and figures. web/open311.py is the Open311 GeoReport v2 adapter on top.

What a channel reads back is the public side of a case: its status, the public timeline
(lifecycle.PUBLIC_ACTIONS), who has it; never the caller's name, phone or e-mail.
"""
from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image, UnidentifiedImageError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk, Filed, desk_of
from bot.lifecycle import OPEN, PUBLIC_ACTIONS, Status, TransitionRefused
from bot.places.matcher import Candidate
from bot.routing import departments_for
from bot.where import PlaceStatus, locate
from storage.models import ApiKey, Case, CaseEvent, ChannelRequest, Person

MAX_DESCRIPTION = 4000  # GeoReport v2's limit
MAX_NOTE = 2000


# ---------------------------------------------------------------- refusals
class ChannelRefused(Exception):
    """A request the API refuses; `reason` is a key of the API's texts, `params` fill it in."""

    status = 400

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason, self.params = reason, params


class BadKey(ChannelRefused):
    status = 403


class NotFound(ChannelRefused):
    status = 404


class PlaceUnsure(ChannelRefused):
    """The address is not sure enough to file: the candidates to choose from (by address_id)."""

    def __init__(self, reason: str, candidates: tuple[Candidate, ...], **params: object) -> None:
        super().__init__(reason, **params)
        self.candidates = candidates


# ---------------------------------------------------------------- keys
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(session: AsyncSession, name: str, now: datetime) -> str:
    """A new key for channel `name`, shown once; creating a revoked channel's name again rotates its key."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ValueError("a channel name is 1 to 64 characters")
    secret = secrets.token_urlsafe(24)
    key = await session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is not None and key.revoked_at is None:
        raise ValueError(f"channel {name} has a key already: revoke it first to rotate it")
    if key is None:
        session.add(ApiKey(name=name, key_hash=_digest(secret), created_at=now))
    else:
        key.key_hash, key.created_at, key.revoked_at = _digest(secret), now, None
    await session.flush()
    return secret


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.name))).scalars())


async def revoke_key(session: AsyncSession, name: str, now: datetime) -> bool:
    key = await session.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))
    if key is None:
        return False
    key.revoked_at = now
    return True


# ---------------------------------------------------------------- what comes in and goes out
@dataclass(frozen=True)
class NewRequest:
    service_code: str
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    media_url: str | None = None
    media: bytes | None = None
    callback_url: str | None = None


@dataclass(frozen=True)
class RequestQuery:
    tickets: tuple[str, ...] = ()
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None  # open | closed
    page: int = 1
    page_size: int | None = None


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    group: str | None  # the department that handles it


@dataclass(frozen=True)
class RequestView:
    """A case as a channel may see it: no reporter, and only the public timeline."""

    case: Case
    channel: str | None
    events: tuple[CaseEvent, ...]
    media_url: str | None

    @property
    def is_open(self) -> bool:
        return Status(self.case.status) in OPEN

    @property
    def agency(self) -> str | None:
        """Who is responsible: the department that has it, else the grid of the officer who has it."""
        if self.case.assignee_department:
            return self.case.assignee_department.name
        return self.case.grid.name if self.case.grid else None


@dataclass(frozen=True)
class RequestPage:
    views: list[RequestView]
    total: int
    page: int
    page_size: int


# ---------------------------------------------------------------- the service
class Channels:
    """One API request's unit of work on the secretary's services (bot/services.py)."""

    def __init__(self, services, session: AsyncSession) -> None:
        self.services, self.session = services, session
        self.config, self.clock = services.config, services.clock

    async def key(self, secret: str | None) -> ApiKey:
        if not secret:
            raise BadKey("key_needed")
        key = await self.session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(secret),
                                                             ApiKey.revoked_at.is_(None)))
        if key is None:
            raise BadKey("bad_key")
        return key

    async def reader(self, secret: str | None) -> ApiKey | None:
        """Who reads: a channel by its key, or (None) the public where open311.public_reads allows it."""
        if secret or not self.config.open311.public_reads:
            return await self.key(secret)
        return None

    # ---- services: one per report category
    async def services_offered(self) -> list[Service]:
        return [await self.service(code) for code in self.config.categories]

    async def service(self, code: str) -> Service:
        entry = self.config.categories.get(code)
        if entry is None:
            raise NotFound("unknown_service", code=code)
        departments = await departments_for(self.session, self.config, code)
        return Service(code, entry.name, departments[0].name if departments else None)

    # ---- filing
    async def file(self, key: ApiKey, new: NewRequest) -> RequestView:
        """File as chat files: the caller's desk puts the report together in a draft (text, then the
        category the channel chose, then the place), and the desk files it, routed to the grid."""
        if new.service_code not in self.config.categories:
            raise NotFound("unknown_service", code=new.service_code)
        description = (new.description or "").strip()
        if len(description) > MAX_DESCRIPTION:
            raise ChannelRefused("description_too_long", most=MAX_DESCRIPTION)
        if not description:
            description = self.config.category_name(new.service_code)
        now = self.clock.now()
        name = " ".join(p.strip() for p in (new.last_name, new.first_name) if p and p.strip())
        caller = Person(tg_user_id=None, chat_id=None, channel=key.name, display_name=name[:128],
                        phone=(new.phone or "").strip()[:32] or None, created_at=now)
        self.session.add(caller)
        await self.session.flush()
        desk = await desk_of(self.services, self.session, caller, self.services.notifier_for)
        _, parse = await desk.intake.add_text(caller, description, desk.source)
        await desk.intake.set_category(caller, new.service_code)
        await self._place(desk, new, description, parse.first("address"))
        if new.media:
            await self._photo(desk, new.media)
        # Filed even beside a same-spot duplicate: a caller cannot be asked to 关注 over the API; the
        # officer's card lists possible duplicates and 合并 joins them (bot/duplicates.py).
        filed = await desk.file(anyway=True)
        if not isinstance(filed, Filed):  # the draft is complete by now: anything else is a bug, not a refusal
            raise RuntimeError(f"the draft was not complete: {filed}")
        self.session.add(ChannelRequest(case_id=filed.case.id, api_key_id=key.id, email=new.email or None,
                                        media_url=new.media_url or None, callback_url=new.callback_url or None))
        await self.session.flush()
        return await self._view(filed.case)

    async def _place(self, desk: Desk, new: NewRequest, description: str, entity: str | None) -> None:
        """address_id, else lat/long, else address_string matched as a typed place is in chat (a
        sure match files, an unsure one lists the candidates); with none of them, the description
        is read for a place as chat reads it."""
        caller, intake, source = desk.person, desk.intake, desk.source
        if new.address_id:
            try:
                await intake.add_address(caller, new.address_id, source)
            except TransitionRefused:
                raise ChannelRefused("unknown_address", address_id=new.address_id) from None
            return
        if new.lat is not None or new.lon is not None:
            if new.lat is None or new.lon is None:
                raise ChannelRefused("lat_long_pair")
            place = locate(self.services.grids, self.services.places, lat=new.lat, lon=new.lon)
            if place.grid_id is None:
                raise ChannelRefused("point_outside")
            await intake.add_location(caller, new.lat, new.lon, place.grid_id, source)
            return
        typed = (new.address_string or "").strip()
        place = locate(self.services.grids, self.services.places, text=typed or description,
                       address=None if typed else entity)
        if place.status is PlaceStatus.MATCHED:
            await intake.add_address(caller, place.best.address_id, source)
        elif place.status is PlaceStatus.CONFIRM:
            raise PlaceUnsure("place_unsure", place.candidates, place=typed or description)
        elif place.status is PlaceStatus.OUTSIDE:
            raise ChannelRefused("place_outside", place=place.outside_name)
        else:
            raise PlaceUnsure("place_missing", ())

    async def _photo(self, desk: Desk, data: bytes) -> None:
        try:
            Image.open(io.BytesIO(data)).verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ChannelRefused("media_not_image") from None
        attachment = await desk.store_photo("report", "", "", data)
        await desk.intake.add_photo(desk.person, attachment, None, desk.source)

    # ---- notes: a caller's follow-up, as a resident's 补充
    async def add_note(self, key: ApiKey, ticket: str, text: str) -> RequestView:
        text = (text or "").strip()
        if not text:
            raise ChannelRefused("note_empty")
        if len(text) > MAX_NOTE:
            raise ChannelRefused("note_too_long", most=MAX_NOTE)
        case = await self._own(key, ticket)
        desk = await desk_of(self.services, self.session, case.reporter, self.services.notifier_for)
        case = await desk.cases.get(case.id, for_update=True)
        try:
            await desk.cases.add_info(case, desk.actor, text)
        except TransitionRefused as refused:
            raise ChannelRefused("note_refused", status=case.status) from refused
        return await self._view(case)

    # ---- reading
    async def get(self, reader: ApiKey | None, ticket: str) -> RequestView:
        return await self._view(await self._own(reader, ticket))

    async def _own(self, reader: ApiKey | None, ticket: str) -> Case:
        query = select(Case).where(Case.ticket == ticket.strip().upper())
        visible = self._visible(reader)
        if visible is not None:
            query = query.join(Person, Person.id == Case.reporter_id).where(visible)
        case = await self.session.scalar(query)
        if case is None:
            raise NotFound("unknown_request", id=ticket)
        return case

    def _visible(self, reader: ApiKey | None) -> ColumnElement[bool] | None:
        return None if reader is None else Person.channel == reader.name

    async def find(self, reader: ApiKey | None, query: RequestQuery) -> RequestPage:
        settings = self.config.open311
        size = query.page_size or settings.page_size
        if not 0 < size <= settings.max_page_size:
            raise ChannelRefused("bad_page_size", most=settings.max_page_size)
        if query.page < 1:
            raise ChannelRefused("bad_page")
        conditions = await self._conditions(query)  # checked even when ids are asked for, which stand alone
        if query.tickets:
            conditions = [Case.ticket.in_([t.strip().upper() for t in query.tickets])]
        visible = self._visible(reader)
        base = select(Case).join(Person, Person.id == Case.reporter_id).where(*conditions)
        if visible is not None:
            base = base.where(visible)
        total = await self.session.scalar(select(func.count()).select_from(base.subquery()))
        cases = list((await self.session.execute(
            base.order_by(Case.created_at.desc(), Case.id.desc()).offset((query.page - 1) * size).limit(size)
        )).scalars())
        return RequestPage(await self._views(cases), total or 0, query.page, size)

    async def _conditions(self, query: RequestQuery) -> list[ColumnElement[bool]]:
        """Filed within start..end (at most open311.max_days apart, by default the last that many
        days), of the service and status asked for."""
        span = timedelta(days=self.config.open311.max_days)
        end = query.end or (query.start + span if query.start else self.clock.now())
        start = query.start or end - span
        if start > end:
            raise ChannelRefused("dates_reversed")
        if end - start > span:
            raise ChannelRefused("dates_too_far", days=self.config.open311.max_days)
        conditions = [Case.created_at >= start, Case.created_at <= end]
        if query.service_code is not None:
            await self.service(query.service_code)
            conditions.append(Case.category == query.service_code)
        if query.status == "open":
            conditions.append(Case.status.in_([str(s) for s in OPEN]))
        elif query.status == "closed":
            conditions.append(Case.status.not_in([str(s) for s in OPEN]))
        elif query.status is not None:
            raise ChannelRefused("bad_status")
        return conditions

    async def _view(self, case: Case) -> RequestView:
        return (await self._views([case]))[0]

    async def _views(self, cases: list[Case]) -> list[RequestView]:
        """Each case with its public timeline and what its channel sent, in two queries for the lot."""
        ids = [c.id for c in cases]
        events: dict[int, list[CaseEvent]] = {i: [] for i in ids}
        extras: dict[int, ChannelRequest] = {}
        if ids:
            for event in (await self.session.execute(select(CaseEvent).where(
                    CaseEvent.case_id.in_(ids), CaseEvent.action.in_([str(a) for a in PUBLIC_ACTIONS]))
                    .order_by(CaseEvent.id))).scalars():
                events[event.case_id].append(event)
            extras = {r.case_id: r for r in (await self.session.execute(
                select(ChannelRequest).where(ChannelRequest.case_id.in_(ids)))).scalars()}
        return [RequestView(c, c.reporter.channel, tuple(events[c.id]),
                            extras[c.id].media_url if c.id in extras else None) for c in cases]

    async def callback_view(self, case_id: int) -> RequestView | None:
        """What a callback posts: the case as its channel reads it now."""
        case = await self.session.get(Case, case_id)
        return await self._view(case) if case is not None else None
