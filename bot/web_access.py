"""Who may open the command centre (web/) and what they see there.

- **Logins**: a one-time link (valid `web.link_minutes`, single use) bound to a post — an officer's,
  or a department's staff member — makes a browser session (`web.session_hours`); both are
  `web_tokens` rows stored by the SHA-256 of their secret, so a copy of the database opens nothing.
  A Telegram Mini App logs in with its signed `initData` instead (`verify_init_data`).
- **Scopes**: a grid officer sees their grids, a grid leader or community secretary their community,
  a street supervisor their street, a district supervisor everything, department staff the cases
  of their department. The post is read again on every request, so a post that changes hands or
  is deactivated stops its sessions at once. Anything outside the scope is `Forbidden`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import Actor
from bot.area_map import AreaMap, area_map
from bot.case_list import CaseFilter, CasePage, all_cases, case_page
from bot.clock import Clock
from bot.config import Config
from bot.figures import Breakdown, Figures, Period, Scope, breakdown, figures, find_scope, hot_spots_in
from bot.hotspots import HotSpot
from bot.lifecycle import Role
from storage.models import (
    Attachment, Case, CaseEvent, Community, Department, DepartmentStaff, Grid, Officer, Person, Street, WebToken,
)

LINK, SESSION = "link", "session"
DISTRICT_ROLE = "district_supervisor"
CLOCK_SKEW = timedelta(minutes=1)
EXPORT_LIMIT = 100_000  # cases in one export  # an initData signed this far in the future still counts


class LoginRefused(Exception):
    """A login that does not work; `reason` is a key of the web texts."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(Exception):
    """Outside the viewer's scope (HTTP 403)."""


# ---------------------------------------------------------------- the viewer
@dataclass(frozen=True)
class CaseView:
    """A case page: the case (with its reporter, masked by the renderer), its timeline, its photos."""

    case: Case
    events: tuple[CaseEvent, ...]
    photo_ids: tuple[int, ...]


@dataclass(frozen=True)
class Viewer:
    """A logged-in post: what it covers and how it is named."""

    name: str
    role: str                     # an officer role, or "department"
    areas: frozenset[str]         # the grid, community and street ids the post covers
    everywhere: bool              # a district supervisor
    officer_id: str | None = None
    department_id: str | None = None
    person_id: int | None = None  # who acts for the post (督办, 改派, 延期); None: nobody has joined it

    def cases(self) -> ColumnElement[bool] | None:
        """The condition on Case for the cases this viewer may see; None: every case."""
        if self.everywhere:
            return None
        if self.department_id:
            return Case.assignee_department_id == self.department_id
        grids = select(Grid.id).join(Community).where(
            Grid.id.in_(self.areas) | Grid.community_id.in_(self.areas) | Community.street_id.in_(self.areas))
        return Case.grid_id.in_(grids)

    def role_on(self, case: Case) -> Role:
        """How the post stands to a case it may see: its assignee, or above it (what the renderer masks by)."""
        held = (self.officer_id and case.assignee_officer_id == self.officer_id) or \
            (self.department_id and case.assignee_department_id == self.department_id)
        return Role.ASSIGNEE if held else Role.SUPERVISOR

    def visible(self, query: Select) -> Select:
        condition = self.cases()
        return query if condition is None else query.where(condition)

    def sees(self, lineage: set[str], district: bool) -> bool:
        """Whether an area with these ids (its own and its parents') is inside the viewer's scope."""
        if self.everywhere:
            return True
        return not district and bool(lineage & self.areas)


# ---------------------------------------------------------------- Mini App initData
def verify_init_data(raw: str, bot_token: str, now: datetime, max_age: timedelta) -> dict[str, str]:
    """The fields of a Telegram Mini App's `initData` if its hash is the bot's and it is recent.

    As Telegram documents: secret = HMAC-SHA256(key "WebAppData", bot token); the hash is
    HMAC-SHA256(key secret, the data-check string: every other field of the raw query string,
    decoded, sorted by key, `key=value` joined by newlines). Checked on the raw string before
    anything is read from it; a repeated key is refused rather than guessed at."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise LoginRefused("init_data_bad") from None
    fields = dict(pairs)
    given = fields.pop("hash", "")
    if len(fields) + 1 != len(pairs) or not given or not bot_token:
        raise LoginRefused("init_data_bad")
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise LoginRefused("init_data_bad")
    try:
        signed = datetime.fromtimestamp(int(fields["auth_date"]), timezone.utc)
    except (KeyError, ValueError, OverflowError):
        raise LoginRefused("init_data_bad") from None
    if not now - max_age <= signed <= now + CLOCK_SKEW:
        raise LoginRefused("init_data_old")
    return fields


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """What Telegram sends a Mini App: `fields` with their hash (what tests log in with)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ---------------------------------------------------------------- the service
class WebAccess:
    def __init__(self, session: AsyncSession, clock: Clock, config: Config) -> None:
        self.session, self.clock, self.config = session, clock, config

    # ------------------------------------------------------------ links and sessions
    async def link_for_officer(self, officer_id: str) -> str:
        """`gridsec web link OFFICER_ID`: a link bound to the post, whoever holds it."""
        officer = await self.session.get(Officer, officer_id)
        if officer is None or not officer.active:
            raise LookupError(f"no active officer {officer_id}")
        return self._url(await self._issue(LINK, officer_id=officer.id))

    async def link_for(self, actor: Actor) -> str:
        """/web: a link for the sender's post; bound to them as well as to the post."""
        person, post = actor.person, actor.post
        if person is None or not post.is_staff:
            raise LoginRefused("not_staff")
        if post.officer is not None:
            return self._url(await self._issue(LINK, officer_id=post.officer.id, person_id=person.id))
        return self._url(await self._issue(LINK, department_id=post.department.id, person_id=person.id))

    async def redeem(self, secret: str) -> str:
        """A link's secret → a new session's secret. Works once, until it expires, while its post is held."""
        now = self.clock.now()
        link = await self.session.get(WebToken, _digest(secret), with_for_update=True)
        if link is None or link.kind != LINK:
            raise LoginRefused("link_unknown")
        if link.used_at is not None:
            raise LoginRefused("link_used")
        if link.expires_at <= now:
            raise LoginRefused("link_expired")
        link.used_at = now
        if await self._viewer_of(link) is None:
            raise LoginRefused("post_gone")
        return await self._issue(SESSION, officer_id=link.officer_id, department_id=link.department_id,
                                 person_id=link.person_id)

    async def login_telegram(self, init_data: str) -> str:
        """A Mini App's signed initData → a session for the post its Telegram user holds."""
        fields = verify_init_data(init_data, self.config.telegram.token, self.clock.now(),
                                  self.config.web.init_data_max_age)
        try:
            tg_user_id = int(json.loads(fields.get("user", "{}"))["id"])
        except (ValueError, KeyError, TypeError):
            raise LoginRefused("init_data_bad") from None
        person = await self.session.scalar(select(Person).where(Person.tg_user_id == tg_user_id))
        if person is None:
            raise LoginRefused("not_staff")
        officer = await self.session.scalar(select(Officer).where(Officer.person_id == person.id, Officer.active))
        if officer is not None:
            return await self._issue(SESSION, officer_id=officer.id, person_id=person.id)
        staff = await self.session.get(DepartmentStaff, person.id)
        if staff is None:
            raise LoginRefused("not_staff")
        return await self._issue(SESSION, department_id=staff.department_id, person_id=person.id)

    async def viewer(self, secret: str | None) -> Viewer | None:
        """The post a session cookie stands for, if the session is live and the post still held."""
        if not secret:
            return None
        token = await self.session.get(WebToken, _digest(secret))
        if token is None or token.kind != SESSION or token.expires_at <= self.clock.now():
            return None
        return await self._viewer_of(token)

    async def logout(self, secret: str | None) -> None:
        token = await self.session.get(WebToken, _digest(secret)) if secret else None
        if token is not None and token.kind == SESSION:
            token.expires_at = self.clock.now()

    async def _issue(self, kind: str, **post: object) -> str:
        now = self.clock.now()
        life = (timedelta(minutes=self.config.web.link_minutes) if kind == LINK
                else timedelta(hours=self.config.web.session_hours))
        secret = secrets.token_urlsafe(24)
        self.session.add(WebToken(token_hash=_digest(secret), kind=kind, created_at=now, expires_at=now + life,
                                  **post))
        await self.session.flush()
        return secret

    def _url(self, secret: str) -> str:
        return f"{self.config.web.base_url}/login/{secret}"

    async def _viewer_of(self, token: WebToken) -> Viewer | None:
        if token.officer_id:
            officer = await self.session.get(Officer, token.officer_id)
            if officer is None or not officer.active or (token.person_id and officer.person_id != token.person_id):
                return None
            return Viewer(officer.name, officer.role, frozenset(s.scope_id for s in officer.scopes),
                          officer.role == DISTRICT_ROLE, officer_id=officer.id, person_id=officer.person_id)
        staff = await self.session.get(DepartmentStaff, token.person_id) if token.person_id else None
        if staff is None or staff.department_id != token.department_id:
            return None
        department = await self.session.get(Department, staff.department_id)
        return Viewer(department.name, "department", frozenset(), False, department_id=department.id,
                      person_id=staff.person_id)

    # ------------------------------------------------------------ what a viewer may open
    async def scope(self, viewer: Viewer, scope_id: str) -> Scope:
        """The area `scope_id` names, if the viewer's scope holds it (else Forbidden; unknown: LookupError)."""
        scope = await find_scope(self.session, scope_id)
        if not viewer.sees(await self._lineage(scope), scope.kind == "district"):
            raise Forbidden(scope_id)
        return scope

    async def home(self, viewer: Viewer) -> str | None:
        """The area the command centre opens on: the district, or the first the post covers."""
        if viewer.everywhere:
            street = await self.session.scalar(select(Street.id).order_by(Street.id).limit(1))
            return street.split("-")[0] if street else None
        return min(viewer.areas) if viewer.areas else None

    async def figures(self, viewer: Viewer, scope_id: str, period: Period) -> Figures:
        return await figures(self.session, await self.scope(viewer, scope_id), period, self.clock.now())

    async def hot_spots(self, viewer: Viewer, scope_id: str) -> list[HotSpot]:
        """预警 in the area now: what its grid leaders were pinged about (bot/hotspots.py)."""
        return await hot_spots_in(self.session, self.config, await self.scope(viewer, scope_id), self.clock.now())

    async def breakdown(self, viewer: Viewer, scope_id: str, period: Period) -> Breakdown:
        return await breakdown(self.session, await self.scope(viewer, scope_id), period, self.clock.now())

    async def area_map(self, viewer: Viewer, scope_id: str, period: Period) -> AreaMap:
        return await area_map(self.session, await self.scope(viewer, scope_id), period, self.clock.now())

    async def case_page(self, viewer: Viewer, wanted: CaseFilter) -> CasePage:
        """A page of the cases the viewer may see that `wanted` selects; its area must be theirs."""
        area = await self.scope(viewer, wanted.scope) if wanted.scope else None
        visible = [] if viewer.cases() is None else [viewer.cases()]
        return await case_page(self.session, visible, wanted, area, self.config.tz, self.clock.now())

    async def case_export(self, viewer: Viewer, wanted: CaseFilter) -> list[Case]:
        """Every case of the filter (not one page), up to EXPORT_LIMIT, for an export."""
        area = await self.scope(viewer, wanted.scope) if wanted.scope else None
        visible = [] if viewer.cases() is None else [viewer.cases()]
        return await all_cases(self.session, visible, wanted, area, self.config.tz, self.clock.now(), EXPORT_LIMIT)

    async def case_view(self, viewer: Viewer, case_id: int) -> CaseView:
        case = await self.case(viewer, case_id)
        events = (await self.session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                             .order_by(CaseEvent.at, CaseEvent.id))).scalars()
        photos = (await self.session.execute(select(Attachment.id).where(
            Attachment.case_id == case.id, Attachment.path.is_not(None)).order_by(Attachment.id))).scalars()
        return CaseView(case, tuple(events), tuple(photos))

    async def photo(self, viewer: Viewer, attachment_id: int) -> str:
        """The stored path of a case's photo, if the viewer may see the case."""
        attachment = await self.session.get(Attachment, attachment_id)
        if attachment is None or attachment.case_id is None or attachment.path is None:
            raise LookupError(attachment_id)
        await self.case(viewer, attachment.case_id)
        return attachment.path

    async def acting_person(self, viewer: Viewer) -> Person:
        """Who acts for the post on a case: its holder, who must have joined through the bot."""
        person = await self.session.get(Person, viewer.person_id) if viewer.person_id else None
        if person is None:
            raise Forbidden("nobody holds the post")
        return person

    async def case(self, viewer: Viewer, case_id: int) -> Case:
        """The case, if the viewer may see it (Forbidden); LookupError if there is none."""
        case = await self.session.get(Case, case_id)
        if case is None:
            raise LookupError(case_id)
        if await self.session.scalar(viewer.visible(select(Case.id).where(Case.id == case_id))) is None:
            raise Forbidden(case_id)
        return case

    async def _lineage(self, scope: Scope) -> set[str]:
        """The scope's id and its parents' (grid → community → street)."""
        if scope.kind == "grid":
            grid = await self.session.get(Grid, scope.id)
            return {grid.id, grid.community_id, grid.community.street_id}
        if scope.kind == "community":
            community = await self.session.get(Community, scope.id)
            return {community.id, community.street_id}
        return {scope.id}
