"""A resident's free text, read in their conversation (bot/conversation.py), turned into what the
bot does: continue or start a report, act on the case it is about, or ask with buttons."""
from __future__ import annotations

from telegram import Update

from bot.conversation import Move, Reading, announces_only
from bot.hygiene import row_id
from bot.lifecycle import TransitionRefused
from bot.outbox import Button
from bot.records import Case
from bot.understanding import Intent, Parse
from handlers import casework, intake
from handlers.common import Turn
from handlers.render import assignee_text, local, place_grid_name
from handlers.texts import t

CHAT_KEYS = {Intent.THANKS: "thanks", Intent.OUT_OF_SCOPE: "out_of_scope"}
# What an option button says, by move (ASK), and the callback verb it carries.
OPTION_KEYS = {Move.URGE: "meant_urge", Move.ADD_INFO: "meant_add_info", Move.PROGRESS: "meant_progress",
               Move.CANCEL: "meant_cancel", Move.RATE_GOOD: "meant_rate_good", Move.RATE_BAD: "meant_rate_bad",
               Move.REPORT: "meant_report"}


async def respond(update: Update, turn: Turn, reading: Reading, text: str, parse: Parse | None) -> None:
    move, case = reading.move, reading.case
    if move is Move.REPORT:
        await intake.report_text(turn, text, parse)
    elif move is Move.URGE:
        await turn.desk.cases.urge(case, turn.desk.actor)
        turn.say("urged", ticket=case.ticket, assignee=assignee_text(case), case_id=case.id)
    elif move is Move.ADD_INFO and announces_only(text):
        await casework.on_case_button(update, turn, case.id, "inf", None)  # "please send it"
    elif move is Move.ADD_INFO:
        await turn.desk.cases.add_info(case, turn.desk.actor, text)
        turn.say("info_added", ticket=case.ticket, case_id=case.id)
    elif move is Move.PROGRESS:
        await casework.show_case(turn, case)
    elif move is Move.CANCEL:
        await casework.on_case_button(update, turn, case.id, "can", None)
    elif move is Move.RATE_GOOD:
        await casework.rate_case(turn, case, "satisfied")
    elif move is Move.RATE_BAD:
        await casework.rate_case(turn, case, "unsatisfied", text)
    elif move in (Move.ASK, Move.CHOOSE):
        await turn.desk.expect("meant", text=text)
        if move is Move.ASK:
            turn.say("meant_ask", _options(reading), case=describe(turn, case))
        else:
            turn.say("meant_choose", [[Button(describe(turn, c), f"m:{reading.then}:{c.id}")] for c in reading.cases])
    elif move is Move.NONE_OPEN:
        turn.say("nothing_to_rate" if reading.intent in (Intent.RATE_BAD,) else "no_open_cases")
    else:
        key = CHAT_KEYS.get(reading.intent)
        turn.say(key or ("help_staff" if turn.desk.is_staff else "help"))


def _options(reading: Reading) -> list[list[Button]]:
    return [[Button(t(OPTION_KEYS[move], ticket=case.ticket if case else ""),
                    f"m:{move}:{case.id if case else '-'}")] for move, case in reading.options]


def describe(turn: Turn, case: Case) -> str:
    """A case as a person recognises it, not by its ticket: 路灯 · 中山五路12号 · 11-24."""
    place = case.address_text or place_grid_name(case) or ""
    category = turn.config.category_name(case.category).split("/")[0]
    return " · ".join(p for p in (category, place, local(turn.config, case.created_at)[:5]) if p)


async def on_meant_button(update: Update, turn: Turn, move: str, case_id: str) -> None:
    """A button of the question above: do that with the words the person wrote."""
    pending = await turn.desk.pending()
    if pending is None or pending.action != "meant":
        raise TransitionRefused("expired_button")
    text = pending.data.get("text", "")
    await turn.desk.done_expecting()
    case = await turn.desk.case(row_id(case_id)) if case_id != "-" else None
    await respond(update, turn, Reading(Move(move), case), text, None)
