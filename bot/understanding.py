"""What the domain needs to know about a message, and the one door through which it asks.

The intents and report categories are the domain's vocabulary; `nlu/` implements `NluClient`
(the Rasa server client, the keyword fallback) and returns a `Parse`, so the bot never knows
which backend answered except through `Parse.source`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Intent(StrEnum):
    """What a person wants from the bot with one message."""

    GREET = "greet"
    REPORT = "report"
    QUERY_PROGRESS = "query_progress"
    URGE = "urge"
    ADD_INFO = "add_info"
    CANCEL = "cancel"
    RATE_GOOD = "rate_good"
    RATE_BAD = "rate_bad"
    HELP = "help"
    AFFIRM = "affirm"
    DENY = "deny"
    THANKS = "thanks"
    OUT_OF_SCOPE = "out_of_scope"


class Category(StrEnum):
    """What a report is about; config.yaml names each and gives its department and limits."""

    GARBAGE = "garbage"
    STREET_VENDING = "street_vending"
    ILLEGAL_PARKING = "illegal_parking"
    STREETLIGHT = "streetlight"
    ROAD_DAMAGE = "road_damage"
    WATER_LEAK = "water_leak"
    DRAINAGE = "drainage"
    GREENERY = "greenery"
    ILLEGAL_CONSTRUCTION = "illegal_construction"
    NOISE = "noise"
    AIR_POLLUTION = "air_pollution"
    FIRE_HAZARD = "fire_hazard"
    GAS_EMERGENCY = "gas_emergency"
    PROPERTY_MANAGEMENT = "property_management"
    NEIGHBOR_DISPUTE = "neighbor_dispute"
    PUBLIC_SECURITY = "public_security"
    SOCIAL_ASSISTANCE = "social_assistance"
    WAGE_ARREARS = "wage_arrears"
    FOOD_SAFETY = "food_safety"
    OTHER = "other"


INTENTS: tuple[str, ...] = tuple(Intent)
CATEGORIES: tuple[str, ...] = tuple(Category)

# A ticket number as people type it (prefix, date, serial), in NFKC-normalised lower case.
TICKET = re.compile(r"(?<![a-z0-9])([a-z]{1,6})[-_ ]?(\d{8})[-_ ]?(\d{4})(?![0-9])")


def normalize_ticket(raw: str) -> str | None:
    """`yx20261123 0007`, `ＹＸ－２０２６１１２３－０００７` -> `YX-20261123-0007` (None if not a ticket)."""
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    m = TICKET.fullmatch(text)
    return f"{m[1].upper()}-{m[2]}-{m[3]}" if m else None


@dataclass(frozen=True)
class Entity:
    entity: str  # address | ticket | phone | plate | time
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Parse:
    intent: str
    intent_confidence: float
    category: str
    category_confidence: float
    urgent: bool
    department: str | None = None  # dept_id when a router is confident, else None
    entities: tuple[Entity, ...] = field(default_factory=tuple)
    source: str = "keyword"  # which backend answered: "rasa" | "keyword"
    category_ranking: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    urgent_cue: str | None = None  # the words that make it urgent, when a rule saw them

    def first(self, entity: str) -> str | None:
        return next((e.value for e in self.entities if e.entity == entity), None)


class NluClient(Protocol):
    async def parse(self, text: str) -> Parse: ...
