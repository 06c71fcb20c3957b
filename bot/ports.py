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

    async def duty_escalation(self, case: Case, event: CaseEvent, chat_id: int) -> None:
        """Queue an escalation for the duty chat (deadlines.duty_chat_id): no joined post above could take it."""

    async def card(self, case: Case, person: Person, why: str = "", role: Role = Role.ASSIGNEE) -> None:
        """Queue the case card a staff member acts on (photos, location, text and the buttons of `role`)."""

    async def retire_cards(self, case: Case, people: list[Person]) -> None:
        """The case left these people's hands: take the buttons off the cards and pings they got for it."""

    async def prompt_dropped(self, case: Case, person: Person) -> None:
        """Tell `person` the question the bot asked about `case` no longer stands (the case moved on)."""
