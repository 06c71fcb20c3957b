"""Supervisors acting on deadlines — 督办 with a note for the officer, 改派 to another officer,
延期 with a new time and a reason, the decision on a 不满意 rating — and the digests' rendering.

Registered in handlers/casework.py's CASE_BUTTONS / PENDING_TEXT tables; the rules (who may,
from which status) and the reading of a 延期 are the desk's, CaseService's and the lifecycle table's.
"""
from __future__ import annotations

from bot.config import Config
from bot.lifecycle import Action
from bot.mailroom import Mailroom
from bot.outbox import Button, Outgoing
from bot.records import Case, Person
from bot.hotspots import HotSpot
from bot.supervision import OfficerDigest, SupervisorReport
from handlers.common import Turn
from handlers.render import assignee_text, department_buttons, due_short, local, span_text
from handlers.texts import BUTTONS, STATUS, t

MAX_DIGEST_LINES = 20
MAX_COLLEAGUES = 8  # 改派 buttons before the search: a community rarely has more grid officers
MAX_HOT_SPOT_BUTTONS = 10


# ---------------------------------------------------------------- buttons
async def _supervise(update, turn: Turn, case: Case, arg):
    await turn.desk.cases.ensure_allowed(case, turn.desk.actor, Action.SUPERVISE)
    await turn.desk.expect("supervise_note", case.id)
    turn.say("supervise_prompt", assignee=assignee_text(case), case_id=case.id)


async def _extend(update, turn: Turn, case: Case, arg):
    await turn.desk.cases.ensure_allowed(case, turn.desk.actor, Action.EXTEND)
    await turn.desk.expect("extend", case.id)
    turn.say("extend_prompt", ticket=case.ticket, case_id=case.id,
             due=local(turn.config, case.resolve_due_at) if case.resolve_due_at else "—")


async def _reassign_menu(update, turn: Turn, case: Case, arg):
    """The case grid's own officers and its neighbours' first, then departments, then a search by name or grid."""
    colleagues, departments = await turn.desk.reassign_options(case)
    rows = colleague_buttons(case, colleagues[:MAX_COLLEAGUES])
    rows += department_buttons(case, departments)
    rows.append([Button(t("reassign_other"), f"c:{case.id}:raf")])
    turn.say("reassign_menu", rows, ticket=case.ticket, case_id=case.id)


def colleague_buttons(case: Case, colleagues) -> list[list[Button]]:
    return [[Button(f"{c.officer.name}（{c.grid_name}）", f"c:{case.id}:rao:{c.officer.id}")] for c in colleagues]


async def _reassign_officer(update, turn: Turn, case: Case, arg):
    await turn.desk.aim_transfer(case, officer_id=arg or "")
    turn.say("transfer_reason_prompt", case_id=case.id)


async def _reassign_find(update, turn: Turn, case: Case, arg):
    await turn.desk.cases.ensure_allowed(case, turn.desk.actor, Action.TRANSFER)
    await turn.desk.expect("reassign_find", case.id)
    turn.say("reassign_find_prompt", ticket=case.ticket, case_id=case.id)


async def _reopen(update, turn: Turn, case: Case, arg):
    await turn.desk.cases.reopen(case, turn.desk.actor)
    turn.say("dispute_reopened_ack", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)


async def _close(update, turn: Turn, case: Case, arg):
    await turn.desk.cases.close(case, turn.desk.actor)
    turn.say("dispute_closed_ack", ticket=case.ticket, case_id=case.id)


CASE_BUTTONS = {"sup": _supervise, "ext": _extend, "ra": _reassign_menu, "rao": _reassign_officer,
                "raf": _reassign_find, "reo": _reopen, "cls": _close}
LOCKING = {"reo", "cls"}


# ---------------------------------------------------------------- typed follow-ups
async def _p_supervise(update, turn: Turn, pending, case: Case, text: str):
    await turn.desk.cases.supervise(case, turn.desk.actor, text)
    await turn.desk.done_expecting()
    turn.say("supervised_ack", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)


async def _p_extend(update, turn: Turn, pending, case: Case, text: str):
    """'2天 需协调物业', '明天下午5点前 等施工队'; anything else is asked again (the question stays)."""
    until = await turn.desk.extend(case, text)
    turn.say("extended_ack", ticket=case.ticket, due=local(turn.config, until), case_id=case.id)


async def _p_reassign_find(update, turn: Turn, pending, case: Case, text: str):
    """Several matches are offered as buttons; one (an officer, or a grid) is asked for the reason."""
    found = await turn.desk.aim_reassign(case, text)
    if len(found) > 1:
        turn.say("reassign_choose", colleague_buttons(case, found[:MAX_COLLEAGUES]), ticket=case.ticket,
                 case_id=case.id)
    else:
        turn.say("transfer_reason_prompt", case_id=case.id)


PENDING_TEXT = {"supervise_note": _p_supervise, "extend": _p_extend, "reassign_find": _p_reassign_find}


# ---------------------------------------------------------------- digests (bot.supervision.DigestSender)
class OutboxDigests:
    def __init__(self, config: Config) -> None:
        self.config = config

    def officer_morning(self, mail: Mailroom, person: Person, digest: OfficerDigest) -> None:
        config = self.config
        lines = [t("digest_officer_head", name=digest.name, open=len(digest.lines),
                   overdue=digest.overdue, today=digest.due_today)]
        for line in digest.lines[:MAX_DIGEST_LINES]:
            mark = "🔴" if line.overdue else "🟡" if line.due_today else ("🚨" if line.urgent else "")
            lines.append(t("digest_officer_line", mark=mark, ticket=line.ticket, status=STATUS[line.status],
                           category=config.category_name(line.category),
                           due=due_short(config, line.due) if line.due else t("digest_none")))
        if len(digest.lines) > MAX_DIGEST_LINES:
            lines.append(t("digest_more", n=len(digest.lines) - MAX_DIGEST_LINES))
        pressing = [line for line in digest.lines if line.overdue or line.due_today][:5]
        buttons = [[Button(f"{BUTTONS['view']} {line.ticket}", f"c:{line.case_id}:view")] for line in pressing]
        mail.send(Outgoing(person.chat_id, text="\n".join(lines), buttons=buttons))

    def supervisor_daily(self, mail: Mailroom, person: Person, report: SupervisorReport) -> None:
        by_grid = "：" + "，".join(f"{grid} {n}件" for grid, n in report.overdue_by_grid[:10]) \
            if report.overdue_by_grid else ""
        text = t("digest_supervisor", date=report.day.strftime("%m-%d"), scope=report.scope, new=report.new,
                 resolved=report.resolved, same_day=report.same_day, on_time=report.on_time, closed=report.closed,
                 overdue=report.overdue, by_grid=by_grid,
                 avg_accept=span_text(report.avg_accept) if report.avg_accept is not None else t("digest_none"),
                 avg_resolve=span_text(report.avg_resolve) if report.avg_resolve is not None else t("digest_none"),
                 satisfaction=f"{report.satisfied / report.rated:.0%}" if report.rated else t("digest_none"),
                 rated=report.rated, unjoined=report.unjoined)
        mail.send(Outgoing(person.chat_id, text=text))

    def hot_spot(self, mail: Mailroom, person: Person, spot: HotSpot) -> None:
        """预警: one message listing the grid's cases, a button to open each."""
        text = t("hot_spot", grid=spot.grid_name, category=self.config.category_name(spot.category), n=spot.count,
                 window=span_text(self.config.casework.hotspots.window), baseline=f"{spot.baseline:.1f}",
                 tickets="、".join(spot.tickets[:MAX_DIGEST_LINES]))
        buttons = [[Button(f"{BUTTONS['view']} {ticket}", f"c:{case_id}:view")]
                   for case_id, ticket in spot.cases[:MAX_HOT_SPOT_BUTTONS]]
        mail.send(Outgoing(person.chat_id, text=text, buttons=buttons))
