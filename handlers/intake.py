"""Report intake for residents and officers on patrol: text, photos and location → a confirmed case."""
from __future__ import annotations

import logging

from telegram import Update

from bot.intake import DraftState
from bot.outbox import Outgoing
from bot.routing import place_in_grid
from handlers.common import Turn
from bot.lifecycle import TransitionRefused
from handlers.render import category_buttons, draft_buttons, place_buttons, summary_text, urgent_mark
from handlers.texts import t
from bot.understanding import Parse
from storage.models import Address, Attachment, Grid

log = logging.getLogger(__name__)


def source_of(turn: Turn) -> str:
    return "patrol" if turn.actor.post.is_staff else "resident"


async def show_draft(turn: Turn, state: DraftState, *, refresh_summary: bool = False) -> None:
    """Ask for what is missing, or show the summary to confirm (editing it in place for album photos)."""
    draft = state.draft
    if "description" in state.missing:
        what = (t("what_photos", n=state.photos) if state.photos > 1 else t("what_photo")) if state.photos \
            else t("what_location")
        turn.say("need_description", what=what)
        return
    if "location" in state.missing:
        turn.say("need_location", summary=draft.description[:60], ask_location=True)
        return
    grid = await turn.session.get(Grid, draft.grid_id)
    text = summary_text(turn.config, draft, grid.name if grid else None, state.photos)
    if refresh_summary and draft.summary_outbox_id:
        turn.send(Outgoing(turn.chat_id, "edit", text=text, buttons=draft_buttons(), edit_of=draft.summary_outbox_id))
        return
    row = turn.send(Outgoing(turn.chat_id, text=text, buttons=draft_buttons()))
    await turn.session.flush()
    draft.summary_outbox_id = row.id


async def report_text(turn: Turn, text: str, parse: Parse | None = None, *, replace: bool = False) -> None:
    state, parse = await turn.intake.add_text(turn.person, text, source_of(turn), parse=parse, replace=replace)
    if state.draft.grid_id is None:
        decision = turn.services.places.match(state.draft.description, parse.first("address"))
        if decision.status == "matched":
            address = await turn.session.get(Address, decision.best.address_id)
            state = await turn.intake.add_address(turn.person, address, source_of(turn))
        elif decision.status == "confirm":
            turn.say("place_confirm", place_buttons(decision.candidates), summary=state.draft.description[:60])
            return
        elif decision.status == "outside":
            turn.say("place_outside", place=decision.best.name if decision.best else decision.reason)
            return
    await show_draft(turn, state)


async def store_photo(update: Update, turn: Turn, purpose: str) -> Attachment:
    """Keep Telegram's file id and our own copy with its sha256 (the copy is best effort: the id suffices to resend)."""
    photo = update.effective_message.photo[-1]
    attachment = Attachment(purpose=purpose, tg_file_id=photo.file_id, tg_file_unique_id=photo.file_unique_id,
                            created_at=turn.now)
    try:
        data = bytes(await (await update.get_bot().get_file(photo.file_id)).download_as_bytearray())
        stored = turn.services.photos.save(data)
        attachment.path, attachment.sha256, attachment.size = stored.path, stored.sha256, stored.size
    except Exception:
        log.warning("could not download photo %s; keeping the Telegram file id only", photo.file_id, exc_info=True)
    turn.session.add(attachment)
    await turn.session.flush()
    return attachment


async def report_photo(update: Update, turn: Turn) -> None:
    group = update.effective_message.media_group_id
    if await turn.intake.photo_room(turn.person) <= 0:
        draft = await turn.intake.current(turn.person)
        if group is None or group not in (draft.media_groups if draft else []):
            turn.say("too_many_photos", limit=turn.config.intake.max_photos, extra=1)
        return
    attachment = await store_photo(update, turn, "report")
    state, first_of_album = await turn.intake.add_photo(turn.person, attachment, group, source_of(turn))
    if first_of_album:
        await show_draft(turn, state)
    elif state.complete:
        await show_draft(turn, state, refresh_summary=True)


async def report_location(turn: Turn, lat: float, lon: float) -> None:
    grid_id = turn.services.locate(lat, lon)
    if grid_id is None:
        turn.say("outside_district", lat=lat, lon=lon)
        return
    state = await turn.intake.add_location(turn.person, lat, lon, grid_id, source_of(turn))
    await show_draft(turn, state)


async def on_draft_button(turn: Turn, verb: str, arg: str | None) -> None:
    draft = await turn.intake.current(turn.person)
    if draft is None:
        turn.say("no_draft")
        turn.toast = t("no_draft")
        return
    if verb == "no":
        await turn.intake.discard(turn.person)
        turn.say("draft_cancelled")
    elif verb == "edit":
        parse = await turn.services.nlu.parse(draft.description) if draft.description else None
        ranking = [c for c, _ in parse.category_ranking] if parse else []
        turn.say("choose_category", category_buttons(turn.config, ranking))
    elif verb == "redo":
        await turn.expect("redescribe")
        turn.say("redescribe_prompt")
    elif verb == "cat" and arg in turn.config.categories:
        await show_draft(turn, await turn.intake.set_category(turn.person, arg))
    elif verb == "ok":
        await confirm(turn)
    elif verb == "place" and arg == "-":
        turn.say("need_location", summary=draft.description[:60], ask_location=True)
    elif verb == "place":
        address = await turn.session.get(Address, arg or "")
        if address is None:
            raise TransitionRefused("expired_button")
        await show_draft(turn, await turn.intake.add_address(turn.person, address, source_of(turn)))


async def confirm(turn: Turn) -> None:
    draft = await turn.intake.current(turn.person)
    state = await turn.intake.state(draft)
    if not state.complete:
        await show_draft(turn, state)
        return
    placement = await place_in_grid(turn.session, draft.grid_id, turn.now)
    case = await turn.cases.file(draft, turn.person, placement)
    await turn.intake.discard(turn.person)
    key = "filed_patrol" if case.source == "patrol" else "filed"
    turn.say(key, ticket=case.ticket, category=turn.config.category_name(case.category),
             urgent=urgent_mark(case.urgent), assignee=await turn.cases.assignee_label(case),
             case_id=case.id)
    turn.toast = case.ticket
