"""The Telegram entry points: each reads the update, picks the service call, and leaves rendering to render.py."""
from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters,
)

from bot.conversation import CASE_MOVES
from bot.hygiene import clean_text, finite, phone, row_id
from bot.lifecycle import TransitionRefused
from bot.outbox import Outgoing
from bot.understanding import normalize_ticket
from handlers import casework, conversation, intake
from handlers.common import Turn, handles, on_error
from handlers.render import STAFF, personal, privacy_text
from handlers.texts import ROLES, t


def typed(update: Update) -> str:
    """The message's text as it may be stored (bot/hygiene.py)."""
    return clean_text(update.effective_message.text or "")


def caption(update: Update, turn: Turn) -> str:
    return clean_text(update.effective_message.caption or "", turn.config.intake.max_text_chars).strip()


# ---------------------------------------------------------------- commands
@handles
async def start(update: Update, turn: Turn) -> None:
    turn.say("start", privacy=privacy_text(turn.config))
    if turn.desk.is_staff:
        turn.say("help_staff")


@handles
async def help_command(update: Update, turn: Turn) -> None:
    turn.say("help_staff" if turn.desk.is_staff else "help")


@handles
async def my(update: Update, turn: Turn) -> None:
    await casework.my_cases(turn)


@handles
async def tasks(update: Update, turn: Turn) -> None:
    await casework.tasks(turn)


@handles
async def patrol(update: Update, turn: Turn) -> None:
    turn.say("patrol_started" if turn.desk.is_staff else "staff_only")


@handles
async def cancel_command(update: Update, turn: Turn) -> None:
    turn.say("draft_discarded_by_command" if await turn.desk.forget_all() else "nothing_to_cancel")


@handles
async def join(update: Update, turn: Turn) -> None:
    args = typed(update).split()[1:]
    if len(args) != 1:
        turn.say("join_usage")
        return
    post = await turn.desk.join(args[0])  # cards that waited for this post follow the welcome
    if post.officer:
        scope = "、".join(s.scope_id for s in post.officer.scopes)
        turn.say("joined_officer", name=post.officer.name, role=ROLES[post.officer.role], scope=scope)
    else:
        turn.say("joined_department", department=post.department.name)
    offer_mini_app(turn)


@handles
async def web(update: Update, turn: Turn) -> None:
    turn.say("web_link", url=await turn.desk.web_link(), minutes=f"{turn.config.web.link_minutes:g}")
    offer_mini_app(turn)


def offer_mini_app(turn: Turn) -> None:
    """A staff chat's menu button opens the command centre as a Mini App, where it has a public https
    address; /web sets it again, for staff who joined before that address was configured."""
    url = turn.config.web.mini_app_url
    if url:
        turn.send(Outgoing(turn.chat_id, kind="menu_button", text=t("web_menu_button"), web_app_url=url))


@handles
async def leave(update: Update, turn: Turn) -> None:
    """/leave 3d [代班工号] for oneself; a supervisor: /leave 工号 3d [代班工号]."""
    record = await turn.desk.leave(typed(update).split()[1:])
    until = record.ends_at.astimezone(turn.config.tz).strftime("%m-%d %H:%M")
    turn.say("leave_set", officer=record.officer_id, until=until, substitute=record.substitute_id or "上级")


@handles
async def back(update: Update, turn: Turn) -> None:
    turn.say("leave_ended" if await turn.desk.back() else "leave_none")


@handles
async def unknown_command(update: Update, turn: Turn) -> None:
    turn.say("unknown_command_staff" if turn.desk.is_staff else "unknown_command")


# ---------------------------------------------------------------- messages
@handles
async def text(update: Update, turn: Turn) -> None:
    message = update.effective_message
    body = typed(update).strip()
    if not body:
        turn.say("empty_text")
        return
    if len(body) > turn.config.intake.max_text_chars:
        turn.say("text_too_long", length=len(body), limit=turn.config.intake.max_text_chars)
        return
    desk = turn.desk
    pending, parse = await desk.pending_for(body)
    if pending is not None and await casework.on_pending_text(update, turn, pending, body):
        return
    if message.reply_to_message is not None:
        case_id = await desk.case_of_message(message.reply_to_message.message_id)
        if case_id is not None:
            case = await desk.case(case_id)
            await desk.cases.relay(case, desk.actor, body)
            turn.say("relay_sent", case_id=case.id)
            return
    parse = parse or await desk.understand(body)
    ticket = normalize_ticket(parse.first("ticket") or "")
    if ticket and parse.intent not in CASE_MOVES:  # a bare ticket, or a question about it: show the case
        await casework.show_ticket(turn, ticket)
        return
    await by_intent(update, turn, body, parse, ticket)


async def by_intent(update: Update, turn: Turn, body: str, parse, ticket: str | None) -> None:
    reading = await turn.desk.read(body, parse, ticket)
    await conversation.respond(update, turn, reading, body, parse)


@handles
async def photo(update: Update, turn: Turn) -> None:
    desk = turn.desk
    pending = await desk.pending()
    if pending is not None and await casework.on_pending_photo(update, turn, pending):
        return
    reply = update.effective_message.reply_to_message
    if reply is not None:
        case_id = await desk.case_of_message(reply.message_id)
        if case_id is not None:
            case = await desk.case(case_id)
            attachment = await intake.store_photo(update, turn, "relay")
            await desk.attach(attachment, case)
            await desk.cases.relay(case, desk.actor, caption(update, turn), attachment.id)
            turn.say("relay_sent", case_id=case.id)
            return
    words = caption(update, turn)
    await intake.report_photo(update, turn)
    if words:
        await intake.report_text(turn, words)


@handles
async def location(update: Update, turn: Turn) -> None:
    loc = update.effective_message.location
    if not finite(loc.latitude, loc.longitude) or abs(loc.latitude) > 90 or abs(loc.longitude) > 180:
        turn.say("location_unreadable", ask_location=True)
        return
    pending = await turn.desk.pending()
    if pending is not None and pending.action == "transfer_grid":
        case = await turn.desk.case(pending.case_id)
        await casework.choose_grid(turn, case, turn.desk.grid_at(loc.latitude, loc.longitude))
        return
    await intake.report_location(turn, loc.latitude, loc.longitude)


@handles
async def contact(update: Update, turn: Turn) -> None:
    shared = update.effective_message.contact
    if shared.user_id not in (None, update.effective_user.id):
        turn.say("unsupported_media", kind=t("kind_other"))
        return
    number = phone(shared.phone_number or "")
    if number is None:
        turn.say("contact_unreadable")
        return
    turn.desk.save_phone(number)
    turn.say("contact_saved", masked=personal(turn.config, number, STAFF))


@handles
async def unsupported(update: Update, turn: Turn) -> None:
    message = update.effective_message
    kind = next((k for k in ("sticker", "voice", "video", "document") if getattr(message, k, None)), "other")
    turn.say("unsupported_media", kind=t(f"kind_{kind}"))


@handles
async def button(update: Update, turn: Turn) -> None:
    """Callback data: d:<verb>[:arg] for drafts, c:<case>:<verb>[:arg] for cases, t:<case>:<d|g>[:dept],
    m:<move>:<case|-> for what a message meant."""
    parts = clean_text(update.callback_query.data or "", 64).split(":")
    try:
        if parts[0] == "d":
            await intake.on_draft_button(turn, parts[1], parts[2] if len(parts) > 2 else None)
        elif parts[0] == "c":
            await casework.on_case_button(update, turn, row_id(parts[1]), parts[2],
                                          parts[3] if len(parts) > 3 else None)
        elif parts[0] == "m":
            await conversation.on_meant_button(update, turn, parts[1], parts[2])
        elif parts[0] == "t":
            await casework.transfer_to(update, turn, row_id(parts[1]), parts[2], parts[3] if len(parts) > 3 else None)
        else:
            raise TransitionRefused("expired_button")
    except (IndexError, ValueError):
        raise TransitionRefused("expired_button") from None


@handles
async def other_update(update: Update, turn: Turn) -> None:
    """Edited messages, reactions and the like: stored, acknowledged, nothing else to do."""


def register(application: Application) -> None:
    application.add_error_handler(on_error)
    for name, callback in (("start", start), ("help", help_command), ("my", my), ("tasks", tasks),
                           ("patrol", patrol), ("cancel", cancel_command), ("join", join), ("leave", leave),
                           ("back", back), ("web", web)):
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, text))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.PHOTO, photo))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.LOCATION, location))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.CONTACT, contact))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, unsupported))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(TypeHandler(Update, other_update))
