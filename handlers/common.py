"""What every handler shares: only stored updates handled, each once; one desk (transaction) per
update, replies through the outbox, and refusals and failures turned into plain Chinese.

A handler is `async def h(update, turn: Turn)`. The `handles` wrapper opens the person's desk,
runs the handler, marks the stored update done in the same transaction, and turns a refused step
into a plain answer (what the step changed rolled back with its desk; the answer and the mark in
a desk of their own). Anything else that fails leaves the update stored as failed,
with an apology queued, and nothing half-done.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot.desk import Caller, Desk
from bot.hygiene import clean_text, error_line, ids_fit
from bot.inbox import AlreadyHandled
from bot.lifecycle import TransitionRefused
from bot.outbox import Button, Outgoing
from bot.people import Refused
from bot.services import Services
from handlers.texts import t

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """One update's worth of context: the person's desk and what the answer to the press says."""

    desk: Desk
    chat_id: int
    toast: str | None = None

    @property
    def config(self):
        return self.desk.config

    def say(self, key: str, buttons: list[list[Button]] | None = None, *, case_id: int | None = None,
            ask_location: bool = False, **params) -> None:
        self.send(Outgoing(self.chat_id, text=t(key, **params), buttons=buttons or [], case_id=case_id,
                           ask_location=ask_location))

    def send_text(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        self.send(Outgoing(self.chat_id, text=text, buttons=buttons or []))

    def send(self, message: Outgoing) -> None:
        self.desk.send(message)


Handler = Callable[[Update, Turn], Awaitable[None]]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


def handles(fn: Handler) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await _handle(fn, update, context)
        except AlreadyHandled:  # what handling it changed was rolled back with the mark that refused
            log.warning("update %s was handled already or never stored: its handling left nothing",
                        update.update_id)
    return wrapper


async def _handle(fn: Handler, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Only an update stored and still waiting is marked done, in the transaction of what handling it
    changed (Inbox.mark): a second handling, or one of an update never stored, commits nothing."""
    services = services_of(context)
    user, chat = update.effective_user, update.effective_chat
    # The bot works in private chats, where the chat id is the user's id (a button press on an
    # inaccessible message carries no chat). Group messages, and forged updates whose ids no
    # column can hold (bot/hygiene.py), are stored and left alone.
    chat_id = chat.id if chat is not None else (user.id if user is not None else None)
    if user is None or (chat is not None and chat.type != "private") or not ids_fit(update.to_dict()):
        await services.inbox.settle(update.update_id, "done", services.clock.now())
        return
    if not await admitted(services, update, chat_id):
        if update.callback_query is not None:
            context.application.create_task(_answer(update, None))
        return
    caller = Caller(user.id, chat_id, clean_text(" ".join(p for p in (user.first_name, user.last_name) if p), 128),
                    clean_text(user.username or "", 64) or None)
    toast = None
    try:
        try:
            async with services.desk(caller) as desk:
                turn = Turn(desk, chat_id)
                try:
                    async with desk.undoable():
                        await fn(update, turn)
                except (TransitionRefused, Refused) as refused:
                    if not desk.first_contact:
                        raise _Undone(refused) from refused  # the desk rolls back all the handler changed
                    _say_refused(turn, refused)  # the savepoint undid what the handler changed
                toast = await _settle(turn, update)
        except _Undone as undone:
            # A refused step leaves nothing half-done: it is said, and the update marked, in a unit of
            # work of its own (a savepoint around every handler would cost two statements each time).
            async with services.desk(caller) as desk:
                turn = Turn(desk, chat_id)
                _say_refused(turn, undone.refused)
                toast = await _settle(turn, update)
    except AlreadyHandled:
        raise
    except Exception as exc:
        log.exception("update %s failed", update.update_id)
        await apologise(services, update.update_id, chat_id, user.id, exc)
    finally:
        services.queued()
    if update.callback_query is not None:  # off the update path: the next update need not wait for it
        context.application.create_task(_answer(update, toast))


class _Undone(Exception):
    """A handler's step was refused: what it changed is rolled back with its desk."""

    def __init__(self, refused: TransitionRefused | Refused) -> None:
        super().__init__(refused.reason)
        self.refused = refused


def _say_refused(turn: Turn, refused: TransitionRefused | Refused) -> None:
    params = getattr(refused, "params", {})
    turn.say(refused.reason, **params)
    turn.toast = t(refused.reason, **params)


async def _settle(turn: Turn, update: Update) -> str | None:
    """The end of every handled update, in its unit of work: a command is a new start (no question
    the bot asked still stands), and the update is marked done. Returns the press's answer."""
    if is_command(update):
        await turn.desk.done_expecting()
    await turn.desk.handled(update.update_id)
    return turn.toast


def is_command(update: Update) -> bool:
    message = update.message
    return message is not None and (message.text or "").startswith("/")


async def admitted(services: Services, update: Update, chat_id: int) -> bool:
    """Within the person's rate limit; otherwise the update is set aside as rate-limited, cheaply
    (no desk, no NLU), and the person is told once per spell."""
    album = update.message.media_group_id if update.message is not None else None
    verdict = services.limits.message(update.effective_user.id, services.clock.now(), album)
    if verdict.admitted:
        return True
    notice = [Outgoing(chat_id, text=t("rate_limited"))] if verdict.tell else []
    await services.set_aside(update.update_id, "rate-limited", notice)
    services.queued()
    return False


async def apologise(services: Services, update_id: int | None, chat_id: int | None, user_id: int | None,
                    exc: BaseException) -> None:
    """The update is marked failed, the person gets a short apology and the ops chat
    (telegram.ops_chat_id) a one-line alert."""
    ops = services.config.telegram.ops_chat_id
    messages = [Outgoing(chat_id, text=t("error"))] if chat_id is not None else []
    if ops:
        messages.append(Outgoing(ops, text=t("ops_alert", update_id=update_id, user=user_id or "-",
                                             error=error_line(exc)[:300])))
    try:
        await services.failed(update_id, error_line(exc), messages)
    except Exception:  # the database itself may be what failed; the log keeps the story
        log.exception("could not queue the apology for update %s", update_id)
    services.queued()


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB's error handler, for what fails outside `handles` (storing the update, PTB itself)."""
    services = services_of(context)
    known = update if isinstance(update, Update) else None
    update_id = known.update_id if known else None
    log.error("update %s failed outside its handler", update_id, exc_info=context.error)
    user = known.effective_user if known else None
    await apologise(services, update_id, private_chat(known) if known else None, user.id if user else None,
                    context.error)


def private_chat(update: Update) -> int | None:
    chat = update.effective_chat
    return chat.id if chat is not None and chat.type == "private" else None


async def _answer(update: Update, toast: str | None) -> None:
    try:
        await update.callback_query.answer(toast[:190] if toast else None)
    except Exception:  # a late or duplicate answer only costs the button's spinner
        log.debug("answerCallbackQuery failed", exc_info=True)
