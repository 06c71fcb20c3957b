"""The one door through which the bot asks what a message means.

Every NLU backend (the Rasa server client, the keyword fallback) returns a `Parse`,
so the bot never knows which one answered except through `Parse.source`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

INTENTS = (
    "greet", "report", "query_progress", "urge", "add_info", "cancel", "rate_good",
    "rate_bad", "help", "affirm", "deny", "thanks", "out_of_scope",
)

CATEGORIES = (
    "garbage", "street_vending", "illegal_parking", "streetlight", "road_damage",
    "water_leak", "drainage", "greenery", "illegal_construction", "noise",
    "air_pollution", "fire_hazard", "gas_emergency", "property_management",
    "neighbor_dispute", "public_security", "social_assistance", "wage_arrears",
    "food_safety", "other",
)


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

    def first(self, entity: str) -> str | None:
        return next((e.value for e in self.entities if e.entity == entity), None)


class NluClient(Protocol):
    async def parse(self, text: str) -> Parse: ...
