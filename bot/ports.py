"""What the domain needs from the outside, as Protocols; handlers/ implements them for Telegram."""
from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from bot.lifecycle import Role
from storage.models import Case, CaseEvent, Person


class Audience(StrEnum):
    REPORTER = "reporter"
    ASSIGNEES = "assignees"      # whoever now has the case (officer, or every staff of the department)
    PREVIOUS = "previous"        # whoever had it before a transfer
    SUPERVISORS = "supervisors"  # the nearest joined supervisor above the grid
    VERIFIER = "verifier"        # the grid officer checking a department's 办结 on site (核查结案)
    CO_HANDLERS = "co_handlers"  # staff of the co-handling department an event is about (联合处置)


class Notifier(Protocol):
    """Built per transaction by the composition root's factory, from a `bot.mailroom.Mailroom`."""

    async def case_event(self, case: Case, event: CaseEvent, audience: Audience, people: list[Person]) -> None:
        """Queue the messages that `event` implies for `people` (in the caller's transaction)."""

    async def card(self, case: Case, person: Person, why: str = "", role: Role = Role.ASSIGNEE) -> None:
        """Queue the case card a staff member acts on (photos, location, text and the buttons of `role`)."""

    async def prompt_dropped(self, case: Case, person: Person) -> None:
        """Tell `person` the question the bot asked about `case` no longer stands (the case moved on)."""
