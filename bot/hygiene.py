"""What arrives from a channel made safe for the database, as pure functions.

Telegram never sends U+0000, lone surrogates, ids beyond 64 bits or coordinates that are not
numbers, but a modified client or a broken proxy can, and PostgreSQL refuses the first two in
text and JSON, both databases refuse integers beyond their columns, and JSON has no NaN. So every
string is cleaned and bounded before it is stored, and an update carrying an id no column can hold
is stored (cleaned) and left alone rather than half-handled.
"""
from __future__ import annotations

import math
import re
import traceback
from typing import Any

from sqlalchemy.exc import StatementError

INT64_MAX = 2 ** 63 - 1
INT32_MAX = 2 ** 31 - 1  # our own row ids (cases, attachments) are 32-bit on PostgreSQL
# Telegram's longest field is a 4096-character message; anything longer is not from Telegram.
MAX_STRING = 8192
# Lone surrogates (not encodable as UTF-8) and NUL (refused by PostgreSQL text).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
PHONE_DIGITS = 20  # E.164 allows 15; room for an extension, well within people.phone's 32


def clean_text(value: str, limit: int = MAX_STRING) -> str:
    """`value` without NUL and lone surrogates, cut to `limit` characters."""
    return _UNSTORABLE.sub("", value)[:limit]


def clean_payload(value: Any) -> Any:
    """A JSON value with every string (keys too) cleaned and bounded and every non-finite number
    (NaN, infinity: not JSON) replaced by None; integers are kept as they are (see `ids_fit`)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_payload(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_payload(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def ids_fit(value: Any) -> bool:
    """Whether every integer in the JSON value fits a 64-bit column (user, chat and message ids)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -INT64_MAX - 1 <= value <= INT64_MAX
    if isinstance(value, dict):
        return all(ids_fit(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(ids_fit(v) for v in value)
    return True


def bounded_id(value: int | None) -> int | None:
    """A channel id as a 64-bit column can hold it, None when it cannot."""
    return value if value is not None and -INT64_MAX - 1 <= value <= INT64_MAX else None


def row_id(text: str) -> int:
    """One of our row ids from a button's data; ValueError unless it is a plain id a row can have."""
    if not text.isascii() or not text.isdigit() or int(text) > INT32_MAX:
        raise ValueError(f"not a row id: {text[:20]!r}")
    return int(text)


def phone(value: str) -> str | None:
    """A shared contact's number as digits with an optional leading +; None when it is no number."""
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    if not digits or len(digits) > PHONE_DIGITS:
        return None
    return ("+" if value.strip().startswith("+") else "") + digits


def error_line(exc: BaseException) -> str:
    """A failure in one line, as stored on the inbound update and sent to the ops chat: a database
    error says its kind and statement, never the values it was given (the engine hides them in logs)."""
    if isinstance(exc, StatementError):
        statement = " ".join((exc.statement or "").split())[:200]
        return f"{type(exc).__name__} ({type(exc.orig).__name__ if exc.orig else '-'}): {statement}"
    return "".join(traceback.format_exception_only(exc)).strip().replace("\n", " ")


def finite(*numbers: float) -> bool:
    return all(isinstance(n, (int, float)) and math.isfinite(n) for n in numbers)
