"""Per-person limits, so that one person's flood or guessing costs everybody else nothing.

Counted in this process's memory on the domain clock (tests and simulations move it): a flood is
refused before it costs a transaction, an NLU call or a reply. Several bot processes each count
their own share, which at worst lets a person through a few times the limit.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import LimitsConfig

# Forget people who have been quiet for a whole window once this many are remembered.
_TIDY_ABOVE = 10_000


class Window:
    """At most `allowed` events per `span` for each key, over a sliding window."""

    def __init__(self, allowed: int, span: timedelta) -> None:
        self.allowed, self.span = allowed, span
        self._events: dict[int, deque[datetime]] = {}

    def _recent(self, key: int, now: datetime) -> deque[datetime]:
        events = self._events.get(key)
        if events is None:
            if len(self._events) > _TIDY_ABOVE:
                self._tidy(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self.span:
            events.popleft()
        return events

    def _tidy(self, now: datetime) -> None:
        for key in [k for k, events in self._events.items() if not events or events[-1] <= now - self.span]:
            del self._events[key]

    def full(self, key: int, now: datetime) -> bool:
        return len(self._recent(key, now)) >= self.allowed

    def record(self, key: int, now: datetime) -> None:
        self._recent(key, now).append(now)

    def admit(self, key: int, now: datetime) -> bool:
        """Count the event and say True, or say False (and count nothing) when the window is full."""
        if self.full(key, now):
            return False
        self.record(key, now)
        return True


@dataclass(frozen=True)
class Verdict:
    admitted: bool
    tell: bool = False  # refused for the first time in this spell: say so once, then stay silent


class Limits:
    def __init__(self, config: LimitsConfig) -> None:
        self.messages = Window(config.messages_per_minute, timedelta(minutes=1))
        self.joins = Window(config.join_attempts_per_hour, timedelta(hours=1))
        self._told: set[int] = set()
        self._album: dict[int, str] = {}  # person → the album their last admitted photo belonged to

    def message(self, person: int, now: datetime, album: str | None = None) -> Verdict:
        """A message (text, photo, press, command) from `person`: handled, or refused. The photos
        of one album count as one message, so a report with ten photos costs what one does."""
        if album is not None and self._album.get(person) == album:
            return Verdict(True)
        if self.messages.admit(person, now):
            if album is not None:
                self._album[person] = album
            self._told.discard(person)
            return Verdict(True)
        if person in self._told:
            return Verdict(False)
        self._told.add(person)
        return Verdict(False, tell=True)
