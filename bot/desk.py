"""One person's turn at the secretary's desk: who they are, the open transaction, and every
service a channel may call for them, with plain values in and domain results out.

A channel adapter (Telegram, the web, Open311) opens a desk for the person behind a request
(`Services.desk`), calls one method, and renders what it returns; it never holds a session.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import AsyncIterator

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import Actor, CaseService
from bot.conversation import OPTIONAL_QUESTIONS, Reading, Thresholds, answers, read
from bot.clock import parse_duration
from bot.deadlines import policy_for
from bot.duplicates import nearby_matches, offered
from bot.duty import end_leave, set_leave
from bot.intake import DRAFT_PHOTOS, IntakeService, IntakeStep, missing
from bot.lifecycle import Action, TransitionRefused
from bot.mailroom import Mailroom
from bot.outbox import Outgoing
from bot.ports import Notifier
from bot.people import Refused, StaffPost, ensure_caller, redeem_invite, staff_post, with_post
from bot.roster import Colleague, colleagues_for, find_grid, search
from bot.routing import department_for_label, departments_for, place_in_grid, supervisors_of
from bot.supervision import DigestLine, task_list
from bot.timetext import parse_extension
from bot.understanding import Parse
from bot.web_access import WebAccess
from storage.db import forget_on_rollback
from storage.models import (
    Attachment, Case, Department, Draft, Officer, OutboxMessage, PendingInput, Person,
)

log = logging.getLogger(__name__)

# In a unit of work's session.info: person id → the question the bot asked them (None: none), as
# read with the caller or changed in this unit of work.
_ASKED = forget_on_rollback("gridsec_desk_asked")
# Who is talking, with their post, the question they were asked and their draft with its photo
# count: what most updates of a person already known read, in one statement (built once).
_CALLER = (with_post(Person, Officer, Department, PendingInput, Draft, DRAFT_PHOTOS)
           .outerjoin(PendingInput, PendingInput.person_id == Person.id)
           .outerjoin(Draft, Draft.person_id == Person.id)
           .where(Person.tg_user_id == bindparam("tg_user_id")))


def stage(case: Case) -> str:
    """Where a case stands, as far as a question about it goes: its status and who has it."""
    return f"{case.status}:{case.assignee_officer_id or ''}:{case.assignee_department_id or ''}"


@dataclass(frozen=True)
class Caller:
    """Who is talking, as a channel identifies them (Telegram: the user, in their private chat)."""

    user_id: int
    chat_id: int
    name: str
    username: str | None = None


@dataclass(frozen=True)
class Situation:
    """Where a person stands with the secretary, in one read: for the conversation to know
    what a short "好了吗" or "撤了吧" refers to."""

    draft: Draft | None
    open_cases: tuple[Case, ...]  # newest first, resolved ones (awaiting a rating) and one just rated included


@dataclass(frozen=True)
class Filed:
    case: Case
    assignee: str  # who has it, as the reporter is told
    warn: bool = False  # an urgent resident report not yet told whom to call meanwhile


@dataclass(frozen=True)
class DuplicateOffer:
    """Before filing: an open case nearby of the same category, described alike (bot/duplicates.py);
    the resident follows it or files anyway."""

    case: Case
    metres: float


@dataclass(frozen=True)
class Rated:
    action: Action                  # RATE, or REOPEN / DISPUTE for an unsatisfied rating
    supervisor: Officer | None = None  # DISPUTE: who decides


@dataclass
class Desk:
    services: "object"  # bot.services.Services, which builds desks
    session: AsyncSession
    person: Person
    chat_id: int | None  # None: a caller who came through an API channel
    actor: Actor
    cases: CaseService
    intake: IntakeService
    notifier: Notifier
    mail: Mailroom
    first_contact: bool = False  # the person was created by this desk (their first update)
    _just_rated: int | None = None  # the case whose rating comment this update turned out not to be

    @property
    def config(self):
        return self.services.config

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def is_staff(self) -> bool:
        return self.actor.post.is_staff

    @property
    def source(self) -> str:
        """How a report came in: an officer's own is a patrol report."""
        return "patrol" if self.is_staff else "resident"

    def send(self, message: Outgoing) -> None:
        self.mail.send(message)

    async def handled(self, update_id: int) -> None:
        """The inbound update is done, in the same transaction as what handling it changed."""
        await self.services.inbox.mark(self.session, update_id, "done", self.now)

    def savepoint(self):
        """Everything inside is undone together when it raises (a refused step leaves nothing half-done)."""
        return self.session.begin_nested()

    def undoable(self):
        """Where a refused step may be undone with all the desk did (the caller then rolls the desk
        back and answers in another): everywhere but a first contact, whose person must outlive
        the refusal (the same id for what is counted in memory, e.g. /join attempts); there a
        savepoint."""
        return self.savepoint() if self.first_contact else contextlib.nullcontext()

    async def understand(self, text: str) -> Parse:
        return await self.services.nlu.parse(text)

    # ------------------------------------------------------------ the question the bot asked
    async def pending(self) -> PendingInput | None:
        """The question the bot asked, unless it expired or its case moved on meanwhile (someone
        else accepted, transferred or closed it): then it is dropped and the person told, so a
        stale question never traps what they type next."""
        row = await self._pending_row()
        if row is None:
            return None
        if row.expires_at <= self.now:
            await self._drop(row)
            return None
        if row.case_id is not None and "stage" in row.data:
            case = await self.cases.get(row.case_id)
            if case is None or stage(case) != row.data["stage"]:
                await self._drop(row)
                if case is not None:
                    await self.notifier.prompt_dropped(case, self.person)
                return None
        return row

    async def _pending_row(self) -> PendingInput | None:
        """The question as read with the caller or changed since; else (a channel's caller, or after
        a rollback) read now."""
        known = self.session.info.setdefault(_ASKED, {})
        if self.person.id not in known:
            known[self.person.id] = await self.session.get(PendingInput, self.person.id)
        return known[self.person.id]

    def _know_asked(self, row: PendingInput | None) -> None:
        self.session.info.setdefault(_ASKED, {})[self.person.id] = row

    async def pending_for(self, text: str) -> tuple[PendingInput | None, Parse | None]:
        """The question `text` answers, if any (with the parse when one was needed to tell): an
        optional question (a rating comment) is dropped when the text is plainly something else."""
        pending = await self.pending()
        if pending is None or pending.action not in OPTIONAL_QUESTIONS:
            return pending, None
        parse = await self.understand(text)
        if answers(pending.action, parse, text, self._thresholds()):
            return pending, parse
        self._just_rated = pending.case_id
        await self.done_expecting()
        return None, parse

    def _thresholds(self) -> Thresholds:
        return Thresholds(self.config.intake.ask_below, self.config.intake.new_problem_above)

    async def expect(self, action: str, case_id: int | None = None, **data) -> None:
        """Remember what the person is asked to type next (replacing any earlier question)."""
        row = await self._pending_row()
        expires = self.now + timedelta(minutes=self.config.intake.followup_minutes)
        if case_id is not None:
            data["stage"] = stage(await self.case(case_id))
        if row is None:
            row = PendingInput(person_id=self.person.id, action=action, case_id=case_id, data=data,
                               expires_at=expires)
            self.session.add(row)
        else:
            row.action, row.case_id, row.data, row.expires_at = action, case_id, data, expires
        self._know_asked(row)
        await self.session.flush()

    async def restage(self, case: Case) -> None:
        """The person moved `case` on themselves: a question they were asked about it still stands."""
        row = await self._pending_row()
        if row is not None and row.case_id == case.id and "stage" in row.data:
            row.data = {**row.data, "stage": stage(case)}
            await self.session.flush()

    async def remember(self, pending: PendingInput, **data) -> None:
        """Add to what the pending question has collected so far (a note, photo ids)."""
        pending.data = {**pending.data, **data}
        await self.session.flush()

    async def done_expecting(self) -> None:
        row = await self._pending_row()
        if row is not None:
            await self._drop(row)

    async def _drop(self, row: PendingInput) -> None:
        await self.session.delete(row)
        self._know_asked(None)

    async def forget_all(self) -> bool:
        """/cancel: drop the unsent report and the pending question; False when there was neither."""
        had = await self.intake.current(self.person) is not None or await self.pending() is not None
        await self.intake.discard(self.person)
        await self.done_expecting()
        return had

    # ------------------------------------------------------------ reading
    async def situation(self) -> Situation:
        mine = [] if self.first_contact else await self.cases.open_reported_by(self.person)
        if self._just_rated is not None and all(c.id != self._just_rated for c in mine):
            rated = await self.cases.get(self._just_rated)  # closed by its rating: still what they write about
            mine = [rated, *mine] if rated is not None else mine
        return Situation(draft=await self.intake.current(self.person), open_cases=tuple(mine))

    async def read(self, text: str, parse: Parse, ticket: str | None) -> Reading:
        """What the message means given where the person stands (their draft, open cases, a
        resolved case awaiting rating); a ticket they typed picks the case."""
        situation = await self.situation()
        ticket_case = None
        if ticket:
            ticket_case = await self.cases.by_ticket(ticket)
            if ticket_case is None:
                raise TransitionRefused("ticket_not_found", ticket=ticket)
        words = {key: tuple(w for w in entry.name.split("/") if w) for key, entry in self.config.categories.items()}
        return read(parse, text, draft_open=situation.draft is not None, cases=situation.open_cases,
                    ticket_case=ticket_case, category_words=words, thresholds=self._thresholds())

    async def case(self, case_id: int, *, lock: bool = False) -> Case:
        case = await self.cases.get(case_id, for_update=lock)
        if case is None:
            raise TransitionRefused("expired_button")
        return case

    async def case_of_message(self, message_id: int) -> int | None:
        """The case a bot message (a card, a relayed note) belongs to, for replies to it."""
        return await self.session.scalar(select(OutboxMessage.case_id).where(
            OutboxMessage.chat_id == self.chat_id, OutboxMessage.tg_message_id == message_id))

    async def tasks(self) -> list[tuple[DigestLine, Case]]:
        """The staff member's open cases with their running limits, most urgent first."""
        if not self.is_staff:
            raise Refused("staff_only")
        cases = await self.cases.tasks_of(self.actor.post)
        by_id = {c.id: c for c in cases}
        return [(line, by_id[line.case_id]) for line in task_list(cases, policy_for(self.config), self.now)]

    # ------------------------------------------------------------ reports
    async def report_text(self, text: str, parse: Parse | None = None, *, replace: bool = False) -> IntakeStep:
        return await self.intake.report_text(self.person, text, self.source, parse, replace=replace)

    async def photo_refused(self, media_group_id: str | None) -> IntakeStep | None:
        return await self.intake.photo_refused(self.person, media_group_id)

    async def report_photo(self, attachment: Attachment, media_group_id: str | None) -> IntakeStep:
        return await self.intake.report_photo(self.person, attachment, media_group_id, self.source)

    async def report_location(self, lat: float, lon: float) -> IntakeStep:
        return await self.intake.report_location(self.person, lat, lon, self.source)

    async def draft(self) -> Draft:
        draft = await self.intake.current(self.person)
        if draft is None:
            raise Refused("no_draft")
        return draft

    async def file(self, *, anyway: bool = False) -> Filed | IntakeStep | DuplicateOffer:
        """Confirm the report: place it in its grid, file it with a ticket and give it to whoever acts.
        A resident's report that matches an open case nearby is first offered to follow, unless they
        chose to report it `anyway` (仍然新报)."""
        draft = await self.draft()
        state = self.intake.state(draft)
        if missing(draft):
            return await self.intake.step(state)
        nearby = None  # the open cases nearby, read once: the offer and the new case's card
        if not anyway and draft.source == "resident":
            nearby = await nearby_matches(self.session, self.config, category=draft.category or "other",
                                          lat=draft.lat, lon=draft.lon, text=draft.description, now=self.now,
                                          person=self.person.id)
            # their own cases and those they follow are left out: they know them (the card lists them)
            if found := await offered(self.session, [m for m in nearby if not m.theirs], 1):
                return DuplicateOffer(found[0].case, found[0].metres)
        placement = await place_in_grid(self.session, draft.grid_id, self.now)
        warn = draft.urgent and not draft.urgent_warned and draft.source != "patrol"
        case = await self.cases.file(draft, self.person, placement, nearby, photos=state.photos)
        await self.intake.done(self.person)
        return Filed(case, await self.cases.assignee_label(case), warn)

    async def follow(self, case_id: int) -> Case:
        """关注它: the resident follows the case their report duplicates; the report's photos join it
        as added material, and the draft is done."""
        draft = await self.draft()
        case = await self.case(case_id, lock=True)
        await self.cases.follow(case, self.person, draft.description)
        await self.cases.take_photos(draft, case, self.intake.state(draft).photos, purpose="info")
        await self.intake.done(self.person)
        return case

    async def store_photo(self, purpose: str, file_id: str, unique_id: str | None, data: bytes | None) -> Attachment:
        """Keep the channel's file id and, when the bytes came, our own copy with its sha256."""
        attachment = Attachment(purpose=purpose, tg_file_id=file_id, tg_file_unique_id=unique_id, created_at=self.now)
        if data is not None:
            try:
                stored = self.services.photos.save(data)
                attachment.path, attachment.sha256, attachment.size = stored.path, stored.sha256, stored.size
            except OSError:
                log.warning("could not store photo %s; keeping the channel's file id only", file_id, exc_info=True)
        self.session.add(attachment)
        await self.session.flush()
        return attachment

    async def attach(self, attachment: Attachment, case: Case) -> None:
        attachment.case_id = case.id
        await self.session.flush()

    # ------------------------------------------------------------ people and posts
    async def join(self, code: str) -> StaffPost:
        """Redeem an invite; cards that waited for this post to be taken are delivered now."""
        post = await redeem_invite(self.session, self.person, code, self.now, self.services.limits.joins)
        self.actor = Actor(self.person, post)
        for case in await self.cases.tasks_of(post):
            await self.notifier.card(case, self.person, role=await self.cases.card_role(case, self.actor))
        return post

    async def web_link(self) -> str:
        """/web: a one-time link into the command centre (web/) for this person's post."""
        if not self.is_staff:
            raise Refused("staff_only")
        return await WebAccess(self.session, self.services.clock, self.config).link_for(self.actor)

    async def leave(self, args: list[str]):
        """/leave 3d [代班工号] for oneself; a supervisor: /leave 工号 3d [代班工号]."""
        officer = self._officer()
        if args and not args[0][0].isdigit():
            target, args = args[0], args[1:]
        else:
            target = officer.id
        try:
            length = parse_duration(args[0])
        except (IndexError, ValueError):
            raise Refused("leave_usage") from None
        return await set_leave(self.session, officer, self.person, target, length,
                               args[1] if len(args) > 1 else None, self.now)

    async def back(self) -> bool:
        return await end_leave(self.session, self._officer().id, self.now)

    def _officer(self) -> Officer:
        if self.actor.post.officer is None:
            raise Refused("staff_only")
        return self.actor.post.officer

    def save_phone(self, phone: str) -> None:
        self.person.phone = phone

    # ------------------------------------------------------------ staff actions
    async def transfer_options(self, case: Case) -> list[Department]:
        """Departments for 转办, the department router's confident reading of the case first."""
        await self.cases.ensure_allowed(case, self.actor, Action.TRANSFER)
        label = (await self.understand(case.description)).department
        suggested = await department_for_label(self.session, self.config, label)
        return await departments_for(self.session, self.config, case.category, suggested)

    async def reassign_options(self, case: Case) -> tuple[list[Colleague], list[Department]]:
        """改派: every officer the actor may give the case to, the case grid's own and its community's
        first (bot/roster.py), then the departments for its category."""
        await self.cases.ensure_allowed(case, self.actor, Action.TRANSFER)
        return (await colleagues_for(self.session, case, self.actor.post.officer),
                await departments_for(self.session, self.config, case.category))

    async def aim_reassign(self, case: Case, text: str) -> list[Colleague]:
        """改派 by what the supervisor typed: a name, a grid's name or id, or a 工号. One officer found
        is aimed at at once (the reason comes next); several are returned to choose from; with none in
        the actor's scope, a grid of that name or id is (the case goes to its handler, as 转办 does)."""
        colleagues, _ = await self.reassign_options(case)
        found = search(colleagues, text)
        if len(found) == 1:
            await self.aim_transfer(case, officer_id=found[0].officer.id)
        elif not found:
            if await find_grid(self.session, text) is None:
                raise TransitionRefused("reassign_not_found", text=text)
            await self.aim_transfer(case, grid_id=text)
        return found

    async def reassign(self, case: Case, officer_id: str, reason: str) -> None:
        """改派 in one step (the command centre's form gives the reason with the choice)."""
        await self.cases.ensure_allowed(case, self.actor, Action.TRANSFER)
        officer = await self.session.get(Officer, officer_id)
        if officer is None:
            raise TransitionRefused("expired_button")
        await self.cases.transfer(case, self.actor, reason, officer=officer)  # refuses one it may not have

    async def aim_transfer(self, case: Case, *, department_id: str | None = None, grid_id: str | None = None,
                           officer_id: str | None = None) -> None:
        """Check a 转办 target before asking for the reason, and remember it for when the reason comes."""
        await self.cases.ensure_allowed(case, self.actor, Action.TRANSFER)
        if department_id is not None:
            if await self.session.get(Department, department_id) is None:
                raise TransitionRefused("expired_button")
            await self.expect("transfer_reason", case.id, department=department_id)
        elif officer_id is not None:
            await self.cases.ensure_reassignable(case, self.actor, officer_id)
            await self.expect("transfer_reason", case.id, officer=officer_id)
        else:
            grid = await find_grid(self.session, grid_id) if grid_id else None
            if grid is None:
                raise TransitionRefused("unknown_grid", grid=grid_id or "")
            if grid.id == case.grid_id:
                raise TransitionRefused("same_grid")
            await self.expect("transfer_reason", case.id, grid=grid.id)

    def grid_at(self, lat: float, lon: float) -> str | None:
        return self.services.locate(lat, lon)

    async def transfer(self, case: Case, reason: str, target: dict) -> None:
        """Carry out the 转办 aimed at before (`target` is what `aim_transfer` remembered)."""
        department = await self.session.get(Department, target["department"]) if target.get("department") else None
        officer = await self.session.get(Officer, target["officer"]) if target.get("officer") else None
        await self.cases.transfer(case, self.actor, reason, department=department, grid_id=target.get("grid"),
                                  officer=officer)
        await self.done_expecting()

    # ------------------------------------------------------------ casework
    async def merge(self, case: Case, into_id: int) -> Case:
        """合并 `case` into the case it duplicates (offered on its card); the kept case is returned."""
        into = await self.case(into_id, lock=True)
        await self.cases.merge(case, into, self.actor)
        return into

    async def unmerge(self, case: Case) -> Case:
        return await self.cases.unmerge(case, self.actor)

    async def joint_options(self, case: Case) -> list[Department]:
        """联合处置: the departments that may co-handle the case (the lead one left out)."""
        await self.cases.ensure_allowed(case, self.actor, Action.ADD_PART)
        return [d for d in await departments_for(self.session, self.config, case.category)
                if d.id != case.assignee_department_id]

    async def add_part(self, case: Case, department_id: str) -> Department:
        department = await self.session.get(Department, department_id)
        if department is None:
            raise TransitionRefused("expired_button")
        await self.cases.add_part(case, self.actor, department)
        return department

    async def verify(self, case: Case, note: str) -> bool:
        """The on-site check's note completes it, with the photos sent before it: True when 属实办结."""
        pending = await self.pending()
        if pending is None or pending.action != "verify_note" or pending.case_id != case.id:
            raise TransitionRefused("expired_button")
        confirmed = pending.data.get("verdict") == "ok"
        await (self.cases.verify if confirmed else self.cases.verify_fail)(
            case, self.actor, note, pending.data.get("photos", []))
        await self.done_expecting()
        return confirmed

    async def resolve(self, case: Case) -> None:
        """办结 with the note and photos the officer sent after pressing 办结 (the table refuses it
        without a note)."""
        pending = await self.pending()
        if pending is None or pending.action != "resolve_note" or pending.case_id != case.id:
            raise TransitionRefused("expired_button")
        await self.cases.resolve(case, self.actor, pending.data.get("note", ""), pending.data.get("photos", []))
        await self.done_expecting()

    async def extend(self, case: Case, text: str) -> datetime:
        """延期 as a supervisor writes it ('2天 需协调物业', '明天下午5点前 等施工队'): the new limit."""
        policy = policy_for(self.config)
        extension = parse_extension(text, self.now, self.config.tz, day_end=policy.calendar.day_end)
        if extension is None:
            raise Refused("extend_bad")
        if not extension.reason:
            raise Refused("extend_need_reason")
        until = extension.until or policy.extended(case, self.now, extension.by)
        await self.cases.extend(case, self.actor, until, extension.reason)
        await self.done_expecting()
        return until

    async def rate(self, case: Case, score: str, comment: str | None = None) -> Rated:
        """The reporter's rating (with their words, when they wrote them); then the bot waits for
        an optional comment."""
        if await self.cases.rates_as_follower(case, self.actor):  # their words would go nowhere
            await self.cases.co_rate(case, self.actor, score)
            return Rated(Action.CO_RATE)
        action = await self.cases.rate(case, self.actor, score, comment)
        supervisor = None
        if action is Action.DISPUTE:
            supervisor = next((o for o in await supervisors_of(self.session, case.grid) if o.person_id), None)
        await self.expect("rate_comment", case.id)
        return Rated(action, supervisor)


async def open_desk(services, session: AsyncSession, caller: Caller, notifier_for) -> Desk:
    person, post, known = await ensure_caller(session, caller.user_id, caller.chat_id, caller.name,
                                              caller.username, services.clock.now(), _CALLER)
    desk = await desk_of(services, session, person, notifier_for, post)
    # Read with them: the question they were asked and their draft; a person created just now has
    # nothing of theirs to look up (no question, no draft, no case).
    asked, draft, photos = known if known is not None else (None, None, 0)
    desk.first_contact = known is None
    desk._know_asked(asked)
    desk.intake.know(person, draft, photos)
    return desk


async def desk_of(services, session: AsyncSession, person: Person, notifier_for,
                  post: StaffPost | None = None) -> Desk:
    """The desk of a person already known (an API channel's caller has no Telegram ids to look up);
    `post`: their staff post when the caller has read it already."""
    clock, config = services.clock, services.config
    if post is None:  # a channel's caller is never staff: no post to look up
        post = StaffPost(None, None) if person.channel else await staff_post(session, person)
    actor = Actor(person, post)
    mail = Mailroom(session)
    notifier = notifier_for(mail)
    return Desk(services, session, person, person.chat_id, actor, CaseService(session, clock, config, notifier),
                IntakeService(session, clock, config, services.nlu, services.grids, services.places),
                notifier, mail)


@contextlib.asynccontextmanager
async def desk_for(services, caller: Caller, notifier_for) -> AsyncIterator[Desk]:
    """A desk in its own transaction, committed when the block ends without raising."""
    async with services.db.session() as session:
        yield await open_desk(services, session, caller, notifier_for)
