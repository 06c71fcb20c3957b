"""A local Telegram Bot API server for tests, the simulator and benchmarks.

The real PTB ``Application`` talks HTTP to it exactly as it talks to Telegram
(``base_url``/``base_file_url``), in polling or webhook mode. The test side injects
what users do, reads what the bot did, and makes the network misbehave, through the
Python API below or, from another process, through the ``/_sim/...`` endpoints.

Call the Python API from the event loop the server runs on; it is not thread-safe.
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from standin.api import MESSAGE_METHODS, BotApi, canonical_name
from standin.params import ApiError, read_params, utf16_len
from standin.state import User, Webhook, World
from standin.traffic import Faults, FloodLimits

_UPLOAD_LIMIT = 50 * 1024 * 1024  # Telegram's limit for bot uploads
_WEBHOOK_RETRY_FIRST, _WEBHOOK_RETRY_MAX = 0.05, 1.0
_INJECTABLE = frozenset({
    "text", "command", "photo", "location", "contact", "sticker", "voice", "video", "document",
    "callback", "raw",
})
_SIM_ACTIONS = {
    "user": "add_user", "fail_next": "fail_next", "set_delay": "set_delay",
    "block": "block", "reset": "reset_observations",
}


@dataclass(frozen=True)
class Injected:
    """What an injection produced: the update's id and the message or query it carries."""

    update_id: int
    message: dict | None = None
    callback_query_id: str | None = None

    @property
    def message_id(self) -> int | None:
        return self.message["message_id"] if self.message else None


class StandIn:
    """The stand-in server; ``async with StandIn() as standin:`` starts and stops it.

    What it observed, all reset by :meth:`reset_observations`:

    * ``sent``: one record per successful call that created or changed a message
      (method, chat_id, message_id, text or caption, reply_markup as sent, photo,
      media for albums, location, reply_to_message_id, edited, at = wall-clock time);
    * ``calls``: every request (method, params, status, description, at); status is
      None while the answer is still pending, e.g. a long poll;
    * ``served_429``: how many 429 answers went out, injected or from flood limits.

    ``world`` holds the server's state (users, messages, files, update queue).
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, token: str = "1:TEST",
        enforce_rate_limits: bool = False, clock: Callable[[], float] = time.time,
    ):
        self.host, self.port, self.token = host, port, token
        bot_user = {
            "id": int(token.split(":", 1)[0]), "is_bot": True, "first_name": "Stand-in Bot",
            "username": "standin_bot", "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }
        self.world = World(bot_user, clock)
        self.api = BotApi(self.world, self._on_sent)
        self.faults = Faults()
        self.flood_limits = FloodLimits() if enforce_rate_limits else None
        self.sent: list[dict] = []
        self.calls: list[dict] = []
        self.served_429 = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._delivery: asyncio.Task | None = None

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=_UPLOAD_LIMIT)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_download)
        app.router.add_get("/_sim/calls", self._handle_sim_calls)
        app.router.add_get("/_sim/sent", self._handle_sim_sent)
        app.router.add_get("/_sim/unconfirmed", self._handle_sim_unconfirmed)
        app.router.add_post("/_sim/{action}", self._handle_sim_action)
        # Pending long polls are woken in stop(), so a short grace period is enough.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._delivery = asyncio.create_task(self._deliver_webhook(), name="standin-webhook")

    async def stop(self) -> None:
        """Answer every pending long poll and slow call at once, then shut down."""
        self.world.closing = True
        self.world.notify()
        if self._delivery is not None:
            self._delivery.cancel()
            await asyncio.gather(self._delivery, return_exceptions=True)
            await self._session.close()
            await self._runner.cleanup()
            self._delivery = self._session = self._runner = None

    async def __aenter__(self) -> StandIn:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``."""
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self.base_url}/file/bot"

    # -- users and what they do ------------------------------------------------------
    def add_user(self, user_id: int, first_name: str, last_name: str | None = None,
                 username: str | None = None) -> dict:
        """A Telegram user with a private chat to the bot (chat id == user id)."""
        user = User(user_id, first_name, last_name, username)
        self.world.add_user(user)
        return user.as_user()

    def block(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends to them then fail with 403."""
        self.world.user(user_id).blocked = blocked

    def inject_text(self, user_id: int, text: str, reply_to_message_id: int | None = None) -> Injected:
        """A text message; text starting with "/" carries a bot_command entity, as clients send it."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return self._inject_message(user_id, content, reply_to_message_id)

    def inject_command(self, user_id: int, command: str, args: str | None = None) -> Injected:
        return self.inject_text(user_id, f"/{command.removeprefix('/')}" + (f" {args}" if args else ""))

    def inject_photo(self, user_id: int, data: bytes, caption: str | None = None,
                     media_group_id: str | None = None) -> Injected:
        photo = self.world.new_photo(data)
        return self._inject_message(user_id, {"photo": photo, "caption": caption, "media_group_id": media_group_id})

    def inject_location(self, user_id: int, lat: float, lon: float) -> Injected:
        return self._inject_message(user_id, {"location": {"latitude": lat, "longitude": lon}})

    def inject_contact(self, user_id: int, phone_number: str, first_name: str) -> Injected:
        """The user shares their own contact, as a request_contact button does."""
        contact = {"phone_number": phone_number, "first_name": first_name, "user_id": user_id}
        return self._inject_message(user_id, {"contact": contact})

    def inject_sticker(self, user_id: int, emoji: str = "👍", data: bytes = b"RIFF\0\0\0\0WEBP") -> Injected:
        sticker = {**self.world.store_file(data, "sticker").as_file(), "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": emoji}
        return self._inject_message(user_id, {"sticker": sticker})

    def inject_voice(self, user_id: int, data: bytes = b"OggS", duration: int = 1) -> Injected:
        voice = {**self.world.store_file(data, "voice").as_file(), "duration": duration, "mime_type": "audio/ogg"}
        return self._inject_message(user_id, {"voice": voice})

    def inject_video(self, user_id: int, data: bytes = b"\0\0\0\x18ftypmp42", duration: int = 1,
                     width: int = 640, height: int = 360, caption: str | None = None) -> Injected:
        video = {**self.world.store_file(data, "video").as_file(), "duration": duration, "width": width,
                 "height": height, "mime_type": "video/mp4"}
        return self._inject_message(user_id, {"video": video, "caption": caption})

    def inject_document(self, user_id: int, data: bytes, file_name: str, caption: str | None = None) -> Injected:
        document = {**self.world.store_file(data, "document", file_name).as_file(), "file_name": file_name,
                    "mime_type": mimetypes.guess_type(file_name)[0] or "application/octet-stream"}
        return self._inject_message(user_id, {"document": document, "caption": caption})

    def inject_callback(self, user_id: int, message_id: int, data: str) -> Injected:
        """The user presses the button carrying ``data`` on a message the bot sent them.

        Like a real client, only a button currently on that message can be pressed;
        use :meth:`inject_raw` to forge anything else.
        """
        user = self.world.user(user_id)
        message = self.world.message(user.id, message_id)
        if message is None or message["from"]["id"] != self.world.bot_user["id"]:
            raise ValueError(f"the bot sent no message {message_id} to chat {user_id}")
        buttons = message.get("reply_markup", {}).get("inline_keyboard", [])
        if data not in (button.get("callback_data") for row in buttons for button in row):
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = self.world.new_callback_id()
        query = {"id": query_id, "from": user.as_user(), "message": message,
                 "chat_instance": str(user.id), "data": data}
        update = self.world.enqueue({"callback_query": query})
        return Injected(update["update_id"], message, query_id)

    def redeliver(self, update_id: int) -> dict:
        """Deliver an update once more under the same id (Telegram does when the bot's answer was
        lost), after whatever is queued; returns it as delivered."""
        return self.world.requeue(update_id)

    def inject_raw(self, update: dict) -> Injected:
        """Any update, as given, except that it gets the next update_id."""
        queued = self.world.enqueue(update)
        return Injected(queued["update_id"], queued.get("message"))

    def _inject_message(self, user_id: int, content: dict, reply_to_message_id: int | None = None) -> Injected:
        user = self.world.user(user_id)
        reply_to = self.world.message(user.id, reply_to_message_id)
        if reply_to_message_id is not None and reply_to is None:
            raise ValueError(f"chat {user_id} has no message {reply_to_message_id}")
        message = self.world.new_message(user, user.as_user(), content, reply_to)
        update = self.world.enqueue({"message": message})
        return Injected(update["update_id"], message)

    # -- making the network misbehave ------------------------------------------------
    def fail_next(self, method: str | None = None, *, status: int = 429, retry_after: int = 1, count: int = 1,
                  description: str | None = None) -> None:
        """The next ``count`` calls of ``method`` (None: any but getUpdates) fail with ``status``."""
        self.faults.fail_next(method, status=status, retry_after=retry_after, count=count, description=description)

    def set_delay(self, seconds: float, method: str | None = None) -> None:
        """Answer ``method`` (None: every method but getUpdates) only after ``seconds``; 0 removes."""
        self.faults.set_delay(seconds, method)

    # -- observation -----------------------------------------------------------------
    def messages_to(self, chat_id: int) -> list[dict]:
        return [record for record in self.sent if record["chat_id"] == chat_id]

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset or a webhook 2xx."""
        return self.world.pending

    def unconfirmed(self) -> list[int]:
        """The ids of those updates: every other injected update was acknowledged by the bot."""
        return self.world.unconfirmed()

    async def wait_until(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds after some change here; TimeoutError otherwise."""
        if not await self.world.wait(predicate, timeout):
            raise TimeoutError(f"condition not met within {timeout}s; sent so far: {self.sent}")

    async def wait_for_sent(self, count: int = 1, timeout: float = 5.0, *, chat_id: int | None = None) -> list[dict]:
        """Wait until at least ``count`` messages were sent (to ``chat_id``, if given) and return them."""

        def records() -> list[dict]:
            return self.sent if chat_id is None else self.messages_to(chat_id)

        await self.wait_until(lambda: len(records()) >= count, timeout)
        return list(records())

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every injected update was confirmed (polling) or accepted (webhook).

        That is delivery, not handling: use wait_for_sent to wait for the bot's answers.
        """
        await self.wait_until(lambda: self.world.pending == 0, timeout)

    def reset_observations(self) -> None:
        self.sent.clear()
        self.calls.clear()
        self.served_429 = 0

    def _on_sent(self, record: dict) -> None:
        self.sent.append(record)
        self.world.notify()

    # -- HTTP: the Bot API -----------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = canonical_name(request.match_info["method"]) or request.match_info["method"]
        call: dict[str, Any] = {"method": method, "params": {}, "status": None, "description": None,
                                "at": time.time()}
        self.calls.append(call)
        self.world.notify()
        try:
            result = await self._serve(request, method, call)
            body, call["status"] = {"ok": True, "result": result}, 200
        except ApiError as error:
            body, call["status"], call["description"] = error.to_json(), error.status, error.description
            if error.status == 429:
                self.served_429 += 1
        self.world.notify()
        return web.json_response(body, status=call["status"])

    async def _serve(self, request: web.Request, method: str, call: dict) -> Any:
        if request.match_info["token"] != self.token:
            raise ApiError(404, "Not Found")
        if canonical_name(method) is None:
            raise ApiError(404, "Not Found: method not found")
        params = await read_params(request)
        call["params"] = params.loggable()
        if delay := self.faults.delay(method):
            await self.world.wait(lambda: self.world.closing, delay)
        if error := self.faults.take(method):
            raise error
        if self.flood_limits and method.lower() in MESSAGE_METHODS:
            self.flood_limits.admit(params.chat_id())
        return await self.api.call(method, params)

    async def _handle_download(self, request: web.Request) -> web.Response:
        stored = self.world.file_by_path(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(ApiError(404, "Not Found").to_json(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # -- HTTP: webhook delivery ------------------------------------------------------
    async def _deliver_webhook(self) -> None:
        """Push updates to the webhook one at a time, in order, as Telegram does.

        An update stays queued until the bot answers 2xx; failures are retried with a
        growing pause and shown in getWebhookInfo's last_error_message.
        """
        world, backoff = self.world, _WEBHOOK_RETRY_FIRST
        while not world.closing:
            hook = world.webhook
            update = world.next_for_webhook() if hook else None
            if hook is None or update is None:
                await world.changed()
                continue
            error = await self._post_update(hook, update)
            if error is None:
                world.confirm(update["update_id"])
                backoff = _WEBHOOK_RETRY_FIRST
                continue
            await self._pause_after_failure(hook, error, backoff)
            backoff = min(backoff * 2, _WEBHOOK_RETRY_MAX)

    async def _pause_after_failure(self, hook: Webhook, error: str, seconds: float) -> None:
        """Note the failure for getWebhookInfo; a new setWebhook ends the pause early."""
        hook.last_error_date, hook.last_error_message = int(self.world.clock()), error
        self.world.notify()
        await self.world.wait(lambda: self.world.webhook is not hook or self.world.closing, seconds)

    async def _post_update(self, hook: Webhook, update: dict) -> str | None:
        """POST one update; the error text for getWebhookInfo, or None when accepted."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._session.post(hook.url, data=json.dumps(update), headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {HTTPStatus(response.status).phrase}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc}"

    # -- HTTP: the simulator's side --------------------------------------------------
    async def _handle_sim_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = [c for c in self.calls if method is None or c["method"] == method]
        return web.json_response({"ok": True, "result": calls})

    async def _handle_sim_sent(self, request: web.Request) -> web.Response:
        """``?chat_id=&count=&timeout=`` waits for ``count`` records before answering."""
        chat_id = int(request.query["chat_id"]) if "chat_id" in request.query else None
        count = int(request.query.get("count", 0))
        timeout = float(request.query.get("timeout", 5))
        try:
            records = await self.wait_for_sent(count, timeout, chat_id=chat_id)
        except TimeoutError:
            records = self.sent if chat_id is None else self.messages_to(chat_id)
        return web.json_response({"ok": True, "result": records})

    async def _handle_sim_unconfirmed(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": self.unconfirmed()})

    async def _handle_sim_action(self, request: web.Request) -> web.Response:
        """POST /_sim/update {"type": "text", "user_id": 1, "text": "hi"}, /_sim/user, /_sim/fail_next, ...

        Bodies carry the keyword arguments of the Python method; binary ``data`` is base64.
        """
        action = request.match_info["action"]
        try:
            kwargs = await request.json() if request.can_read_body else {}
            if not isinstance(kwargs, dict):
                raise ValueError("the body must be a JSON object of keyword arguments")
            if action == "update":
                kind = kwargs.pop("type", "")
                if kind not in _INJECTABLE:
                    raise ValueError(f"unknown update type {kind!r}; one of {sorted(_INJECTABLE)}")
                if "data" in kwargs:
                    kwargs["data"] = base64.b64decode(kwargs["data"])
                result = asdict(getattr(self, f"inject_{kind}")(**kwargs))
            elif action in _SIM_ACTIONS:
                result = getattr(self, _SIM_ACTIONS[action])(**kwargs)
            else:
                return web.json_response(ApiError(404, "Not Found").to_json(), status=404)
        except (TypeError, ValueError) as exc:
            return web.json_response(ApiError(400, f"Bad Request: {exc}").to_json(), status=400)
        return web.json_response({"ok": True, "result": result})

