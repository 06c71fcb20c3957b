"""Case lifecycle service: every change to a case goes through `_apply`, which checks the
transition table, records the timeline row and queues the notifications the table implies."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import owe_callback
from bot.clock import Clock
from bot.config import Config
from bot.deadlines import Point, policy_for
from bot.duplicates import (
    Duplicate, Match, add_followers, drop_followers_from, followers, follows, nearby_matches, offered,
)
from bot.lifecycle import (
    FINAL, PUBLIC_ACTIONS, RATING_OUTCOMES, RULES, SETTLED, Action, Role, Status, TransitionRefused, check,
)
from bot.people import StaffPost, staff_post
from bot.ports import Audience, Notifier
from bot.roster import colleagues_for
from bot.routing import Placement, Reach, place_in_grid, supervisors_of
from storage.models import (
    Attachment, Case, CaseEvent, CaseFollower, CasePart, DeadlineStep, Department, DepartmentStaff, Draft,
    GridCorrection, Officer, Person, Rating, RelayedMessage, TicketCounter,
)

# Who hears about each action. Data, so adding an action means adding a line.
NOTIFY: dict[Action, tuple[Audience, ...]] = {
    Action.ASSIGN: (Audience.ASSIGNEES,),  # the reporter hears it in the filing answer
    Action.ACCEPT: (Audience.REPORTER,),
    Action.TRANSFER: (Audience.PREVIOUS, Audience.REPORTER, Audience.ASSIGNEES),
    Action.RETURN: (Audience.SUPERVISORS,),
    Action.REJECT: (Audience.REPORTER, Audience.PREVIOUS),
    Action.RESOLVE: (Audience.REPORTER,),
    Action.RATE: (Audience.ASSIGNEES,),
    Action.REOPEN: (Audience.REPORTER, Audience.ASSIGNEES),
    Action.CLOSE: (Audience.REPORTER,),
    Action.CANCEL: (Audience.ASSIGNEES,),
    Action.URGE: (Audience.ASSIGNEES,),
    Action.ADD_INFO: (Audience.ASSIGNEES,),
    # deadlines and escalation; the rung an escalation reaches is told by `escalate` itself
    Action.REMIND: (Audience.ASSIGNEES,),
    Action.ESCALATE: (Audience.ASSIGNEES,),
    Action.SUPERVISE: (Audience.ASSIGNEES,),
    Action.EXTEND: (Audience.ASSIGNEES,),
    Action.ASK_RATING: (Audience.REPORTER,),
    Action.DISPUTE: (Audience.SUPERVISORS,),
    Action.RATE_COMMENT: (Audience.ASSIGNEES,),
    # casework: duplicates, 核查结案, 联合处置
    Action.FOLLOW: (Audience.ASSIGNEES,),
    Action.MERGE: (Audience.REPORTER, Audience.ASSIGNEES),
    Action.ABSORB: (Audience.ASSIGNEES,),
    Action.UNMERGE: (Audience.REPORTER, Audience.ASSIGNEES),
    Action.SPLIT: (Audience.ASSIGNEES,),
    Action.SUBMIT_CHECK: (Audience.VERIFIER,),  # the reporter hears of it once it is checked
    Action.VERIFY: (Audience.REPORTER, Audience.ASSIGNEES),
    Action.VERIFY_FAIL: (Audience.ASSIGNEES,),
    Action.ADD_PART: (Audience.CO_HANDLERS, Audience.REPORTER),
    Action.ACCEPT_PART: (Audience.ASSIGNEES,),
    Action.FINISH_PART: (Audience.ASSIGNEES, Audience.REPORTER),
    Action.CO_RATE: (Audience.ASSIGNEES,),
}
# Actions only the deadline sweep takes; it sets the case's next check itself.
SWEEP_ACTIONS = frozenset({Action.REMIND, Action.ESCALATE, Action.ASK_RATING})
# Dispatches (派单, 转办, 重新办理): each starts new time limits, counted from its timeline row.
DISPATCH_ACTIONS = (Action.ASSIGN, Action.TRANSFER, Action.REOPEN, Action.UNMERGE, Action.VERIFY_FAIL)
# 办结 as the reporter hears it: by the handler, or confirmed by the on-site check (核查结案).
RESOLVING = (Action.RESOLVE, Action.VERIFY)
# The flags a case keeps of what it went through, so the figures need not scan the timeline (bot/figures.py):
# a department's 办结 sent for 核查 is a 办结, a failed check is rework; `was_moved` is set by a "not my grid" transfer.
WAS = {Action.RESOLVE: "was_resolved", Action.SUBMIT_CHECK: "was_resolved", Action.REOPEN: "was_reopened",
       Action.VERIFY_FAIL: "was_reopened", Action.RETURN: "was_returned"}
RATING_SCORES = ("satisfied", "basic", "unsatisfied")
# The timeline names one role per row: of those the rule lets act, the one closest to the case.
ROLE_ORDER = (Role.ASSIGNEE, Role.VERIFIER, Role.CO_HANDLER, Role.SUPERVISOR, Role.REPORTER, Role.FOLLOWER,
              Role.SYSTEM)
PART_OPEN = ("assigned", "accepted")
# The day's counter upserted (SQLite and PostgreSQL spell it alike). As text, its compiled form is
# cached; SQLAlchemy compiles a dialect's INSERT … ON CONFLICT construct anew every time.
_NEXT_TICKET = text(f"INSERT INTO {TicketCounter.__tablename__} (day, last) VALUES (:day, 1) ON CONFLICT (day)"
                    f" DO UPDATE SET last = {TicketCounter.__tablename__}.last + 1 RETURNING last")


@dataclass
class Actor:
    person: Person | None  # None for the system
    post: StaffPost = field(default_factory=lambda: StaffPost(None, None))


SYSTEM = Actor(None)


class CaseService:
    def __init__(self, session: AsyncSession, clock: Clock, config: Config, notifier: Notifier) -> None:
        self.session, self.clock, self.config, self.notifier = session, clock, config, notifier

    # ------------------------------------------------------------ queries
    async def by_ticket(self, ticket: str) -> Case | None:
        return await self.session.scalar(select(Case).where(Case.ticket == ticket.upper()))

    async def get(self, case_id: int, *, for_update: bool = False) -> Case | None:
        lock = {"of": Case} if for_update else None  # lock the case row only, not its joined lookups
        return await self.session.get(Case, case_id, with_for_update=lock, populate_existing=for_update)

    async def timeline(self, case: Case) -> list[CaseEvent]:
        return list((await self.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))).scalars())

    async def attachments(self, case: Case, purpose: str | None = None) -> list[Attachment]:
        query = select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        if purpose:
            query = query.where(Attachment.purpose == purpose)
        return list((await self.session.execute(query)).scalars())

    async def reported_by(self, person: Person, limit: int = 20, *, followed: bool = False) -> list[Case]:
        """The person's own reports, newest first; `followed`: with the cases they follow (关注它)."""
        theirs = Case.reporter_id == person.id
        if followed:
            theirs = theirs | Case.id.in_(select(CaseFollower.case_id).where(CaseFollower.person_id == person.id))
        return list((await self.session.execute(
            select(Case).where(theirs).order_by(Case.id.desc()).limit(limit))).scalars())

    async def open_reported_by(self, person: Person, limit: int = 50) -> list[Case]:
        """Those of the person's newest `limit` reports that are not settled, newest first: the
        settled ones are not loaded (with their joins) only to be left out."""
        newest = select(Case.id).where(Case.reporter_id == person.id).order_by(Case.id.desc()).limit(limit)
        return list((await self.session.execute(
            select(Case).where(Case.id.in_(newest), Case.status.not_in(sorted(str(s) for s in SETTLED)))
            .order_by(Case.id.desc()))).scalars())

    async def tasks_of(self, post: StaffPost) -> list[Case]:
        """Open cases this staff member should act on: theirs, their department's, and returned ones in scope."""
        clauses = []
        if post.officer:
            clauses.append(Case.assignee_officer_id == post.officer.id)
        if post.department:
            clauses.append(Case.assignee_department_id == post.department.id)
        if not clauses:
            return []
        waiting = [Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED, Status.RESOLVED]
        casework = []  # a check to make on site, a part to handle
        if post.officer:
            casework.append((Case.verifier_officer_id == post.officer.id) & (Case.status == Status.VERIFYING))
        if post.department:
            casework.append(Case.id.in_(select(CasePart.case_id).where(
                CasePart.department_id == post.department.id, CasePart.status.in_(PART_OPEN))))
        rows = (await self.session.execute(
            select(Case).where(or_(or_(*clauses) & Case.status.in_(waiting), *casework))
            .order_by(Case.urgent.desc(), Case.id))).scalars()
        return list(rows)

    async def roles_of(self, case: Case, actor: Actor) -> set[Role]:
        if actor.person is None:
            return {Role.SYSTEM}
        roles: set[Role] = set()
        if case.reporter_id == actor.person.id:
            roles.add(Role.REPORTER)
        post = actor.post
        if post.officer and case.assignee_officer_id == post.officer.id:
            roles.add(Role.ASSIGNEE)
        if post.department and case.assignee_department_id == post.department.id:
            roles.add(Role.ASSIGNEE)
        if post.is_supervisor and case.grid_id:
            supervisors = await supervisors_of(self.session, case.grid)
            if any(o.id == post.officer.id for o in supervisors):
                roles.add(Role.SUPERVISOR)
        return roles | await self._casework_roles(case, actor)

    async def card_role(self, case: Case, actor: Actor) -> Role:
        """Whose buttons a staff member's card of `case` carries: the handler's, else the on-site
        check or the part they owe (tasks_of lists all three)."""
        roles = await self.roles_of(case, actor)
        if Role.ASSIGNEE not in roles and case.status == Status.VERIFYING and Role.VERIFIER in roles:
            return Role.VERIFIER
        if Role.ASSIGNEE not in roles and Role.CO_HANDLER in roles:
            return Role.CO_HANDLER
        return Role.ASSIGNEE

    async def _casework_roles(self, case: Case, actor: Actor) -> set[Role]:
        """Co-reporter, the officer checking a 办结 on site, a co-handling department's staff."""
        roles: set[Role] = set()
        post = actor.post
        if case.reporter_id != actor.person.id and await follows(self.session, case.id, actor.person.id):
            roles.add(Role.FOLLOWER)
        if post.officer and case.verifier_officer_id == post.officer.id:
            roles.add(Role.VERIFIER)
        if post.department and await self._part(case, post.department.id) is not None:
            roles.add(Role.CO_HANDLER)
        return roles

    async def can_view(self, case: Case, actor: Actor) -> bool:
        if await self.roles_of(case, actor):
            return True
        # Staff who handled it before a transfer keep read access to its timeline.
        if actor.person is None:
            return False
        return bool(await self.session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.actor_id == actor.person.id)))

    async def ensure_allowed(self, case: Case, actor: Actor, action: Action) -> None:
        """Refuse now, before someone is asked to type the reason or note the action will need."""
        check(action, Status(case.status), await self.roles_of(case, actor), note="(to follow)")
        if action is Action.RESOLVE:
            await self._parts_done(case)

    async def reassign_targets(self, case: Case, actor: Actor) -> list[tuple[Officer, str]]:
        """Whom `actor` may 改派 `case` to, with where they work: joined, active officers below them in
        their scope, the case grid's own first (bot/roster.py `colleagues_for`)."""
        return [(c.officer, c.grid_name) for c in await colleagues_for(self.session, case, actor.post.officer)]

    async def ensure_reassignable(self, case: Case, actor: Actor, officer_id: str) -> None:
        """Refuse a 改派 target the 改派 menu would not offer this actor (a forged or stale button)."""
        if officer_id == case.assignee_officer_id:
            raise TransitionRefused("same_officer")
        if officer_id not in {o.id for o, _ in await self.reassign_targets(case, actor)}:
            raise TransitionRefused("not_reassignable")

    async def assignee_people(self, case: Case) -> list[Person]:
        if case.assignee_officer_id:
            return await self._officer_people([case.assignee_officer_id])
        return await self._department_people(case.assignee_department_id)

    async def _officer_people(self, officer_ids: list[str | None]) -> list[Person]:
        """The joined holders of these posts."""
        people = []
        for officer_id in officer_ids:
            officer = await self.session.get(Officer, officer_id) if officer_id else None
            person = await self.session.get(Person, officer.person_id) if officer and officer.person_id else None
            if person is not None:
                people.append(person)
        return people

    async def _department_people(self, department_id: str | None) -> list[Person]:
        if not department_id:
            return []
        return list((await self.session.execute(
            select(Person).join(DepartmentStaff, DepartmentStaff.person_id == Person.id)
            .where(DepartmentStaff.department_id == department_id).order_by(Person.id))).scalars())

    async def assignee_label(self, case: Case) -> str:
        """How the reporter is told who has the case: '仓边社区第7网格 网格员 张三' or the department."""
        if case.assignee_department:
            return case.assignee_department.name
        if case.assignee_officer:
            where = case.grid.name + " " if case.grid else ""
            return f"{where}{case.assignee_officer.name}"
        return ""

    # ------------------------------------------------------------ filing
    async def file(self, draft: Draft, reporter: Person, placement: Placement,
                   nearby: list[Match] | None = None, *, photos: int) -> Case:
        """Turn a complete draft into a case with a ticket number, and give it to the handler.
        `nearby`: the open cases it may duplicate, when the caller read them for this draft already;
        `photos`: how many the draft has (they go with it)."""
        actor, roles = (SYSTEM, {Role.SYSTEM}) if draft.source == "resident" else (Actor(reporter), {Role.REPORTER})
        rule = check(Action.FILE, None, roles)
        now = self.clock.now()
        case = Case(ticket=await self._next_ticket(now), status=rule.target, source=draft.source,
                    category=draft.category or "other", urgent=draft.urgent, urgent_cue=draft.urgent_cue,
                    description=draft.description,
                    lat=draft.lat, lon=draft.lon, address_text=draft.address_text, address_id=draft.address_id,
                    grid_id=placement.grid.id if placement.grid else None,
                    place_grid_id=placement.grid.id if placement.grid else None, reporter=reporter,
                    created_at=now, updated_at=now)
        self.session.add(case)
        await self.session.flush()
        await self.take_photos(draft, case, photos)
        await self._record(case, actor, roles, Action.FILE, None, case.status, None, {"grid_id": case.grid_id})
        found = [d.as_data() for d in await self.duplicates_of(case, nearby)]  # shown on the card, to 合并
        await self._apply(case, Action.ASSIGN, SYSTEM, assign_to=placement.handler,
                          data={"chain": [o.id for o in placement.chain[:3]], "why": placement.why,
                                **({"duplicates": found} if found else {})})
        return case

    async def _next_ticket(self, now: datetime) -> str:
        """The day's next number, in one statement: two processes filing the day's first cases at
        once each get their own (a read-then-insert would have both insert the day)."""
        day = now.astimezone(self.config.tz).strftime("%Y%m%d")
        last = await self.session.scalar(_NEXT_TICKET, {"day": day})
        return f"{self.config.ticket_prefix}-{day}-{last:04d}"

    # ------------------------------------------------------------ transitions
    async def accept(self, case: Case, actor: Actor) -> None:
        await self._apply(case, Action.ACCEPT, actor)

    async def transfer(self, case: Case, actor: Actor, reason: str, *, department: Department | None = None,
                       grid_id: str | None = None, officer: Officer | None = None) -> None:
        """转办 or 改派. Checked on the roles the actor has before anything changes: a move to another
        grid changes who supervises the case, and a refused one must leave nothing behind."""
        roles = await self.roles_of(case, actor)
        check(Action.TRANSFER, Status(case.status), roles, reason)
        if officer is not None:  # 改派 to another officer; the case keeps its grid
            await self.ensure_reassignable(case, actor, officer.id)
            await self._apply(case, Action.TRANSFER, actor, note=reason, assign_to=officer,
                              data={"to_officer": officer.id}, roles=roles)
            return
        if department is not None:
            await self._apply(case, Action.TRANSFER, actor, note=reason, assign_department=department,
                              data={"to_department": department.id}, roles=roles)
            return
        placement = await place_in_grid(self.session, grid_id or "", self.clock.now())
        if placement.grid is None:
            raise TransitionRefused("unknown_grid", grid=grid_id)
        if placement.grid.id == case.grid_id and case.assignee_officer_id == placement.handler_id:
            raise TransitionRefused("same_grid")
        if Role.ASSIGNEE in roles and actor.post.officer:
            # "Not my grid": remember where the place really is, for the address library (gridsec district corrections).
            self.session.add(GridCorrection(
                case_id=case.id, from_grid_id=case.grid_id, to_grid_id=placement.grid.id,
                address_id=case.address_id, address_text=case.address_text, lat=case.lat, lon=case.lon,
                officer_id=actor.post.officer.id, at=self.clock.now()))
            case.was_moved = True
        case.grid_id = placement.grid.id
        await self.session.flush()
        await self.session.refresh(case, ["grid"])
        await self._apply(case, Action.TRANSFER, actor, note=reason, assign_to=placement.handler,
                          data={"to_grid": placement.grid.id}, roles=roles)

    async def return_case(self, case: Case, actor: Actor, reason: str) -> None:
        await self._apply(case, Action.RETURN, actor, note=reason)

    async def reject(self, case: Case, actor: Actor, reason: str) -> None:
        await self._apply(case, Action.REJECT, actor, note=reason)

    async def resolve(self, case: Case, actor: Actor, note: str, photo_ids: list[int] = ()) -> None:
        """办结; only once every co-handling part is done, and a department's 办结 of a category
        checked on site (casework.verify_categories) first goes to the grid officer to check."""
        await self._parts_done(case)
        data = {"photos": list(photo_ids)}
        verifier = await self._verifier(case)
        if verifier is None:
            await self._apply(case, Action.RESOLVE, actor, note=note, data=data)
            return
        roles = await self.roles_of(case, actor)
        check(Action.SUBMIT_CHECK, Status(case.status), roles, note)
        case.verifier_officer_id = verifier.id
        await self.session.flush()
        await self._apply(case, Action.SUBMIT_CHECK, actor, note=note, roles=roles,
                          data={**data, "verifier": verifier.id, "name": verifier.name})

    async def rate(self, case: Case, actor: Actor, score: str, comment: str | None = None) -> Action:
        """Record the reporter's rating; an unsatisfied one reopens the case or goes to a supervisor
        when so configured (cases.on_unsatisfied). Whatever follows, only RATE's roles may rate."""
        if score not in RATING_SCORES:
            raise ValueError(score)
        action = RATING_OUTCOMES[self.config.cases.on_unsatisfied] if score == "unsatisfied" else Action.RATE
        await self._apply(case, action, actor, note=comment, data={"score": score}, granted_by=Action.RATE)
        self._rating(case, actor, score, comment)
        return action

    async def co_rate(self, case: Case, actor: Actor, score: str) -> None:
        """A co-reporter's rating: kept and told to the handler, while the case stays as it is (the
        reporter's own rating, or silence, closes it)."""
        if score not in RATING_SCORES:
            raise ValueError(score)
        await self._apply(case, Action.CO_RATE, actor, data={"score": score})
        self._rating(case, actor, score, None)

    async def rates_as_follower(self, case: Case, actor: Actor) -> bool:
        """Whether `actor`'s rating of `case` is a co-reporter's (CO_RATE) rather than the reporter's."""
        roles = await self.roles_of(case, actor)
        return Role.FOLLOWER in roles and Role.REPORTER not in roles

    def _rating(self, case: Case, actor: Actor, score: str, comment: str | None) -> None:
        self.session.add(Rating(case_id=case.id, score=score, comment=comment, at=self.clock.now(),
                                rater_id=actor.person.id))

    async def comment_rating(self, case: Case, actor: Actor, comment: str) -> None:
        """The reporter's words after their rating, kept with the latest rating."""
        rating = await self.session.scalar(
            select(Rating).where(Rating.case_id == case.id, _by_reporter(case)).order_by(Rating.id.desc()))
        if rating is None:  # who may, and from which status, is the table's; that there is a rating is not
            raise TransitionRefused("not_your_case")
        await self._apply(case, Action.RATE_COMMENT, actor, note=comment)
        rating.comment = comment

    async def cancel(self, case: Case, actor: Actor, reason: str | None = None) -> None:
        await self._apply(case, Action.CANCEL, actor, note=reason)

    async def urge(self, case: Case, actor: Actor) -> None:
        await self._apply(case, Action.URGE, actor)

    async def add_info(self, case: Case, actor: Actor, text: str, attachment_id: int | None = None) -> None:
        await self._apply(case, Action.ADD_INFO, actor, note=text, data={"attachment": attachment_id})

    async def relay(self, case: Case, actor: Actor, text: str, attachment_id: int | None = None) -> list[Person]:
        """Pass a message between reporter and handler through the bot; stored on the case."""
        roles = await self.roles_of(case, actor)
        check(Action.RELAY, Status(case.status), roles)
        recipients = await self.assignee_people(case) if Role.REPORTER in roles else [case.reporter]
        recipients = [p for p in recipients if p.id != actor.person.id and p.chat_id is not None]
        for person in recipients:
            self.session.add(RelayedMessage(case_id=case.id, at=self.clock.now(), from_person_id=actor.person.id,
                                            to_person_id=person.id, text=text, attachment_id=attachment_id))
        event = await self._record(case, actor, roles, Action.RELAY, case.status, case.status, text,
                                   {"attachment": attachment_id, "from_reporter": Role.REPORTER in roles})
        await self.notifier.case_event(case, event, Audience.REPORTER if Role.REPORTER not in roles
                                       else Audience.ASSIGNEES, recipients)
        return recipients

    # ------------------------------------------------------------ deadlines and escalation
    async def remind(self, case: Case, point: Point) -> CaseEvent:
        return await self._apply(case, Action.REMIND, SYSTEM, data=_point_data(point))

    async def escalate(self, case: Case, point: Point, reach: Reach) -> CaseEvent | None:
        """Record that a limit ran out and tell whom the rung reaches, with the card to act on (or the
        duty chat); the timeline names who received it. A rung that reaches nobody again in the same
        round and phase is neither recorded nor told: it would only say the same thing twice (None)."""
        if reach.nobody and await self._reached_nobody_before(case, point.phase):
            return None
        officers = reach.officers
        data = {**_point_data(point), "to": [o.id for o in officers], "names": [o.name for o in officers],
                "roles": [o.role for o in officers], "duty": bool(reach.duty_chat_id)}
        event = await self._apply(case, Action.ESCALATE, SYSTEM, data=data)
        people = [await self.session.get(Person, o.person_id) for o in officers if o.person_id]
        if people:
            await self.notifier.case_event(case, event, Audience.SUPERVISORS, people)
        if reach.duty_chat_id:
            await self.notifier.duty_escalation(case, event, reach.duty_chat_id)
        return event

    async def _reached_nobody_before(self, case: Case, phase: str) -> bool:
        query = select(CaseEvent.data).where(CaseEvent.case_id == case.id, CaseEvent.action == str(Action.ESCALATE))
        if case.deadline_round_at is not None:
            query = query.where(CaseEvent.at >= case.deadline_round_at)
        return any(d.get("phase") == phase and not d.get("to") and not d.get("duty")
                   for d in (await self.session.execute(query)).scalars())

    async def ask_rating(self, case: Case) -> CaseEvent:
        return await self._apply(case, Action.ASK_RATING, SYSTEM)

    async def auto_close(self, case: Case) -> CaseEvent:
        return await self._apply(case, Action.CLOSE, SYSTEM, data={"auto": True})

    async def supervise(self, case: Case, actor: Actor, note: str) -> CaseEvent:
        return await self._apply(case, Action.SUPERVISE, actor, note=note)

    async def extend(self, case: Case, actor: Actor, until: datetime, reason: str) -> CaseEvent:
        if until <= self.clock.now():
            raise TransitionRefused("extend_past")
        return await self._apply(case, Action.EXTEND, actor, note=reason, data={
            "until": until.isoformat(), "previous": case.resolve_due_at.isoformat() if case.resolve_due_at else None})

    async def reopen(self, case: Case, actor: Actor, note: str | None = None) -> CaseEvent:
        return await self._apply(case, Action.REOPEN, actor, note=note)

    async def close(self, case: Case, actor: Actor, note: str | None = None) -> CaseEvent:
        return await self._apply(case, Action.CLOSE, actor, note=note)

    async def rated_since_resolved(self, case: Case) -> bool:
        """Whether the reporter rated the case after its latest 办结 (then they were not silent)."""
        return bool(case.resolved_at and await self.session.scalar(select(func.count()).select_from(Rating).where(
            Rating.case_id == case.id, Rating.at >= case.resolved_at, _by_reporter(case))))

    async def done_steps(self, case: Case) -> set[str]:
        return set((await self.session.execute(select(DeadlineStep.step).where(
            DeadlineStep.case_id == case.id, DeadlineStep.round == case.deadline_round))).scalars())

    async def _schedule(self, case: Case, action: Action, changes_status: bool, now: datetime,
                        data: dict[str, Any]) -> None:
        """Deadlines follow the lifecycle: a dispatch starts new limits, 延期 moves the 办结 one, 办结
        starts the rating round; then the sweep's next look at the case is set."""
        if action in SWEEP_ACTIONS or not (changes_status or action is Action.EXTEND):
            return
        if case.status in SETTLED:
            case.next_check_at = None
            return
        if action in DISPATCH_ACTIONS:
            self._dispatched(case, now, now)
            return
        new_round = True
        if action is Action.EXTEND:
            case.resolve_due_at = datetime.fromisoformat(data["until"])
        elif action not in RESOLVING:
            new_round = False
        if new_round:
            case.deadline_round = (case.deadline_round or 0) + 1
            case.deadline_round_at = now
        case.next_check_at = policy_for(self.config).next_check(
            case, set() if new_round else await self.done_steps(case), now)

    def _dispatched(self, case: Case, at: datetime, now: datetime) -> None:
        """A dispatch at `at`: the limits count from it and a new round begins with it, so the
        points owed are those from `at` on; the sweep next looks at the case when the first is due."""
        policy = policy_for(self.config)
        case.due_from = at
        case.accept_due_at, case.resolve_due_at = policy.start(case, at)
        case.deadline_round = (case.deadline_round or 0) + 1
        case.deadline_round_at = at
        case.next_check_at = policy.next_check(case, set(), now)

    async def last_dispatches(self, case_ids: list[int]) -> dict[int, datetime]:
        """case id → when it was last dispatched (its latest 派单, 转办 or 重新办理 timeline row)."""
        if not case_ids:
            return {}
        return dict((await self.session.execute(
            select(CaseEvent.case_id, func.max(CaseEvent.at))
            .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action.in_([str(a) for a in DISPATCH_ACTIONS]))
            .group_by(CaseEvent.case_id))).all())

    def start_missing_limits(self, case: Case, dispatched_at: datetime | None) -> None:
        """Limits for a dispatched case that has none (filed before deadlines existed, migration
        0003): counted from its last dispatch, as if it had had them all along, so what fell due
        since is owed now, as after downtime. No timeline row and no message of its own: the
        sweep's reminders and escalations are what people hear."""
        self._dispatched(case, dispatched_at or case.created_at, self.clock.now())

    async def _apply(self, case: Case, action: Action, actor: Actor, *, note: str | None = None,
                     assign_to: Officer | None = None, assign_department: Department | None = None,
                     data: dict[str, Any] | None = None, roles: set[Role] | None = None,
                     granted_by: Action | None = None) -> CaseEvent:
        """`roles`: the actor's, when the caller had to work them out before changing the case itself;
        `granted_by`: the action whose rule says who may (lifecycle.check)."""
        if roles is None:  # before any change: the timeline records the role the actor acted in
            roles = await self.roles_of(case, actor)
        rule = check(action, Status(case.status), roles, note, granted_by=granted_by)
        previous = await self.assignee_people(case) if Audience.PREVIOUS in NOTIFY.get(action, ()) else []
        if action is Action.ACCEPT and actor.post.department and not actor.post.officer:
            data = {**(data or {}), "department": actor.post.department.id}
        before = case.status
        now = self.clock.now()
        if assign_to is not None or assign_department is not None:
            # The ids for what reads them before the flush below, the objects for what is told (the
            # session has both already: no flush and reload of the case for them).
            case.assignee_officer, case.assignee_department = assign_to, assign_department
            case.assignee_officer_id = assign_to.id if assign_to else None
            case.assignee_department_id = assign_department.id if assign_department else None
        if rule.target is not None:
            case.status = rule.target
        case.updated_at = now
        if action is Action.ACCEPT:
            case.accepted_at = now
        elif action is Action.RESOLVE:
            case.resolved_at, case.resolution_note = now, note
        elif action is Action.SUBMIT_CHECK:
            case.resolution_note = note
        elif action is Action.VERIFY:
            case.resolved_at = now  # 办结 once checked: the rating round starts now
        elif rule.target in FINAL:
            case.closed_at = now
        elif action is Action.REOPEN:
            case.resolved_at = None
        elif action is Action.UNMERGE:
            case.closed_at = None
        if action in WAS:
            setattr(case, WAS[action], True)
        await self._schedule(case, action, rule.target is not None, now, data or {})
        await self.session.flush()
        event = await self._record(case, actor, roles, action, before, case.status, note, data or {},
                                   granted_by=granted_by)
        await self._notify(case, event, action, previous)
        return event

    async def _record(self, case: Case, actor: Actor, roles: set[Role], action: Action, before: str | None,
                      after: str, note: str | None, data: dict[str, Any],
                      granted_by: Action | None = None) -> CaseEvent:
        """A timeline row; `roles` are the actor's before the action changed the case."""
        role = next(r for r in ROLE_ORDER if r in roles & RULES[granted_by or action].roles)
        event = CaseEvent(case_id=case.id, at=self.clock.now(), actor_id=actor.person.id if actor.person else None,
                          actor_role=role, action=str(action), from_status=before, to_status=after,
                          note=note, data=data)
        self.session.add(event)
        await self.session.flush()
        if case.reporter.channel and event.action in PUBLIC_ACTIONS:
            await owe_callback(self.session, case, event, self.clock.now())
        return event

    async def _notify(self, case: Case, event: CaseEvent, action: Action, previous: list[Person]) -> None:
        actor_id = event.actor_id
        if previous:  # the case left their hands (the actor's own included): their cards' buttons act on nothing now
            await self.notifier.retire_cards(case, previous)
        for audience in NOTIFY.get(action, ()):
            if audience is Audience.REPORTER:
                people = [case.reporter, *await followers(self.session, case.id)]
                if action is Action.ASK_RATING:  # the reporter has not rated (the sweep checks); followers may have
                    people = await self._not_rated_yet(case, people)
            elif audience is Audience.VERIFIER:
                people = await self._officer_people([case.verifier_officer_id])
            elif audience is Audience.CO_HANDLERS:
                people = await self._department_people(event.data.get("department"))
            elif audience is Audience.ASSIGNEES:
                people = await self.assignee_people(case)
            elif audience is Audience.PREVIOUS:
                people = previous
            else:
                people = await self._nearest_supervisors(case)
            people = [p for p in people if p is not None and p.id != actor_id and p.chat_id is not None]
            if people:
                await self.notifier.case_event(case, event, audience, people)

    # ------------------------------------------------------------ casework: duplicates and merges
    async def duplicates_of(self, case: Case, nearby: list[Match] | None = None) -> list[Duplicate]:
        """Open cases nearby that `case` may duplicate (bot/duplicates.py), for its card; `nearby`:
        those read for its draft before it was filed (whoever reported them), else they are read now."""
        if nearby is None:
            nearby = await nearby_matches(self.session, self.config, category=case.category, lat=case.lat,
                                          lon=case.lon, text=case.description, now=self.clock.now(),
                                          exclude_case=case.id)
        return await offered(self.session, nearby)

    async def take_photos(self, draft: Draft, case: Case, photos: int, purpose: str | None = None) -> None:
        """The draft's `photos` (its count, known to the caller) go with the case: as its report's, or
        under `purpose` ("info" when the draft joins a case it duplicates)."""
        if not photos:
            return
        for attachment in (await self.session.execute(select(Attachment).where(Attachment.draft_id == draft.id))
                           ).scalars():
            attachment.case_id, attachment.draft_id = case.id, None
            if purpose is not None:
                attachment.purpose = purpose

    async def follow(self, case: Case, person: Person, words: str | None = None) -> CaseEvent:
        """A resident follows a case instead of filing its duplicate (`words`: what they wrote, for
        the handler): told every step from now on, and may rate."""
        check(Action.FOLLOW, Status(case.status), {Role.SYSTEM})
        if person.id == case.reporter_id or await follows(self.session, case.id, person.id):
            raise TransitionRefused("already_following", ticket=case.ticket)
        await add_followers(self.session, case, [person], self.clock.now())
        return await self._apply(case, Action.FOLLOW, SYSTEM, note=words or None, data={"person": person.id})

    async def merge(self, case: Case, into: Case, actor: Actor) -> None:
        """合并: `case` duplicates `into`, which stays; its reporter and followers follow `into` from
        now on. Both timelines record it; checked on both before anything changes."""
        if into.id == case.id or into.merged_into_id == case.id:
            raise TransitionRefused("merge_self")
        roles = await self.roles_of(case, actor)
        check(Action.MERGE, Status(case.status), roles)
        check(Action.ABSORB, Status(into.status), roles, granted_by=Action.MERGE)
        moved = await add_followers(self.session, into, [case.reporter, *await followers(self.session, case.id)],
                                    self.clock.now(), from_case=case.id)
        case.merged_into_id = into.id
        await self._apply(case, Action.MERGE, actor, data={"into": into.id, "other": into.ticket}, roles=roles)
        await self._apply(into, Action.ABSORB, actor, roles=roles, granted_by=Action.MERGE,
                          data={"from": case.id, "other": case.ticket, "followers": moved})

    async def unmerge(self, case: Case, actor: Actor) -> Case:
        """A supervisor undoes a merge: `case` is dispatched again to its handler, and those the merge
        made followers of the kept case are no longer; the kept case is returned."""
        roles = await self.roles_of(case, actor)
        check(Action.UNMERGE, Status(case.status), roles)
        into = await self.get(case.merged_into_id)
        await drop_followers_from(self.session, into.id, case.id)
        case.merged_into_id = None
        await self._apply(case, Action.UNMERGE, actor, data={"from": into.id, "other": into.ticket}, roles=roles)
        await self._apply(into, Action.SPLIT, actor, roles=roles, granted_by=Action.UNMERGE,
                          data={"from": case.id, "other": case.ticket})
        return into

    # ------------------------------------------------------------ casework: 核查结案
    async def _verifier(self, case: Case) -> Officer | None:
        """Who checks this 办结 on site: the grid's handler now, when a department resolves a case of a
        category casework.verify_categories names; None when no check is owed."""
        if not case.assignee_department_id or case.category not in self.config.casework.verify_categories \
                or not case.grid_id:
            return None
        return (await place_in_grid(self.session, case.grid_id, self.clock.now())).handler

    async def verify(self, case: Case, actor: Actor, note: str, photo_ids: list[int] = ()) -> CaseEvent:
        """属实办结: the check confirms the department's 办结; now the reporter is told and may rate."""
        return await self._apply(case, Action.VERIFY, actor, note=note, data={"photos": list(photo_ids)})

    async def verify_fail(self, case: Case, actor: Actor, note: str, photo_ids: list[int] = ()) -> CaseEvent:
        """未办好退回: back to the department, with new limits."""
        return await self._apply(case, Action.VERIFY_FAIL, actor, note=note, data={"photos": list(photo_ids)})

    # ------------------------------------------------------------ casework: 联合处置
    async def parts(self, case: Case) -> list[CasePart]:
        return list((await self.session.execute(
            select(CasePart).where(CasePart.case_id == case.id).order_by(CasePart.id))).scalars())

    async def _part(self, case: Case, department_id: str) -> CasePart | None:
        return await self.session.scalar(select(CasePart).where(
            CasePart.case_id == case.id, CasePart.department_id == department_id))

    async def _parts_done(self, case: Case) -> None:
        waiting = [p.department.name for p in await self.parts(case) if p.status in PART_OPEN]
        if waiting:
            raise TransitionRefused("parts_open", departments="、".join(waiting))

    async def add_part(self, case: Case, actor: Actor, department: Department) -> CasePart:
        """A co-handling department: it gets the card, and the lead may 办结 only after its part is done."""
        roles = await self.roles_of(case, actor)
        check(Action.ADD_PART, Status(case.status), roles)
        if department.id == case.assignee_department_id:
            raise TransitionRefused("part_is_lead", department=department.name)
        if await self._part(case, department.id) is not None:
            raise TransitionRefused("part_exists", department=department.name)
        part = CasePart(case_id=case.id, department_id=department.id, status="assigned", added_at=self.clock.now())
        self.session.add(part)
        await self.session.flush()
        await self._apply(case, Action.ADD_PART, actor, roles=roles,
                          data={"department": department.id, "name": department.name})
        return part

    async def accept_part(self, case: Case, actor: Actor) -> CasePart:
        part = await self._own_part(case, actor, Action.ACCEPT_PART)
        if part.status != "assigned":
            raise TransitionRefused("part_already_accepted")
        part.status, part.accepted_at = "accepted", self.clock.now()
        await self._apply(case, Action.ACCEPT_PART, actor, data=_part_data(part))
        return part

    async def finish_part(self, case: Case, actor: Actor, note: str) -> CasePart:
        part = await self._own_part(case, actor, Action.FINISH_PART, note)
        if part.status == "done":
            raise TransitionRefused("part_already_done")
        if part.status != "accepted":
            raise TransitionRefused("part_not_accepted")
        part.status, part.done_at, part.note = "done", self.clock.now(), note
        await self._apply(case, Action.FINISH_PART, actor, note=note, data=_part_data(part))
        return part

    async def _own_part(self, case: Case, actor: Actor, action: Action, note: str | None = None) -> CasePart:
        check(action, Status(case.status), await self.roles_of(case, actor), note)
        return await self._part(case, actor.post.department.id)  # CO_HANDLER: the department has one

    async def _not_rated_yet(self, case: Case, people: list[Person]) -> list[Person]:
        rated = set((await self.session.execute(select(Rating.rater_id).where(
            Rating.case_id == case.id, Rating.at >= case.resolved_at))).scalars())
        return [p for p in people if p.id not in rated]

    async def _nearest_supervisors(self, case: Case) -> list[Person]:
        for officer in await supervisors_of(self.session, case.grid):
            if officer.person_id:
                return [await self.session.get(Person, officer.person_id)]
        return []


def _part_data(part: CasePart) -> dict[str, Any]:
    return {"department": part.department_id, "name": part.department.name}


def _by_reporter(case: Case):
    """Ratings that are the reporter's (a follower's rating is recorded, but does not decide)."""
    return or_(Rating.rater_id.is_(None), Rating.rater_id == case.reporter_id)


def _point_data(point: Point) -> dict[str, Any]:
    return {"phase": point.phase, "step": point.step, "role": point.role,
            "due": point.due.isoformat() if point.due else None}


async def post_of(session: AsyncSession, person: Person) -> Actor:
    return Actor(person, await staff_post(session, person))
