"""What the domain needs from the outside, as Protocols; handlers/ implements them for Telegram."""
from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from storage.models import Case, CaseEvent, Person


class Audience(StrEnum):
    REPORTER = "reporter"
    ASSIGNEES = "assignees"      # whoever now has the case (officer, or every staff of the department)
    PREVIOUS = "previous"        # whoever had it before a transfer
    SUPERVISORS = "supervisors"  # the nearest joined supervisor above the grid


class Notifier(Protocol):
    async def case_event(self, case: Case, event: CaseEvent, audience: Audience, people: list[Person]) -> None:
        """Queue the messages that `event` implies for `people` (in the caller's transaction)."""
