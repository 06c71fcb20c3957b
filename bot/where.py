"""From what a resident writes or shares to who acts: the routing decision `gridsec route` prints.

A shared point wins over text. Text is read for the NLU's address entity first and the whole
message second (the place matcher does both), then the grid's officer chain and the department
for the category are looked up.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.routing import Placement, department_for_label, departments_for, place_in_grid
from bot.services import Services


@dataclass
class RouteDecision:
    status: str  # matched | confirm | outside | ask
    grid_id: str | None
    candidates: list[dict] = field(default_factory=list)
    officer_id: str | None = None
    chain: list[str] = field(default_factory=list)
    why: str | None = None
    category: str | None = None
    department: str | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


async def decide(session: AsyncSession, services: Services, now: datetime, *, text: str | None = None,
                 lat: float | None = None, lon: float | None = None) -> RouteDecision:
    parse = await services.nlu.parse(text) if text else None
    if lat is not None and lon is not None:
        grid_id = services.locate(lat, lon)
        decision = RouteDecision("matched" if grid_id else "outside", grid_id,
                                 reason="point in grid" if grid_id else "point outside the district")
    elif text:
        found = services.places.match(text, parse.first("address"))
        decision = RouteDecision(found.status, found.grid_id, reason=found.reason, candidates=[
            {"address_id": c.address_id, "name": c.name, "kind": c.kind, "grid_id": c.grid_id,
             "score": round(c.score, 3)} for c in found.candidates])
    else:
        decision = RouteDecision("ask", None, reason="no text and no point")
    if decision.grid_id:
        placement: Placement = await place_in_grid(session, decision.grid_id, now)
        decision.officer_id, decision.why = placement.handler_id, placement.why
        decision.chain = [o.id for o in placement.chain]
    if parse is not None:
        decision.category = parse.category
        suggested = await department_for_label(session, services.config, parse.department)
        departments = await departments_for(session, services.config, parse.category, suggested)
        decision.department = departments[0].id if departments else None
    return decision
