"""Report intake for residents and officers on patrol: render each `IntakeStep` the desk decides,
and the draft's buttons (确认 / 修改 / 取消, places, categories)."""
from __future__ import annotations

import logging

from telegram import Update

from bot.desk import DuplicateOffer, Filed
from bot.hygiene import clean_text, row_id
from bot.intake import IntakeStep, Next
from bot.outbox import Button, Outgoing
from bot.understanding import Parse
from handlers.common import Turn
from handlers.render import (
    category_buttons, clip, draft_buttons, emergency_text, personal, place_buttons, summary_text, urgent_mark,
)
from handlers.texts import BUTTONS, STATUS, t

log = logging.getLogger(__name__)

# The steps at which the reporter of something dangerous is told whom to call meanwhile.
WARN_AT = (Next.LOCATE, Next.PICK_PLACE, Next.CONFIRM)


async def show(turn: Turn, step: IntakeStep) -> None:
    """Ask for what is missing, offer the places, refuse a place outside, or show the summary to
    confirm (editing it in place for a late album photo)."""
    state, draft = step.state, step.state.draft if step.state else None
    if draft is not None and turn.desk.intake.warn_once(draft) and step.next in WARN_AT:
        turn.send_text(emergency_text(turn.config, draft.category or "other"))  # first: it may save a life
    if step.next is Next.DESCRIBE:
        what = (t("what_photos", n=state.photos) if state.photos > 1 else t("what_photo")) if state.photos \
            else t("what_location")
        turn.say("need_description", what=what)
    elif step.next is Next.LOCATE:
        turn.say("need_location", summary=received(draft, state.photos), ask_location=True)
    elif step.next is Next.PICK_PLACE:
        turn.say("place_confirm", place_buttons(step.place.candidates), summary=received(draft, state.photos))
    elif step.next is Next.PLACE_OUTSIDE:
        turn.say("place_outside", place=step.place.outside_name)
    elif step.next is Next.POINT_OUTSIDE:
        turn.say("outside_district", lat=step.point[0], lon=step.point[1])
    elif step.next is Next.TOO_MANY_PHOTOS:
        turn.say("too_many_photos", limit=turn.config.intake.max_photos, extra=1)
    elif step.next is Next.CONFIRM:
        text = summary_text(turn.config, draft, step.grid_name, state.photos)
        if step.refresh:
            turn.send(Outgoing(turn.chat_id, "edit", text=text, buttons=draft_buttons(),
                               edit_of=draft.summary_outbox_id))
        else:
            await turn.desk.intake.summary_shown(
                turn.desk.person, await turn.desk.mail.send_tracked(Outgoing(turn.chat_id, text=text,
                                                                              buttons=draft_buttons())))


def received(draft, photos: int) -> str:
    """What the report holds so far, as 收到： repeats it: the words, and the photos when there are any
    (a photo sent after the words is acknowledged, not met with the same sentence again)."""
    return draft.description[:60] + (t("with_photos", n=photos) if photos else "")


async def report_text(turn: Turn, text: str, parse: Parse | None = None, *, replace: bool = False) -> None:
    await show(turn, await turn.desk.report_text(text, parse, replace=replace))


async def store_photo(update: Update, turn: Turn, purpose: str):
    """Keep Telegram's file id and our own copy (best effort: the id suffices to resend)."""
    photo = update.effective_message.photo[-1]
    try:
        data = bytes(await (await update.get_bot().get_file(photo.file_id)).download_as_bytearray())
    except Exception as exc:  # expected now and then (a file Telegram no longer has): one line, no traceback
        log.warning("could not download photo %s (%s: %s); keeping the Telegram file id only", photo.file_id[:80],
                    type(exc).__name__, str(exc)[:200])
        data = None
    return await turn.desk.store_photo(purpose, clean_text(photo.file_id, 256), clean_text(photo.file_unique_id, 128),
                                       data)


async def report_photo(update: Update, turn: Turn) -> None:
    group = clean_text(update.effective_message.media_group_id or "", 64) or None
    refused = await turn.desk.photo_refused(group)
    if refused is not None:
        await show(turn, refused)
        return
    attachment = await store_photo(update, turn, "report")
    await show(turn, await turn.desk.report_photo(attachment, group))


async def report_location(turn: Turn, lat: float, lon: float) -> None:
    await show(turn, await turn.desk.report_location(lat, lon))


async def on_draft_button(turn: Turn, verb: str, arg: str | None) -> None:
    desk = turn.desk
    draft = await desk.intake.current(desk.person)
    if draft is None:
        turn.say("no_draft")
        turn.toast = t("no_draft")
        return
    if verb == "no":
        await desk.intake.discard(desk.person)
        turn.say("draft_cancelled")
    elif verb == "edit":
        turn.say("choose_category", category_buttons(turn.config, await desk.intake.category_ranking(desk.person)))
    elif verb == "redo":
        await desk.expect("redescribe")
        turn.say("redescribe_prompt")
    elif verb == "cat":
        await show(turn, await desk.intake.choose_category(desk.person, arg or ""))
    elif verb == "ok":
        await confirm(turn)
    elif verb == "new":  # 仍然新报: not the case nearby it was offered
        await confirm(turn, anyway=True)
    elif verb == "follow":
        case = await desk.follow(row_id(arg or ""))
        turn.say("followed_ack", ticket=case.ticket, case_id=case.id)
    elif verb == "place" and arg == "-":
        turn.say("need_location", summary=draft.description[:60], ask_location=True)
    elif verb == "place":
        await show(turn, await desk.intake.choose_place(desk.person, arg or "", desk.source))


async def confirm(turn: Turn, *, anyway: bool = False) -> None:
    result = await turn.desk.file(anyway=anyway)
    if isinstance(result, DuplicateOffer):
        offer_duplicate(turn, result)
        return
    if not isinstance(result, Filed):
        await show(turn, result)
        return
    case = result.case
    key = "filed_patrol" if case.source == "patrol" else "filed"
    turn.say(key, ticket=case.ticket, category=turn.config.category_name(case.category),
             urgent=urgent_mark(case.urgent), assignee=result.assignee, case_id=case.id)
    if result.warn:
        turn.send_text(emergency_text(turn.config, case.category))
    turn.toast = case.ticket


def offer_duplicate(turn: Turn, offer: DuplicateOffer) -> None:
    """附近已有相同问题 YX-…：关注它 / 仍然新报 (another resident's report: their numbers masked)."""
    case = offer.case
    turn.say("duplicate_offer", [[Button(BUTTONS["follow_it"], f"d:follow:{case.id}"),
                                  Button(BUTTONS["file_anyway"], "d:new")]],
             ticket=case.ticket, category=turn.config.category_name(case.category), metres=round(offer.metres),
             status=STATUS[case.status], description=clip(personal(turn.config, case.description, set()), 200))
