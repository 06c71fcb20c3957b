"""The case lifecycle as data: statuses, the table of allowed transitions, and who may make them.

Statuses say what a case is waiting for. Transfers and reopenings are not statuses of their own:
after either, the case again waits for someone to accept it, so both are actions that land in
ASSIGNED, and the timeline keeps which action it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"   # filed, not yet given to anyone
    ASSIGNED = "assigned"     # given to an officer or department, waiting to be accepted
    ACCEPTED = "accepted"     # someone is working on it
    RETURNED = "returned"     # handed back by its assignee, waiting for a supervisor to re-dispatch or reject
    RESOLVED = "resolved"     # handled, waiting for the reporter's rating
    CLOSED = "closed"         # rated or closed after silence
    REJECTED = "rejected"     # not a case for the grid office (with a reason to the reporter)
    CANCELLED = "cancelled"   # withdrawn by the reporter
    # ---- casework (bot/duplicates.py, 核查结案)
    MERGED = "merged"         # a duplicate folded into another case, whose reporters it now follows
    VERIFYING = "verifying"   # a department's 办结 waits for the grid officer's on-site check (核查)


OPEN = frozenset({Status.SUBMITTED, Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED})
FINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.CANCELLED})
# Nobody waits on these: the final ones, and a merged duplicate (whose reporters follow the kept
# case; a supervisor may still undo the merge, so it is not final).
SETTLED = FINAL | {Status.MERGED}
# Open cases a new report may duplicate, or a merge may join (a resolved one is the reporter's to rate).
MERGEABLE = OPEN | {Status.VERIFYING}


class Role(StrEnum):
    """How an actor stands to a particular case (one person may stand in several ways)."""

    REPORTER = "reporter"
    ASSIGNEE = "assignee"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"
    # ---- casework
    FOLLOWER = "follower"      # a co-reporter: followed the case, or reported a duplicate merged into it
    VERIFIER = "verifier"      # the grid officer asked to check a department's 办结 on site (核查)
    CO_HANDLER = "co_handler"  # staff of a department handling a part of the case (联合处置)


class Action(StrEnum):
    FILE = "file"                # a report becomes a case (the only rule with no source status)
    ASSIGN = "assign"
    ACCEPT = "accept"
    TRANSFER = "transfer"
    RETURN = "return"
    REJECT = "reject"
    RESOLVE = "resolve"
    RATE = "rate"
    REOPEN = "reopen"
    CLOSE = "close"
    CANCEL = "cancel"
    # Events that leave the status as it is but belong on the timeline.
    URGE = "urge"
    ADD_INFO = "add_info"
    RELAY = "relay"
    # Deadlines and escalation (bot/deadlines.py, bot/supervision.py): timeline events, status kept.
    REMIND = "remind"            # a time limit is running out: the assignee is reminded
    ESCALATE = "escalate"        # a time limit ran out: a rung of the ladder is told
    SUPERVISE = "supervise"      # 督办: a supervisor's note to whoever has the case
    EXTEND = "extend"            # 延期: a supervisor moves the 办结 deadline, with a reason
    ASK_RATING = "ask_rating"    # the reporter is asked (again) to rate a resolved case
    DISPUTE = "dispute"          # 不满意 sent to a supervisor to decide (cases.on_unsatisfied: supervisor)
    RATE_COMMENT = "rate_comment"  # the reporter's words after their rating
    # ---- casework: duplicates, verification, joint handling (status kept unless the table says)
    FOLLOW = "follow"            # a resident follows the case instead of filing a duplicate
    MERGE = "merge"              # this case is a duplicate: folded into another (data: into)
    ABSORB = "absorb"            # the kept case's side of a merge (data: from)
    UNMERGE = "unmerge"          # a supervisor undoes a merge: the case is dispatched again
    SPLIT = "split"              # the kept case's side of an undone merge
    SUBMIT_CHECK = "submit_check"  # a department's 办结 of a case its category has checked on site
    VERIFY = "verify"            # 属实办结: the on-site check confirms it; the reporter may rate
    VERIFY_FAIL = "verify_fail"  # 未办好退回: back to the department, new limits
    ADD_PART = "add_part"        # 联合处置: a co-handling department is added
    ACCEPT_PART = "accept_part"  # a co-handler takes its part
    FINISH_PART = "finish_part"  # a co-handler's part is done, with a note
    CO_RATE = "co_rate"          # a follower's rating: recorded and told, the case stays as it is


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[Status]  # empty: the rule creates a case, so there is no status yet
    target: Status | None  # None: the status stays as it is
    roles: frozenset[Role]
    needs_note: bool = False


def _rule(action, sources, target, roles, needs_note=False) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(roles), needs_note)


R, A, S, SYS = Role.REPORTER, Role.ASSIGNEE, Role.SUPERVISOR, Role.SYSTEM
F, V, CO = Role.FOLLOWER, Role.VERIFIER, Role.CO_HANDLER
RUNNING = {Status.ASSIGNED, Status.ACCEPTED}
RULES: dict[Action, Rule] = {r.action: r for r in (
    # A resident's report is filed by the bot on their behalf; a patrol officer files as the reporter.
    _rule(Action.FILE, set(), Status.SUBMITTED, {R, SYS}),
    _rule(Action.ASSIGN, {Status.SUBMITTED}, Status.ASSIGNED, {SYS, S}),
    _rule(Action.ACCEPT, {Status.ASSIGNED}, Status.ACCEPTED, {A}),
    _rule(Action.TRANSFER, {Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}, Status.ASSIGNED, {A, S}, True),
    _rule(Action.RETURN, {Status.ASSIGNED, Status.ACCEPTED}, Status.RETURNED, {A}, True),
    _rule(Action.REJECT, {Status.RETURNED}, Status.REJECTED, {S}, True),
    _rule(Action.RESOLVE, {Status.ACCEPTED}, Status.RESOLVED, {A}, True),
    _rule(Action.RATE, {Status.RESOLVED}, Status.CLOSED, {R}),
    # A supervisor's decision; the reporter reopens a case only by rating it 不满意 (RATING_OUTCOMES).
    _rule(Action.REOPEN, {Status.RESOLVED}, Status.ASSIGNED, {S}),
    _rule(Action.CLOSE, {Status.RESOLVED}, Status.CLOSED, {SYS, S}),
    _rule(Action.CANCEL, OPEN, Status.CANCELLED, {R}),
    _rule(Action.URGE, {Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}, None, {R, S}),
    _rule(Action.ADD_INFO, OPEN, None, {R}),
    _rule(Action.RELAY, OPEN | {Status.RESOLVED}, None, {R, A, S}),
    _rule(Action.REMIND, {Status.ASSIGNED, Status.ACCEPTED}, None, {SYS}),
    _rule(Action.ESCALATE, {Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}, None, {SYS}),
    _rule(Action.SUPERVISE, {Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}, None, {S}, True),
    _rule(Action.EXTEND, {Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}, None, {S}, True),
    _rule(Action.ASK_RATING, {Status.RESOLVED}, None, {SYS}),
    _rule(Action.DISPUTE, {Status.RESOLVED}, None, set()),  # only ever a rating's outcome
    # Asked for right after a rating, which leaves the case closed, reopened or disputed (still resolved).
    _rule(Action.RATE_COMMENT, {Status.CLOSED, Status.ASSIGNED, Status.RESOLVED}, None, {R}, True),
    # ---- casework. Following is the bot's doing on the resident's behalf, as filing is.
    _rule(Action.FOLLOW, MERGEABLE, None, {SYS}),
    _rule(Action.MERGE, MERGEABLE, Status.MERGED, {A, S}),
    _rule(Action.ABSORB, MERGEABLE, None, {A, S}),  # allowed by MERGE's roles on the merged case
    _rule(Action.UNMERGE, {Status.MERGED}, Status.ASSIGNED, {S}),
    _rule(Action.SPLIT, set(Status), None, {S}),  # allowed by UNMERGE's roles; the kept case may have moved on
    _rule(Action.SUBMIT_CHECK, {Status.ACCEPTED}, Status.VERIFYING, {A}, True),
    _rule(Action.VERIFY, {Status.VERIFYING}, Status.RESOLVED, {V}, True),
    _rule(Action.VERIFY_FAIL, {Status.VERIFYING}, Status.ASSIGNED, {V}, True),
    _rule(Action.ADD_PART, RUNNING, None, {A, S}),
    _rule(Action.ACCEPT_PART, RUNNING, None, {CO}),
    _rule(Action.FINISH_PART, RUNNING, None, {CO}, True),
    _rule(Action.CO_RATE, {Status.RESOLVED, Status.CLOSED}, None, {F}),
)}

# What a rating does to the case: 满意 and 基本满意 close it; a 不满意 one closes, reopens or goes to a
# supervisor as cases.on_unsatisfied says. The outcome is the rating's, allowed by RATE's roles: nobody
# rates on the reporter's behalf, and the reporter reopens or disputes a case only by rating it.
RATING_OUTCOMES: dict[str, Action] = {"close": Action.RATE, "reopen": Action.REOPEN, "supervisor": Action.DISPUTE}

# The public timeline: what a case's channel is told (Open311 status_notes and its callback). The
# rest (reminders, escalations, 督办, relays, the filing itself) is the office's own business.
PUBLIC_ACTIONS = frozenset({Action.ACCEPT, Action.TRANSFER, Action.REJECT, Action.RESOLVE, Action.REOPEN,
                            Action.RATE, Action.CLOSE, Action.CANCEL})
# Of those, the ones whose note the public sees (the officer's note on 办结, why it was turned down or reopened).
PUBLIC_NOTES = frozenset({Action.REJECT, Action.RESOLVE, Action.REOPEN})

# Why a transition is refused, keyed by the status the case is in; shown to the person who tried.
STATUS_REASONS: dict[Status, str] = {
    Status.SUBMITTED: "not_dispatched",
    Status.ASSIGNED: "not_accepted",
    Status.ACCEPTED: "already_accepted",
    Status.RETURNED: "returned",
    Status.RESOLVED: "already_resolved",
    Status.CLOSED: "already_closed",
    Status.REJECTED: "already_rejected",
    Status.CANCELLED: "already_cancelled",
    Status.MERGED: "already_merged",
    Status.VERIFYING: "verifying",
}


class TransitionRefused(Exception):
    """A transition that the table does not allow; `reason` is a key of the user-facing texts."""

    def __init__(self, reason: str, **params: object) -> None:
        self.reason = reason
        self.params = params
        super().__init__(reason)


def check(action: Action, status: Status | None, roles: set[Role], note: str | None = None, *,
          granted_by: Action | None = None) -> Rule:
    """Return the rule that allows `action`, or raise TransitionRefused saying why not.

    `status` is None before a case exists: only a rule with no sources (filing) applies then, and
    asking any other rule about a case that does not exist is a programming error, not a refusal.
    `granted_by`: the action whose roles decide who may (a rating's outcome is allowed by RATE's)."""
    rule = RULES[action]
    if not roles & RULES[granted_by or action].roles:
        raise TransitionRefused("not_your_case")
    if status is None:
        if rule.sources:
            raise ValueError(f"{action} needs a filed case")
    elif status not in rule.sources:
        raise TransitionRefused(STATUS_REASONS[status])
    if rule.needs_note and not (note and note.strip()):
        raise TransitionRefused("note_required")
    return rule
