"""What the stand-in Telegram remembers: users and their chats, messages, files, updates.

All of it lives on the server's event loop and is changed synchronously, so no locks
are needed; anything waiting for a change awaits :meth:`World.changed` and re-checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import itertools
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from standin.params import ApiError, bad_request

FILE_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files, as Telegram does
_THUMBNAIL_SIDE = 90


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    blocked: bool = False

    def as_user(self) -> dict:
        return _without_none(
            {"id": self.id, "is_bot": False, "first_name": self.first_name,
             "last_name": self.last_name, "username": self.username}
        )

    def as_chat(self) -> dict:
        return _without_none(
            {"id": self.id, "type": "private", "first_name": self.first_name,
             "last_name": self.last_name, "username": self.username}
        )


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes = field(repr=False)

    def as_file(self) -> dict:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.data)}


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class World:
    """Chats, messages, files and the update queue of one bot."""

    def __init__(self, bot_user: dict, clock: Callable[[], float] = time.time):
        self.bot_user = bot_user
        self.clock = clock
        self.users: dict[int, User] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.files: dict[str, StoredFile] = {}
        self.photos: dict[str, list[dict]] = {}  # any size's file_id -> all sizes of that photo
        self.commands: dict[str, list[dict]] = {}
        self.menu_buttons: dict[int | None, dict] = {}  # chat id (None: the default) -> its menu button
        self.open_callbacks: set[str] = set()
        self.webhook: Webhook | None = None
        self.allowed_updates: list[str] | None = None
        self.closing = False
        self._updates: list[dict] = []
        self.history: dict[int, dict] = {}  # every update queued, by id, as it was delivered
        self._last_message_id: dict[int, int] = {}
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Event()

    # -- change notification -------------------------------------------------------
    def notify(self) -> None:
        """Wake everything waiting in :meth:`changed`."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def changed(self, timeout: float | None = None) -> None:
        """Return after the next change, or after ``timeout`` seconds, whichever is first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def wait(self, predicate: Callable[[], object], timeout: float | None) -> bool:
        """Wait until ``predicate()`` holds (True) or ``timeout`` seconds pass (False)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not predicate():
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await self.changed(left)
        return True

    @property
    def bot_sender(self) -> dict:
        """The bot as the ``from`` of its messages: getMe minus the capability flags."""
        return {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    # -- users and chats -----------------------------------------------------------
    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def user(self, user_id: int) -> User:
        """A user for the simulation side; a programming error when unknown."""
        try:
            return self.users[user_id]
        except KeyError:
            raise ValueError(f"no user {user_id}; call add_user() first") from None

    def chat_for_bot(self, chat_id: int) -> User:
        """The private chat the bot addresses, failing as Telegram does."""
        user = self.users.get(chat_id)
        if user is None:
            raise bad_request("chat not found")
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    # -- messages ------------------------------------------------------------------
    def new_message(self, chat: User, sender: dict, content: dict, reply_to: dict | None = None) -> dict:
        message_id = self._last_message_id.get(chat.id, 0) + 1
        self._last_message_id[chat.id] = message_id
        message = {"message_id": message_id, "from": sender, "chat": chat.as_chat(), "date": int(self.clock())}
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        message.update(_without_none(content))
        self.messages[(chat.id, message_id)] = message
        return message

    def message(self, chat_id: int, message_id: int | None) -> dict | None:
        return self.messages.get((chat_id, message_id)) if message_id is not None else None

    def bot_message(self, chat_id: int, message_id: int | None, missing: str) -> dict:
        """A message the bot sent and may change; ``missing`` words the error otherwise."""
        message = self.message(chat_id, message_id)
        if message is None:
            raise bad_request(missing)
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    # -- files ---------------------------------------------------------------------
    def store_file(self, data: bytes, kind: str, file_name: str | None = None) -> StoredFile:
        n = next(self._file_ids)
        extension = {"photo": ".jpg", "voice": ".oga", "video": ".mp4", "sticker": ".webp"}.get(kind)
        if extension is None:
            extension = mimetypes.guess_extension(mimetypes.guess_type(file_name or "")[0] or "") or ""
        stored = StoredFile(f"{kind}-{n:06d}", f"u{n:06d}", f"{kind}s/file_{n}{extension}", data)
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    def new_photo(self, data: bytes) -> list[dict]:
        """Store an image as Telegram does: a real 90px thumbnail plus the original size.

        Bytes that are not a readable image still make a (0x0) photo, so tests can
        send any payload.
        """
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
        except (UnidentifiedImageError, OSError):
            image, width, height = None, 0, 0
        sizes = []
        if image is not None and max(width, height) > _THUMBNAIL_SIDE:
            image.thumbnail((_THUMBNAIL_SIDE, _THUMBNAIL_SIDE))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG")
            thumb = self.store_file(buffer.getvalue(), "photo")
            sizes.append({**thumb.as_file(), "width": image.width, "height": image.height})
        sizes.append({**self.store_file(data, "photo").as_file(), "width": width, "height": height})
        for size in sizes:
            self.photos[size["file_id"]] = sizes
        return sizes

    def photo(self, file_id: str) -> list[dict]:
        """The sizes of an already stored photo, for sending it again by file_id."""
        try:
            return self.photos[file_id]
        except KeyError:
            raise bad_request("wrong file identifier/HTTP URL specified") from None

    # -- updates -------------------------------------------------------------------
    def enqueue(self, payload: dict) -> dict:
        """Queue an update and return it numbered; update ids only ever increase, as on Telegram."""
        update = {"update_id": next(self._update_ids)}
        update.update((key, copy.deepcopy(value)) for key, value in payload.items() if key != "update_id")
        self._updates.append(update)
        self.history[update["update_id"]] = update
        self.notify()
        return update

    def requeue(self, update_id: int) -> dict:
        """Queue an update again under its own id, as Telegram does when it never heard the answer."""
        update = copy.deepcopy(self.history[update_id])
        self._updates.append(update)
        self.notify()
        return update

    def new_callback_id(self) -> str:
        query_id = f"{self.bot_user['id']}{next(self._callback_ids):08d}"
        self.open_callbacks.add(query_id)
        return query_id

    @property
    def pending(self) -> int:
        return len(self._updates)

    def unconfirmed(self) -> list[int]:
        return [u["update_id"] for u in self._updates]

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Telegram keeps the last allowed_updates given until another list is given."""
        if allowed is not None:
            self.allowed_updates = allowed or None

    def available(self, offset: int | None, limit: int) -> list[dict]:
        """What getUpdates returns; an offset confirms (forgets) every earlier update."""
        if offset is not None and offset < 0:
            keep = self._updates[offset:]
            self._drop(len(self._updates) - len(keep))
        elif offset:
            later = [u for u in self._updates if u["update_id"] >= offset]  # a requeued one may be out of order
            if len(later) != len(self._updates):
                self._updates = later
                self.notify()
        self._discard_unwanted()
        return self._updates[:limit]

    def next_for_webhook(self) -> dict | None:
        self._discard_unwanted()
        return self._updates[0] if self._updates else None

    def confirm(self, update_id: int) -> None:
        self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self.notify()

    def drop_pending(self) -> None:
        self._drop(len(self._updates))

    def _drop(self, count: int) -> None:
        if count:
            del self._updates[:count]
            self.notify()

    def _discard_unwanted(self) -> None:
        """Updates of types the bot did not ask for are never delivered, as on Telegram."""
        if self.allowed_updates is None:
            return
        wanted = [u for u in self._updates if _update_type(u) in self.allowed_updates]
        if len(wanted) != len(self._updates):
            self._updates = wanted
            self.notify()


def _update_type(update: dict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _without_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}
