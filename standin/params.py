"""Reading and checking Bot API requests the way Telegram does.

Telegram accepts parameters as a query string, a form, a multipart form or a JSON
object, and PTB sends every value as a string (reply_markup and friends as JSON
text). Everything here turns such a request into checked Python values, or raises
:class:`ApiError` carrying Telegram's exact words, so that a bot tested against the
stand-in fails in the same places it would fail in production.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8, not characters
ALBUM_LIMIT = 10


class ApiError(Exception):
    """An answer Telegram gives instead of a result; raised anywhere below a handler."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict:
        body = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes


async def read_params(request: web.Request) -> Params:
    """Collect a request's parameters from its query string and body, whatever the encoding."""
    values: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        values.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                value = Upload(value.filename, value.file.read())
            values[name] = value
    return Params(values)


class Params:
    """One request's parameters with typed getters that fail like Telegram."""

    def __init__(self, values: dict[str, Any]):
        self.values = values

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, Upload):
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, *, missing: str | None = None) -> int | None:
        """An integer; ``missing`` is the error description when it is absent (None: optional)."""
        value = self.values.get(name)
        if value in (None, ""):
            if missing:
                raise bad_request(missing)
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str) -> float:
        try:
            return float(self.values[name])
        except (KeyError, TypeError, ValueError):
            raise bad_request(f"wrong {name} specified") from None

    def get_bool(self, name: str) -> bool:
        return self.values.get(name) in (True, 1, "true", "True", "1")

    def get_json(self, name: str, what: str) -> Any:
        """A JSON-typed parameter, sent either as JSON text (forms) or inline (JSON bodies)."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what} JSON object") from None

    def chat_id(self) -> int:
        """Only private chats exist here, so an ``@username`` target is never found."""
        value = self.values.get("chat_id")
        if value in (None, ""):
            raise bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def file(self, name: str) -> Upload | str | None:
        """An upload (multipart part named ``name``) or an existing file_id."""
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.values.get(value.removeprefix("attach://"))
        return value if isinstance(value, Upload | str) else None

    def loggable(self) -> dict[str, Any]:
        """The parameters for the call log, with uploads summarised instead of their bytes."""
        return {
            name: {"upload": v.filename, "size": len(v.data)} if isinstance(v, Upload) else v
            for name, v in self.values.items()
        }


def text_content(params: Params) -> dict:
    """A message's ``text`` and ``entities``, checked against Telegram's limits."""
    text, entities = _formatted(params, "text", "entities")
    if not text:
        raise bad_request("message text is empty")
    if len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return {"text": text, "entities": entities}


def caption_content(params: Params) -> dict:
    """A media message's ``caption`` and ``caption_entities``; an empty caption is none."""
    text, entities = _formatted(params, "caption", "caption_entities")
    if len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return {"caption": text or None, "caption_entities": entities}


def _formatted(params: Params, field: str, entities_field: str) -> tuple[str, list[dict] | None]:
    """The text users will see and its entities, as Telegram stores them.

    HTML is parsed with tdlib's rules and error words, because HTML built from unescaped
    user input is the mistake worth catching; Markdown modes are passed through as sent.
    Surrounding spaces and newlines are trimmed, and the limits are then measured in
    code points, as Telegram does.
    """
    text = params.get_str(field) or ""
    if (params.get_str("parse_mode") or "").lower() == "html":
        text, entities = parse_html(text)
    else:
        entities = params.get_json(entities_field, "entities") or []
        if not isinstance(entities, list) or not all(
            isinstance(e, dict) and isinstance(e.get("offset"), int) and isinstance(e.get("length"), int)
            for e in entities
        ):
            raise bad_request("can't parse entities JSON object")
    body = text.strip(_TRIMMED)
    start = utf16_len(text) - utf16_len(text.lstrip(_TRIMMED))
    end = start + utf16_len(body)
    kept = []
    for entity in entities:
        first, last = max(entity["offset"], start), min(entity["offset"] + entity["length"], end)
        if last > first:
            kept.append({**entity, "offset": first - start, "length": last - first})
    return body, kept or None


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_TRIMMED = " \t\r\n"
_HTML_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "span": "spoiler", "code": "code", "pre": "pre", "a": "text_link", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_CHARACTER = re.compile(r"&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot));?")
_HTML_ATTRIBUTE = re.compile(r"""\s*([^\s=>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[\w.-]+))?""")


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Parse HTML as Telegram's tdlib ``parse_html`` does: the visible text and its entities.

    Errors carry tdlib's wording and UTF-8 byte offsets.
    """

    def fail(detail: str) -> ApiError:
        return bad_request(f"can't parse entities: {detail}")

    def at(index: int) -> str:
        return f"at byte offset {len(text[:index].encode())}"

    out: list[str] = []
    entities: list[dict] = []
    open_tags: list[tuple[str, int, dict[str, str]]] = []  # name, UTF-16 start, attributes
    position, i, n = 0, 0, len(text)
    while i < n:
        char = text[i]
        if char == "&" and (reference := _HTML_CHARACTER.match(text, i)):
            hex_code, dec_code, name = reference.groups()
            code = int(hex_code, 16) if hex_code else int(dec_code) if dec_code else 0
            if name or 0 < code < 0x10FFFF:
                char = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name] if name else chr(code)
                i = reference.end() - 1
        elif char == "<" and text.startswith("</", i):
            if not open_tags:
                raise fail(f"Unexpected end tag {at(i)}")
            close = text.find(">", i)
            if close < 0:
                raise fail(f"Unclosed end tag {at(i)}")
            name = text[i + 2 : close].strip().lower()
            if name and name != open_tags[-1][0]:
                raise fail(f'Unmatched end tag {at(i)}, expected "</{open_tags[-1][0]}>", found "</{name}>"')
            _close_html_entity(open_tags, position, entities)
            i = close + 1
            continue
        elif char == "<":
            begin, i = i, i + 1
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            name = text[begin + 1 : i].lower()
            if i < n and name not in _HTML_ENTITY_TYPES:
                raise fail(f'Unsupported start tag "{name}" {at(begin)}')
            attributes = {}
            while i < n and text[i] != ">" and (attribute := _HTML_ATTRIBUTE.match(text, i)):
                attributes[attribute.group(1).lower()] = (attribute.group(2) or "").strip("\"'")
                i = attribute.end()
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] != ">":
                raise fail(f"Unclosed start tag {at(begin)}")
            if name == "span" and attributes.get("class") != "tg-spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" {at(begin)}')
            open_tags.append((name, position, attributes))
            i += 1
            continue
        out.append(char)
        position += utf16_len(char)
        i += 1
    if open_tags:
        raise fail(f"Can't find end tag corresponding to start tag {open_tags[-1][0]}")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _close_html_entity(open_tags: list[tuple[str, int, dict[str, str]]], end: int, entities: list[dict]) -> None:
    """Turn the innermost open tag into an entity, as tdlib does when the tag closes."""
    name, start, attributes = open_tags.pop()
    language = attributes.get("class", "").removeprefix("language-")
    if name == "code" and open_tags and open_tags[-1][0] == "pre" and open_tags[-1][1] == start:
        open_tags[-1][2]["language"] = language  # <pre><code class="language-x"> is one pre entity
        return
    if end <= start:
        return
    entity: dict[str, Any] = {"type": _HTML_ENTITY_TYPES[name], "offset": start, "length": end - start}
    if name == "a":
        if not attributes.get("href"):
            return
        entity["url"] = attributes["href"]
    elif name == "pre" and attributes.get("language"):
        entity["language"] = attributes["language"]
    elif name == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    entities.append(entity)


def reply_markup(params: Params) -> dict | None:
    """The markup as a dict, with inline buttons checked as Telegram checks them."""
    markup = params.get_json("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardMarkup must be an Array")
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
        if len(button) < 2:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    return markup


def reply_to(params: Params) -> tuple[int | None, bool]:
    """The message to reply to and whether a missing one may be ignored.

    PTB 22 sends ``reply_parameters`` (Bot API 7); older clients send ``reply_to_message_id``.
    """
    parameters = params.get_json("reply_parameters", "reply parameters")
    if isinstance(parameters, dict) and parameters.get("message_id") is not None:
        return int(parameters["message_id"]), bool(parameters.get("allow_sending_without_reply"))
    return params.get_int("reply_to_message_id"), params.get_bool("allow_sending_without_reply")
