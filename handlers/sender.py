"""The outbox's transport: one Outgoing → one Bot API call, Telegram's errors mapped to retry or give up."""
from __future__ import annotations

from telegram import (
    Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.outbox import Outgoing, PermanentFailure, RetryLater
from handlers.texts import t


def markup(message: Outgoing):
    if message.buttons:
        return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                     for row in message.buttons])
    if message.ask_location:
        return ReplyKeyboardMarkup([[KeyboardButton(t("send_location_button"), request_location=True)]],
                                   resize_keyboard=True, one_time_keyboard=True)
    return None


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: Outgoing, edit_target: int | None) -> int | None:
        try:
            return await self._call(message, edit_target)
        except RetryAfter as exc:
            seconds = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            raise RetryLater(str(exc), float(seconds)) from exc
        except BadRequest as exc:
            if "message is not modified" in exc.message.lower():
                return edit_target  # already shows what we wanted: done
            raise PermanentFailure(exc.message) from exc
        except Forbidden as exc:
            raise PermanentFailure(exc.message) from exc
        except (TimedOut, NetworkError) as exc:
            raise RetryLater(str(exc)) from exc

    async def _call(self, m: Outgoing, edit_target: int | None) -> int | None:
        chat = m.chat_id
        if m.kind == "text":
            sent = await self.bot.send_message(chat, m.text, reply_markup=markup(m),
                                               reply_to_message_id=m.reply_to_message_id)
        elif m.kind == "photo":
            sent = await self.bot.send_photo(chat, m.photos[0], caption=m.text or None, reply_markup=markup(m))
        elif m.kind == "album":
            sent = (await self.bot.send_media_group(chat, [InputMediaPhoto(p) for p in m.photos]))[0]
        elif m.kind == "location":
            sent = await self.bot.send_location(chat, latitude=m.location[0], longitude=m.location[1])
        elif m.kind == "edit":
            result = await self.bot.edit_message_text(m.text, chat_id=chat, message_id=edit_target,
                                                      reply_markup=markup(m))
            return edit_target if result is True else result.message_id
        else:
            raise PermanentFailure(f"unknown outbox kind {m.kind!r}")
        return sent.message_id
