"""The Bot API methods the stand-in speaks, one handler each, over a :class:`World`.

Handlers return the ``result`` of a successful call or raise :class:`ApiError` with
Telegram's words. Every handler that creates or changes a message reports it through
``record`` so tests and the simulator can see what the bot said.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from standin import params as check
from standin.params import ALBUM_LIMIT, ApiError, Params, Upload, bad_request
from standin.state import FILE_DOWNLOAD_LIMIT, User, Webhook, World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")

Handler = Callable[["BotApi", Params], Awaitable[Any]]
_HANDLERS: dict[str, tuple[str, Handler]] = {}


def _method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler; Telegram matches method names case-insensitively."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[name.lower()] = (name, handler)
        return handler

    return register


def canonical_name(method: str) -> str | None:
    """``sendmessage`` -> ``sendMessage``; None for a method Telegram would not know."""
    entry = _HANDLERS.get(method.lower())
    return entry[0] if entry else None


# Calls that put a new message into a chat: the ones Telegram's flood limits count.
MESSAGE_METHODS = frozenset({"sendmessage", "sendphoto", "sendmediagroup", "sendlocation"})


class BotApi:
    """Telegram's methods for one bot; ``call`` dispatches by (case-insensitive) name."""

    def __init__(self, world: World, record: Callable[[dict], None]):
        self.world = world
        self._record = record
        self._album_ids = itertools.count(1)

    async def call(self, method: str, params: Params) -> Any:
        _, handler = _HANDLERS[method.lower()]
        return await handler(self, params)

    # -- helpers -------------------------------------------------------------------
    def _send(self, method: str, params: Params, content: dict, markup: dict | None = None) -> dict:
        """Create a bot message in the requested chat, honouring reply_parameters."""
        chat = self.world.chat_for_bot(params.chat_id())
        message = self.world.new_message(
            chat, self.world.bot_sender, {**content, "reply_markup": _inline_only(markup)},
            self._reply_target(chat, params),
        )
        self._note(method, message, markup)
        return message

    def _reply_target(self, chat: User, params: Params) -> dict | None:
        message_id, may_skip = check.reply_to(params)
        target = self.world.message(chat.id, message_id)
        if message_id is not None and target is None and not may_skip:
            raise bad_request("message to be replied not found")
        return target

    def _note(self, method: str, message: dict, markup: dict | None, *, edited: bool = False,
              media: list[dict] | None = None) -> None:
        location = message.get("location")
        self._record({
            "method": method,
            "chat_id": message["chat"]["id"],
            "message_id": message["message_id"],
            "text": message.get("text", message.get("caption")),
            "reply_markup": markup,
            "photo": "photo" in message,
            "media": media,
            "location": [location["latitude"], location["longitude"]] if location else None,
            "reply_to_message_id": message.get("reply_to_message", {}).get("message_id"),
            "edited": edited,
            "at": time.time(),
        })

    def _editable(self, params: Params) -> dict:
        if params.get_str("inline_message_id"):
            raise bad_request("inline messages are not supported by the stand-in")
        chat = self.world.chat_for_bot(params.chat_id())
        message_id = params.get_int("message_id", missing="message identifier is not specified")
        return self.world.bot_message(chat.id, message_id, "message to edit not found")

    def _edit(self, method: str, message: dict, content: dict, markup: dict | None) -> dict:
        """Apply an edit; like Telegram, an edit without reply_markup removes the keyboard."""
        inline = _inline_only(markup)
        before = ({key: message.get(key) for key in content}, message.get("reply_markup"))
        if before == (content, inline):
            raise bad_request(NOT_MODIFIED)
        for key, value in {**content, "reply_markup": inline}.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(self.world.clock())
        self._note(method, message, markup, edited=True)
        return message

    def _album_item(self, item: Any, params: Params) -> dict:
        """The message content of one InputMediaPhoto; the stand-in sends photo albums only."""
        if not isinstance(item, dict) or item.get("type") != "photo":
            raise bad_request("can't parse InputMedia JSON object: the stand-in sends photo albums only")
        ref: Upload | str | None = str(item.get("media") or "")
        if ref.startswith("attach://"):
            ref = params.values.get(ref.removeprefix("attach://"))
        return {"photo": self._photo(ref), **check.caption_content(Params(item))}

    def _photo(self, ref: Upload | str | None) -> list[dict]:
        if isinstance(ref, Upload):
            if not ref.data:
                raise bad_request("file must be non-empty")
            return self.world.new_photo(ref.data)
        if isinstance(ref, str) and ref:
            return self.world.photo(ref)
        raise bad_request("there is no photo in the request")

    # -- setup and updates ---------------------------------------------------------
    @_method("getMe")
    async def get_me(self, params: Params) -> dict:
        return self.world.bot_user

    @_method("logOut")
    async def log_out(self, params: Params) -> bool:
        return True

    @_method("close")
    async def close(self, params: Params) -> bool:
        return True

    @_method("setWebhook")
    async def set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if params.get_bool("drop_pending_updates"):
            self.world.drop_pending()
        self.world.set_allowed_updates(params.get_json("allowed_updates", "allowed updates"))
        self.world.webhook = Webhook(
            url, params.get_str("secret_token"), params.get_int("max_connections") or 40
        ) if url else None
        self.world.notify()
        return True

    @_method("deleteWebhook")
    async def delete_webhook(self, params: Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self.world.drop_pending()
        self.world.webhook = None
        self.world.notify()
        return True

    @_method("getWebhookInfo")
    async def get_webhook_info(self, params: Params) -> dict:
        hook = self.world.webhook
        info = {"url": hook.url if hook else "", "has_custom_certificate": False,
                "pending_update_count": self.world.pending}
        if hook:
            info.update({"max_connections": hook.max_connections, "allowed_updates": self.world.allowed_updates,
                         "last_error_date": hook.last_error_date, "last_error_message": hook.last_error_message})
        return {k: v for k, v in info.items() if v is not None}

    @_method("getUpdates")
    async def get_updates(self, params: Params) -> list[dict]:
        """Long poll: answer as soon as there is something, at the timeout, or at shutdown."""
        if self.world.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        self.world.set_allowed_updates(params.get_json("allowed_updates", "allowed updates"))
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        try:
            timeout = max(float(params.get_str("timeout") or 0), 0.0)
        except ValueError:
            raise bad_request("invalid timeout specified") from None
        world = self.world
        await world.wait(lambda: world.available(offset, limit) or world.closing or world.webhook, timeout)
        return world.available(offset, limit)

    # -- sending -------------------------------------------------------------------
    @_method("sendMessage")
    async def send_message(self, params: Params) -> dict:
        return self._send("sendMessage", params, check.text_content(params), check.reply_markup(params))

    @_method("sendPhoto")
    async def send_photo(self, params: Params) -> dict:
        caption = check.caption_content(params)
        markup = check.reply_markup(params)
        self.world.chat_for_bot(params.chat_id())  # fail on the chat before storing the upload
        photo = self._photo(params.file("photo"))
        return self._send("sendPhoto", params, {"photo": photo, **caption}, markup)

    @_method("sendMediaGroup")
    async def send_media_group(self, params: Params) -> list[dict]:
        media = params.get_json("media", "media")
        if not media:
            raise bad_request("there are no messages to send")
        if not isinstance(media, list):
            raise bad_request("can't parse media JSON object")
        if len(media) > ALBUM_LIMIT:
            raise bad_request("too many messages to send as an album")
        chat = self.world.chat_for_bot(params.chat_id())
        reply = self._reply_target(chat, params)
        contents = [self._album_item(item, params) for item in media]
        group_id = f"{int(time.time())}{next(self._album_ids):04d}"
        messages = [
            self.world.new_message(chat, self.world.bot_sender, {**content, "media_group_id": group_id}, reply)
            for content in contents
        ]
        records = [
            {"type": "photo", "file_id": m["photo"][-1]["file_id"], "caption": m.get("caption"),
             "message_id": m["message_id"]}
            for m in messages
        ]
        self._note("sendMediaGroup", messages[0], None, media=records)
        return messages

    @_method("sendLocation")
    async def send_location(self, params: Params) -> dict:
        location = {"latitude": params.get_float("latitude"), "longitude": params.get_float("longitude")}
        return self._send("sendLocation", params, {"location": location}, check.reply_markup(params))

    @_method("sendChatAction")
    async def send_chat_action(self, params: Params) -> bool:
        self.world.chat_for_bot(params.chat_id())
        if params.get_str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # -- changing messages ---------------------------------------------------------
    @_method("editMessageText")
    async def edit_message_text(self, params: Params) -> dict:
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        return self._edit("editMessageText", message, check.text_content(params), check.reply_markup(params))

    @_method("editMessageCaption")
    async def edit_message_caption(self, params: Params) -> dict:
        message = self._editable(params)
        if not any(kind in message for kind in ("photo", "video", "document")):
            raise bad_request("there is no caption in the message to edit")
        content = check.caption_content(params)
        return self._edit("editMessageCaption", message, content, check.reply_markup(params))

    @_method("editMessageReplyMarkup")
    async def edit_message_reply_markup(self, params: Params) -> dict:
        message = self._editable(params)
        return self._edit("editMessageReplyMarkup", message, {}, check.reply_markup(params))

    @_method("deleteMessage")
    async def delete_message(self, params: Params) -> bool:
        chat = self.world.chat_for_bot(params.chat_id())
        key = (chat.id, params.get_int("message_id", missing="message identifier is not specified"))
        if self.world.messages.pop(key, None) is None:
            raise bad_request("message to delete not found")
        return True

    @_method("answerCallbackQuery")
    async def answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id")
        if query_id not in self.world.open_callbacks:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        self.world.open_callbacks.discard(query_id)
        return True

    # -- files and commands --------------------------------------------------------
    @_method("getFile")
    async def get_file(self, params: Params) -> dict:
        stored = self.world.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > FILE_DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {**stored.as_file(), "file_path": stored.file_path}

    @_method("setMyCommands")
    async def set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands", "commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
        self.world.commands[_commands_key(params)] = [
            {"command": c["command"], "description": c.get("description", "")} for c in commands
        ]
        return True

    @_method("getMyCommands")
    async def get_my_commands(self, params: Params) -> list[dict]:
        return self.world.commands.get(_commands_key(params), [])

    @_method("deleteMyCommands")
    async def delete_my_commands(self, params: Params) -> bool:
        self.world.commands.pop(_commands_key(params), None)
        return True


    # -- the menu button --------------------------------------------------------------
    @_method("setChatMenuButton")
    async def set_chat_menu_button(self, params: Params) -> bool:
        chat_id = self._menu_chat(params)
        button = _menu_button(params.get_json("menu_button", "menu button") or {"type": "default"})
        if chat_id is not None and button["type"] == "default":
            self.world.menu_buttons.pop(chat_id, None)  # the chat shows the default button again
        else:
            self.world.menu_buttons[chat_id] = button
        return True

    @_method("getChatMenuButton")
    async def get_chat_menu_button(self, params: Params) -> dict:
        chat_id = self._menu_chat(params)
        return self.world.menu_buttons.get(chat_id) or self.world.menu_buttons.get(None) or {"type": "default"}

    def _menu_chat(self, params: Params) -> int | None:
        """The private chat named by chat_id, or None for the bot's default menu button."""
        if params.values.get("chat_id") in (None, ""):
            return None
        return self.world.chat_for_bot(params.chat_id()).id


def _menu_button(button: Any) -> dict:
    """A MenuButton as Telegram checks it: a Web App button needs a label and an https URL."""
    kind = button.get("type") if isinstance(button, dict) else None
    if kind in ("default", "commands"):
        return {"type": kind}
    if kind != "web_app":
        raise bad_request("can't parse menu button: unsupported menu button type")
    text, url = button.get("text"), (button.get("web_app") or {}).get("url", "")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("menu button text must be non-empty")
    if not str(url).startswith("https://"):
        raise bad_request(f"Web App URL '{url}' is invalid: Only HTTPS links are allowed")
    return {"type": "web_app", "text": text, "web_app": {"url": url}}


def _inline_only(markup: dict | None) -> dict | None:
    """Messages carry only inline keyboards; reply keyboards live on the client."""
    return markup if markup and "inline_keyboard" in markup else None


def _commands_key(params: Params) -> str:
    scope = params.get_json("scope", "bot command scope") or {"type": "default"}
    return f"{json.dumps(scope, sort_keys=True)}|{params.get_str('language_code') or ''}"
