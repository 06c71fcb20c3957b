"""Which case buttons a viewer gets, derived from the lifecycle table rather than written per status.

Each button starts one lifecycle Action. A button shows iff RULES lets one of the viewer's roles take
that action from the case's status, so a card never offers what would be refused and never hides
what the table allows. Where a button is offered to fewer roles or statuses than its rule allows,
that is a presentation choice, made here in the table with the reason for it.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.lifecycle import RULES, Action, Role, Status

RUNNING = frozenset({Status.ASSIGNED, Status.ACCEPTED})
RETURNED_WAITS = "a returned case waits for the supervisor's own 改派 or 驳回, not for its handler"


@dataclass(frozen=True)
class CaseButton:
    name: str  # a key of handlers.render.VERBS and handlers.texts.BUTTONS
    action: Action
    roles: frozenset[Role] | None = None  # None: every role the rule allows
    statuses: frozenset[Status] | None = None  # None: every status the rule allows
    why: str = ""  # why the button is offered less than its rule allows

    def offered(self, status: Status, roles: set[Role]) -> bool:
        rule = RULES[self.action]
        return (status in rule.sources and status in (self.statuses or rule.sources)
                and bool(roles & rule.roles & (self.roles or rule.roles)))


def _button(name: str, action: Action, roles=None, statuses=None, why: str = "") -> CaseButton:
    return CaseButton(name, action, frozenset(roles) if roles else None, frozenset(statuses) if statuses else None,
                      why)


A, S, R = Role.ASSIGNEE, Role.SUPERVISOR, Role.REPORTER
# In display order: the handler's buttons, then the supervisor's, then the reporter's.
CASE_BUTTONS: tuple[CaseButton, ...] = (
    _button("accept", Action.ACCEPT),
    _button("resolve", Action.RESOLVE),
    _button("transfer", Action.TRANSFER, {A}, why="转办 is the handler passing the case on; supervisors 改派"),
    _button("return", Action.RETURN),
    _button("reply", Action.RELAY, {A}, why="回复居民 is the handler's; residents write to the bot, "
                                             "supervisors act through the handler"),
    # casework: the on-site check (核查结案) and a co-handler's part (联合处置)
    _button("verify_ok", Action.VERIFY),
    _button("verify_fail", Action.VERIFY_FAIL),
    _button("part_accept", Action.ACCEPT_PART),
    _button("part_done", Action.FINISH_PART),
    _button("reassign", Action.TRANSFER, {S}, {Status.RETURNED},
            why="a returned case waits for its supervisor (the 改派 menu, as for a running case)"),
    _button("reject", Action.REJECT),
    _button("supervise", Action.SUPERVISE, statuses=RUNNING, why=RETURNED_WAITS),
    _button("reassign_to", Action.TRANSFER, {S}, RUNNING,
            why="a running case goes to another officer first (the 改派 menu: colleagues, then departments)"),
    _button("extend", Action.EXTEND, statuses=RUNNING, why=RETURNED_WAITS),
    _button("reopen_case", Action.REOPEN),
    _button("close_case", Action.CLOSE, {S}, why="the system closes a silent case by itself"),
    _button("unmerge", Action.UNMERGE),
    _button("urge", Action.URGE, {R}, why="a supervisor's push is 督办, with a note"),
    _button("add_info", Action.ADD_INFO),
    _button("withdraw", Action.CANCEL),
    _button("rate_satisfied", Action.RATE),
    _button("rate_basic", Action.RATE),
    _button("rate_unsatisfied", Action.RATE),
)
BUTTON_ACTIONS: dict[str, Action] = {b.name: b.action for b in CASE_BUTTONS}


def button_names(status: Status | str, roles: set[Role]) -> tuple[str, ...]:
    """The buttons a viewer standing to a case in `roles` gets while it is in `status`, in display order."""
    return tuple(b.name for b in CASE_BUTTONS if b.offered(Status(status), roles))
