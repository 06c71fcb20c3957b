"""Bad network days on demand: injected failures, slow answers and Telegram's flood limits.

``getUpdates`` is left out of the "any method" rules: in polling mode it runs all the
time in the background, so a catch-all fault or delay would hit the poller instead of
the call a test is about. Name it explicitly to disturb polling.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from standin.params import ApiError, too_many_requests

_POLL = "getupdates"


def _applies(rule_method: str | None, method: str) -> bool:
    return rule_method == method.lower() if rule_method else method.lower() != _POLL


@dataclass
class _Fault:
    method: str | None
    error: ApiError
    remaining: int


class Faults:
    """Queued failures and per-method delays."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []
        self._delays: dict[str | None, float] = {}

    def fail_next(
        self, method: str | None, *, status: int, retry_after: int, count: int, description: str | None
    ) -> None:
        if status == 429:
            error = too_many_requests(retry_after)
            if description:
                error.description = description
        else:
            error = ApiError(status, description or f"{HTTPStatus(status).phrase}: injected failure")
        self._faults.append(_Fault(method.lower() if method else None, error, count))

    def take(self, method: str) -> ApiError | None:
        """The error the next call of ``method`` must get, if one is queued for it."""
        for fault in self._faults:
            if _applies(fault.method, method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault.error
        return None

    def set_delay(self, seconds: float, method: str | None) -> None:
        key = method.lower() if method else None
        if seconds > 0:
            self._delays[key] = seconds
        else:
            self._delays.pop(key, None)

    def delay(self, method: str) -> float:
        specific = self._delays.get(method.lower())
        if specific is not None:
            return specific
        return self._delays.get(None, 0.0) if method.lower() != _POLL else 0.0


class _Bucket:
    """A token bucket: ``burst`` messages at once, refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int, now: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), now

    def wait(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodLimits:
    """Telegram's documented flood limits for bots, as far as private chats go.

    About 30 messages per second overall and one per second per chat, each allowing a
    short burst. Only message-creating calls count. A refused call costs nothing, so a
    bot that waits the ``retry_after`` it was given always gets through.
    """

    OVERALL_RATE, OVERALL_BURST = 30.0, 30
    CHAT_RATE, CHAT_BURST = 1.0, 3

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._overall: _Bucket | None = None
        self._chats: dict[int, _Bucket] = {}

    def admit(self, chat_id: int) -> None:
        """Count one message to ``chat_id`` or raise the 429 Telegram would answer."""
        now = self.clock()
        if self._overall is None:
            self._overall = _Bucket(self.OVERALL_RATE, self.OVERALL_BURST, now)
        chat = self._chats.setdefault(chat_id, _Bucket(self.CHAT_RATE, self.CHAT_BURST, now))
        wait = max(self._overall.wait(now), chat.wait(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        self._overall.tokens -= 1
        chat.tokens -= 1
