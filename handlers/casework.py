"""Acting on filed cases: the buttons on cards and case views, and the texts the bot asked for."""
from __future__ import annotations

from telegram import Update

from bot.hygiene import clean_text, row_id
from bot.lifecycle import Action, Role, Status, TransitionRefused
from bot.outbox import Button, Outgoing
from bot.records import Case
from handlers import supervision
from handlers.common import Turn
from handlers.intake import report_text, store_photo
from handlers.render import (
    assignee_text, buttons_for, card_text, clip, joint_buttons, limit_text, local, personal, timeline_text,
    transfer_buttons, urgent_mark,
)
from handlers.texts import BUTTONS, ROLES, STATUS, t


# ---------------------------------------------------------------- views
async def show_case(turn: Turn, case: Case) -> None:
    """A case and its timeline with the buttons the viewer's roles allow; staff who handled it before a
    transfer see it without any."""
    cases, actor = turn.desk.cases, turn.desk.actor
    roles = await cases.roles_of(case, actor)
    if not roles and not await cases.can_view(case, actor):
        turn.say("ticket_not_yours", ticket=case.ticket)
        return
    turn.say("case_view", buttons_for(case, roles), case_id=case.id, **await _view_params(turn, case, roles))


async def _view_params(turn: Turn, case: Case, roles: set[Role]) -> dict:
    return dict(ticket=case.ticket, status=STATUS[case.status], category=turn.config.category_name(case.category),
                urgent=urgent_mark(case.urgent), description=clip(personal(turn.config, case.description, roles), 500),
                assignee=assignee_text(case),
                timeline=timeline_text(turn.config, await turn.desk.cases.timeline(case), roles))


async def show_ticket(turn: Turn, ticket: str) -> None:
    case = await turn.desk.cases.by_ticket(ticket)
    if case is None:
        turn.say("ticket_not_found", ticket=ticket)
        return
    await show_case(turn, case)


async def my_cases(turn: Turn) -> None:
    person = turn.desk.person
    cases = await turn.desk.cases.reported_by(person, 10, followed=True)
    if not cases:
        turn.say("my_none")
        return
    lines = [t("my_header", n=len(cases))] + [
        t("my_line", ticket=c.ticket, status=STATUS[c.status], category=turn.config.category_name(c.category),
          date=local(turn.config, c.created_at), followed="" if c.reporter_id == person.id else t("my_followed"))
        for c in cases]
    turn.send_text("\n".join(lines), _view_rows(cases[:8]))


def _view_rows(cases: list[Case]) -> list[list[Button]]:
    return [[Button(f"{BUTTONS['view']} {c.ticket}", f"c:{c.id}:view")] for c in cases]


async def tasks(turn: Turn) -> None:
    tasks = await turn.desk.tasks()  # most urgent first
    if not tasks:
        turn.say("tasks_none")
        return
    lines = [t("tasks_header", n=len(tasks))] + [
        t("tasks_line", urgent="🚨" if line.urgent else "", ticket=line.ticket, status=STATUS[line.status],
          category=turn.config.category_name(line.category), due=limit_text(turn.config, line.due)).rstrip("　")
        for line, _ in tasks]
    turn.send_text("\n".join(lines), _view_rows([case for _, case in tasks[:10]]))


# ---------------------------------------------------------------- button dispatch
async def on_case_button(update: Update, turn: Turn, case_id: int, verb: str, arg: str | None) -> None:
    case = await turn.desk.case(case_id, lock=verb in LOCKING)
    handler = CASE_BUTTONS.get(verb)
    if handler is None:
        raise TransitionRefused("expired_button")
    await handler(update, turn, case, arg)
    await turn.desk.restage(case)


async def _view(update, turn, case, arg):
    await show_case(turn, case)


async def _accept(update, turn, case, arg):
    await turn.desk.cases.accept(case, turn.desk.actor)
    await _refresh_card(update, turn, case)
    turn.say("accepted_ack", ticket=case.ticket, case_id=case.id)
    turn.toast = t("accepted_ack", ticket=case.ticket)


async def _refresh_card(update: Update, turn: Turn, case: Case) -> None:
    """Swap the pressed card's buttons for the ones that fit the new status."""
    message = update.callback_query.message if update.callback_query else None
    if message is None or not getattr(message, "text", None) or not message.text.startswith(
            (t("card_urgent_head").strip(), "工单")):
        return
    turn.send(Outgoing(turn.chat_id, "edit", text=card_text(turn.config, case),
                       buttons=buttons_for(case, await turn.desk.cases.roles_of(case, turn.desk.actor)),
                       edit_message_id=message.message_id, case_id=case.id))


async def _transfer_menu(update, turn, case, arg):
    departments = await turn.desk.transfer_options(case)
    turn.say("transfer_menu", transfer_buttons(case, departments), ticket=case.ticket, case_id=case.id)


def _asks(action: Action, pending: str, prompt: str, **data):
    """A button that first needs typed input (a reason, a note, a reply): refuse at once if the
    action isn't allowed, rather than after the person has typed it."""
    async def handler(update, turn, case, arg):
        await turn.desk.cases.ensure_allowed(case, turn.desk.actor, action)
        await turn.desk.expect(pending, case.id, **data)
        turn.say(prompt, ticket=case.ticket, case_id=case.id)
    return handler


async def _resolve_ok(update, turn, case, arg):
    await turn.desk.resolve(case)
    if case.status == Status.VERIFYING:  # 核查结案: the grid officer checks on site first
        turn.say("check_requested_ack", ticket=case.ticket, case_id=case.id)
    else:
        turn.say("resolved_ack", ticket=case.ticket, case_id=case.id)


async def _urge(update, turn, case, arg):
    await turn.desk.cases.urge(case, turn.desk.actor)
    turn.say("urged", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)


async def _withdraw(update, turn, case, arg):
    await turn.desk.cases.ensure_allowed(case, turn.desk.actor, Action.CANCEL)
    turn.say("cancel_confirm", [[Button(BUTTONS["withdraw_yes"], f"c:{case.id}:cyes")]], ticket=case.ticket,
             case_id=case.id)


async def _withdraw_yes(update, turn, case, arg):
    await turn.desk.cases.cancel(case, turn.desk.actor)
    turn.say("cancelled_ack", ticket=case.ticket, case_id=case.id)


async def _rate(update, turn, case, arg):
    await rate_case(turn, case, arg)


async def rate_case(turn: Turn, case: Case, score: str, comment: str | None = None) -> None:
    """A rating by button, or in the resident's words ("还是老样子" is a 不满意 with that comment)."""
    rated = await turn.desk.rate(case, score, comment)
    if rated.action is Action.REOPEN:
        turn.say("rate_reopened", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)
    elif rated.action is Action.DISPUTE:
        officer = rated.supervisor
        turn.say("rate_disputed", ticket=case.ticket, case_id=case.id,
                 supervisor=f"{ROLES[officer.role]} {officer.name}" if officer else t("nobody_joined"))
    elif rated.action is Action.CO_RATE:
        turn.say("co_rate_thanks", ticket=case.ticket, case_id=case.id)
    elif score == "unsatisfied":
        turn.say("rate_unsatisfied_closed", ticket=case.ticket, case_id=case.id)
    else:
        turn.say("rate_thanks", case_id=case.id)


# ---------------------------------------------------------------- casework: merges, 联合处置
async def _merge(update, turn, case, arg):
    into = await turn.desk.merge(case, row_id(arg or ""))
    await _refresh_card(update, turn, case)  # a merged case has nothing left to press
    turn.say("merged_ack", ticket=case.ticket, other=into.ticket, case_id=case.id)


async def _unmerge(update, turn, case, arg):
    await turn.desk.unmerge(case)
    turn.say("unmerged_ack", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)


async def _accept_part(update, turn, case, arg):
    await turn.desk.cases.accept_part(case, turn.desk.actor)
    turn.say("part_accepted_ack", ticket=case.ticket, case_id=case.id)


async def transfer_to(update: Update, turn: Turn, case_id: int, kind: str, target: str | None) -> None:
    """A target picked from the 转办 menu: a department (kind "d"), another grid (kind "g"), the
    联合处置 menu (kind "j") or a co-handling department picked from it (kind "p")."""
    case = await turn.desk.case(case_id, lock=kind == "p")
    if kind == "j":
        turn.say("joint_menu", joint_buttons(case, await turn.desk.joint_options(case)), ticket=case.ticket,
                 case_id=case.id)
    elif kind == "p":
        department = await turn.desk.add_part(case, target or "")
        turn.say("part_added_ack", department=department.name, ticket=case.ticket, case_id=case.id)
    elif kind == "d":
        await turn.desk.aim_transfer(case, department_id=target or "")
        turn.say("transfer_reason_prompt", case_id=case.id)
    else:
        await turn.desk.cases.ensure_allowed(case, turn.desk.actor, Action.TRANSFER)
        await turn.desk.expect("transfer_grid", case.id)
        turn.say("transfer_grid_prompt", case_id=case.id)


CASE_BUTTONS = {
    "view": _view, "acc": _accept, "tr": _transfer_menu, "rok": _resolve_ok, "urg": _urge,
    "can": _withdraw, "cyes": _withdraw_yes, "rt": _rate,
    "ret": _asks(Action.RETURN, "return_reason", "return_reason_prompt"),
    "rej": _asks(Action.REJECT, "reject_reason", "reject_reason_prompt"),
    "rep": _asks(Action.RELAY, "reply", "reply_prompt"),
    "res": _asks(Action.RESOLVE, "resolve_note", "resolve_prompt", note="", photos=[]),
    "inf": _asks(Action.ADD_INFO, "add_info", "add_info_prompt"),
    **supervision.CASE_BUTTONS,  # 督办, 改派, 延期, 不满意 decisions
    # casework: 合并 and its undoing, the on-site check, a co-handler's part
    "mg": _merge, "um": _unmerge, "pacc": _accept_part,
    "vok": _asks(Action.VERIFY, "verify_note", "verify_prompt", verdict="ok", photos=[]),
    "vno": _asks(Action.VERIFY_FAIL, "verify_note", "verify_fail_prompt", verdict="fail", photos=[]),
    "pdone": _asks(Action.FINISH_PART, "part_note", "part_note_prompt"),
}
# Presses that change a case lock its row, so two officers pressing 接单 together can't both win.
LOCKING = {"acc", "rok", "cyes", "rt", "mg", "um", "pacc", *supervision.LOCKING}


# ---------------------------------------------------------------- typed follow-ups the bot asked for
async def on_pending_text(update: Update, turn: Turn, pending, text: str) -> bool:
    """Handle text the bot asked for; False when the pending question does not take text."""
    handler = PENDING_TEXT.get(pending.action)
    if handler is None:
        return False
    case = await turn.desk.case(pending.case_id, lock=True) if pending.case_id else None
    try:
        async with turn.desk.savepoint():
            await handler(update, turn, pending, case, text)
    except TransitionRefused as refused:
        if refused.reason in ASKED_AGAIN:
            raise
        await turn.desk.done_expecting()  # the answer can never be taken: end the question, say why
        turn.say(refused.reason, **refused.params)
        turn.say("prompt_ended")
    return True


async def _p_redescribe(update, turn, pending, case, text):
    await turn.desk.done_expecting()
    await report_text(turn, text, replace=True)


async def _p_resolve_note(update, turn, pending, case, text):
    await turn.desk.remember(pending, note=text)
    turn.say("resolve_ready", [[Button(BUTTONS["resolve_ok"], f"c:{case.id}:rok")]], note=text,
             photos=len(pending.data.get("photos", [])), ticket=case.ticket, case_id=case.id)


async def _p_transfer_reason(update, turn, pending, case, text):
    await turn.desk.transfer(case, text, pending.data)
    turn.say("transferred_ack", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)


async def _p_verify_note(update, turn, pending, case, text):
    if await turn.desk.verify(case, text):
        turn.say("verified_ack", ticket=case.ticket, case_id=case.id)
    else:
        turn.say("verify_failed_ack", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)


async def _p_transfer_grid(update, turn, pending, case, text):
    await choose_grid(turn, case, text)


async def choose_grid(turn: Turn, case: Case, grid_id: str | None) -> None:
    """The grid typed or pointed at for a 转办; a wrong one is said and the question stays open."""
    try:
        async with turn.desk.savepoint():
            await turn.desk.aim_transfer(case, grid_id=grid_id or "")
    except TransitionRefused as refused:
        turn.say(refused.reason, case_id=case.id, **refused.params)
        return
    turn.say("transfer_reason_prompt", case_id=case.id)


def _completes(method: str, ack: str):
    """A typed answer that completes one CaseService call, then an acknowledgement."""
    async def handler(update, turn, pending, case, text):
        await getattr(turn.desk.cases, method)(case, turn.desk.actor, text)
        await turn.desk.done_expecting()
        turn.say(ack, ticket=case.ticket, case_id=case.id)
    return handler


# Refusals of what was typed rather than of the question itself: the question stays for another try.
ASKED_AGAIN = {"extend_past", "note_required", "same_officer", "unknown_grid", "same_grid", "reassign_not_found"}

PENDING_TEXT = {
    "redescribe": _p_redescribe, "resolve_note": _p_resolve_note,
    "transfer_reason": _p_transfer_reason, "transfer_grid": _p_transfer_grid,
    "reply": _completes("relay", "relay_sent"),
    "return_reason": _completes("return_case", "returned_ack"),
    "reject_reason": _completes("reject", "rejected_ack"),
    "add_info": _completes("add_info", "info_added"),
    "rate_comment": _completes("comment_rating", "rate_comment_saved"),
    **supervision.PENDING_TEXT,  # 督办 note, 延期 time and reason
    "verify_note": _p_verify_note,
    "part_note": _completes("finish_part", "part_done_ack"),
}


# Photos kept as evidence until the note completes the step, and the attachment purpose they get.
EVIDENCE = {"resolve_note": "resolution", "verify_note": "verification"}


async def on_pending_photo(update: Update, turn: Turn, pending) -> bool:
    """Photos the bot asked for: resolution evidence, added information, or one for the resident."""
    desk = turn.desk
    if pending.action in EVIDENCE:
        case = await desk.case(pending.case_id)
        attachment = await store_photo(update, turn, EVIDENCE[pending.action])
        await desk.attach(attachment, case)
        await desk.remember(pending, photos=[*pending.data.get("photos", []), attachment.id])
        if pending.action == "verify_note":
            turn.say("photo_added_to_verification", n=len(pending.data["photos"]), case_id=case.id)
        elif pending.data.get("note"):  # the confirmation already went out: send it again with the photos counted
            await _p_resolve_note(update, turn, pending, case, pending.data["note"])
        else:
            turn.say("photo_added_to_resolution", n=len(pending.data["photos"]), case_id=case.id)
        return True
    if pending.action in ("add_info", "reply"):
        case = await desk.case(pending.case_id)
        attachment = await store_photo(update, turn, "info" if pending.action == "add_info" else "relay")
        await desk.attach(attachment, case)
        caption = clean_text(update.effective_message.caption or "", turn.config.intake.max_text_chars)
        if pending.action == "add_info":
            await desk.cases.add_info(case, desk.actor, caption, attachment.id)
            turn.say("info_added", ticket=case.ticket, case_id=case.id)
        else:
            await desk.cases.relay(case, desk.actor, caption, attachment.id)
            turn.say("relay_sent", case_id=case.id)
        await desk.done_expecting()
        return True
    return False
