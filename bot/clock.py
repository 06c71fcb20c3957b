"""Time as a dependency: the bot asks a clock, so tests and `gridsec simulate` can move it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that stands still until told to move; used by tests and scripted simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += delta

    def set(self, instant: datetime) -> None:
        self.advance(instant.astimezone(timezone.utc) - self._now)


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '2h', '1d', '1h30m' → timedelta; a clear error otherwise."""
    import re

    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhd])", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != re.sub(r"\s+", "", text.strip().lower()):
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 2h, 1d, 1h30m)")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    total = timedelta()
    for number, u in parts:
        total += timedelta(**{unit[u]: float(number)})
    return total
