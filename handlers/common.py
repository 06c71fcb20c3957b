"""What every handler shares: storing the update first, one transaction per update, replies via the outbox.

A handler is `async def h(update, ctx: Turn)`. The `handles` wrapper opens the unit of work,
runs it, marks the stored update done in the same transaction, and turns a refused transition
into a plain answer. Anything else that fails leaves the update stored as failed, with an
apology queued, and nothing half-done.
"""
from __future__ import annotations

import functools
import logging
import traceback
from datetime import timedelta
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.cases import Actor, CaseService
from bot.intake import IntakeService
from bot.lifecycle import TransitionRefused
from bot.outbox import Button, Outgoing, enqueue
from bot.people import Refused, ensure_person, staff_post
from bot.services import Services
from handlers.render import OutboxNotifier
from handlers.texts import t
from storage.models import InboundUpdate, OutboxMessage, PendingInput, Person

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """One update's worth of context: who is talking, the open transaction, and the services."""

    services: Services
    session: AsyncSession
    person: Person
    chat_id: int
    actor: Actor
    cases: CaseService
    intake: IntakeService
    notifier: OutboxNotifier
    toast: str | None = None
    edits: list[Outgoing] = field(default_factory=list)

    @property
    def config(self):
        return self.services.config

    @property
    def now(self):
        return self.services.clock.now()

    def say(self, key: str, buttons: list[list[Button]] | None = None, *, case_id: int | None = None,
            ask_location: bool = False, **params) -> OutboxMessage:
        return self.send(Outgoing(self.chat_id, text=t(key, **params), buttons=buttons or [],
                                  case_id=case_id, ask_location=ask_location))

    def send_text(self, text: str, buttons: list[list[Button]] | None = None) -> OutboxMessage:
        return self.send(Outgoing(self.chat_id, text=text, buttons=buttons or []))

    def send(self, message: Outgoing) -> OutboxMessage:
        return enqueue(self.session, message)

    async def pending(self) -> PendingInput | None:
        row = await self.session.get(PendingInput, self.person.id)
        if row is not None and row.expires_at <= self.now:
            await self.session.delete(row)
            return None
        return row

    async def expect(self, action: str, case_id: int | None = None, **data) -> None:
        """Remember what the person is asked to type next (replacing any earlier question)."""
        row = await self.session.get(PendingInput, self.person.id)
        expires = self.now + timedelta(minutes=self.config.intake.followup_minutes)
        if row is None:
            self.session.add(PendingInput(person_id=self.person.id, action=action, case_id=case_id,
                                          data=data, expires_at=expires))
        else:
            row.action, row.case_id, row.data, row.expires_at = action, case_id, data, expires
        await self.session.flush()

    async def done_expecting(self) -> None:
        row = await self.session.get(PendingInput, self.person.id)
        if row is not None:
            await self.session.delete(row)


Handler = Callable[[Update, Turn], Awaitable[None]]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


async def record_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: store every update by id before anything can fail; stop if it was handled already."""
    services = services_of(context)
    user = update.effective_user
    async with services.db.session() as session:
        row = await session.get(InboundUpdate, update.update_id)
        if row is None:
            session.add(InboundUpdate(update_id=update.update_id, tg_user_id=user.id if user else None,
                                      payload=update.to_dict(), status="received",
                                      received_at=services.clock.now()))
        elif row.status in ("done", "failed"):
            raise ApplicationHandlerStop


async def _mark(session: AsyncSession, update_id: int, status: str, now, error: str | None = None) -> None:
    await session.execute(sql_update(InboundUpdate).where(InboundUpdate.update_id == update_id)
                          .values(status=status, handled_at=now, error=error))


def handles(fn: Handler) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        services = services_of(context)
        user, chat = update.effective_user, update.effective_chat
        # The bot works in private chats, where the chat id is the user's id (a button press on an
        # inaccessible message carries no chat). Group messages are stored and left alone.
        chat_id = chat.id if chat is not None else (user.id if user is not None else None)
        if user is None or (chat is not None and chat.type != "private"):
            async with services.db.session() as session:
                await _mark(session, update.update_id, "done", services.clock.now())
            return
        toast = None
        try:
            async with services.db.session() as session:
                turn = await open_turn(services, session, user, chat_id)
                try:
                    async with session.begin_nested():
                        await fn(update, turn)
                except (TransitionRefused, Refused) as refused:
                    turn.say(refused.reason, **getattr(refused, "params", {}))
                    turn.toast = t(refused.reason, **getattr(refused, "params", {}))
                await _mark(session, update.update_id, "done", services.clock.now())
                toast = turn.toast
        except Exception as exc:
            log.exception("update %s failed", update.update_id)
            async with services.db.session() as session:
                await _mark(session, update.update_id, "failed", services.clock.now(),
                            "".join(traceback.format_exception_only(exc)).strip())
                enqueue(session, Outgoing(chat_id, text=t("error")))
        finally:
            if services.outbox is not None:
                services.outbox.wake()
        if update.callback_query is not None:  # off the update path: the next update need not wait for it
            context.application.create_task(_answer(update, toast))
    return wrapper


async def _answer(update: Update, toast: str | None) -> None:
    try:
        await update.callback_query.answer(toast[:190] if toast else None)
    except Exception:  # a late or duplicate answer only costs the button's spinner
        log.debug("answerCallbackQuery failed", exc_info=True)


async def open_turn(services: Services, session: AsyncSession, user, chat_id: int) -> Turn:
    clock, config = services.clock, services.config
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    person = await ensure_person(session, user.id, chat_id, name, user.username, clock.now())
    actor = Actor(person, await staff_post(session, person))
    notifier = OutboxNotifier(session, clock, config)
    return Turn(services, session, person, chat_id, actor, CaseService(session, clock, config, notifier),
                IntakeService(session, clock, config, services.nlu), notifier)


async def case_of_message(session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    """The case a bot message (a card, a relayed note) belongs to, for replies to it."""
    return await session.scalar(select(OutboxMessage.case_id).where(
        OutboxMessage.chat_id == chat_id, OutboxMessage.tg_message_id == message_id))
