"""The outbox's transport: one Outgoing → one Bot API call, Telegram's errors mapped to retry,
uncertain (the request went out, the answer was lost) or give up."""
from __future__ import annotations

import httpx
from telegram import (
    Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, KeyboardButton, MenuButtonWebApp,
    ReplyKeyboardMarkup, WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.outbox import Outgoing, PermanentFailure, RetryLater, Uncertain
from handlers.render import CAPTION_LIMIT, TEXT_LIMIT, clip
from handlers.texts import t

# httpx failures that happen before a request reaches Telegram: retrying cannot double anything.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def markup(message: Outgoing):
    if message.buttons:
        return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                     for row in message.buttons])
    if message.ask_location:
        return ReplyKeyboardMarkup([[KeyboardButton(t("send_location_button"), request_location=True)]],
                                   resize_keyboard=True, one_time_keyboard=True)
    return None


def shown_text(message: Outgoing, limit: int) -> str:
    """The text as Telegram gets it: marked when it is a resend, and never over Telegram's limit."""
    text = t("resend_mark") + message.text if message.resend and message.text else message.text
    return clip(text, limit)


def answer_lost(exc: NetworkError) -> bool:
    """True when the request went out and its answer did not come back (read timeout, connection
    dropped), so Telegram may have delivered it; False when Telegram answered (5xx) or never had it."""
    cause = exc.__cause__
    if cause is None:
        return isinstance(exc, TimedOut)
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, NOT_SENT)


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: Outgoing, edit_target: int | None, timeout: float) -> int | None:
        try:
            return await self._call(message, edit_target, timeout)
        except RetryAfter as exc:
            seconds = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            raise RetryLater(str(exc), float(seconds)) from exc
        except BadRequest as exc:
            if "message is not modified" in exc.message.lower():
                return edit_target  # already shows what we wanted: done
            raise PermanentFailure(exc.message) from exc
        except Forbidden as exc:
            raise PermanentFailure(exc.message) from exc
        except NetworkError as exc:  # TimedOut included
            if answer_lost(exc):
                raise Uncertain(f"{type(exc.__cause__ or exc).__name__}: {exc}") from exc
            raise RetryLater(str(exc)) from exc

    async def _call(self, m: Outgoing, edit_target: int | None, timeout: float) -> int | None:
        chat, wait = m.chat_id, {"read_timeout": timeout}
        if m.kind == "text":
            sent = await self.bot.send_message(chat, shown_text(m, TEXT_LIMIT), reply_markup=markup(m),
                                               reply_to_message_id=m.reply_to_message_id, **wait)
        elif m.kind == "photo":
            sent = await self.bot.send_photo(chat, m.photos[0], caption=shown_text(m, CAPTION_LIMIT) or None,
                                             reply_markup=markup(m), **wait)
        elif m.kind == "album":
            sent = (await self.bot.send_media_group(chat, [InputMediaPhoto(p) for p in m.photos], **wait))[0]
        elif m.kind == "location":
            sent = await self.bot.send_location(chat, latitude=m.location[0], longitude=m.location[1], **wait)
        elif m.kind == "edit":
            result = await self.bot.edit_message_text(shown_text(m, TEXT_LIMIT), chat_id=chat,
                                                      message_id=edit_target, reply_markup=markup(m), **wait)
            return edit_target if result is True else result.message_id
        elif m.kind == "unbutton":
            result = await self.bot.edit_message_reply_markup(chat_id=chat, message_id=edit_target, reply_markup=None,
                                                              **wait)
            return edit_target if result is True else result.message_id
        elif m.kind == "menu_button":
            await self.bot.set_chat_menu_button(chat, MenuButtonWebApp(m.text, WebAppInfo(m.web_app_url)), **wait)
            return None
        else:
            raise PermanentFailure(f"unknown outbox kind {m.kind!r}")
        return sent.message_id
